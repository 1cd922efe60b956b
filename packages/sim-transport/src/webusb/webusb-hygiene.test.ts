import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ruleBreakers, runtimeSources, undocumentedExports } from '../../test/support/source-hygiene.test-support.ts';

const dir = fileURLToPath(new URL('.', import.meta.url));

describe('src/webusb runs unchanged in browsers, workers and Node', () => {
  it('uses no Node built-ins or globals, no any, no console, and imports with .ts extensions', async () => {
    const files = await runtimeSources(dir);
    expect(files.length).toBeGreaterThan(2);
    expect(ruleBreakers(files)).toEqual([]);
  });

  it('has a doc comment on every exported declaration', async () => {
    expect(undocumentedExports(await runtimeSources(dir))).toEqual([]);
  });
});
