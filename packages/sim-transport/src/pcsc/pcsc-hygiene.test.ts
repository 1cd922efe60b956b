/**
 * Rules for the PC/SC folder that no compiler checks: PC/SC stays out of the browser entry, nothing
 * of ours but krypton-core (the transport contract) is imported, and every export says what it is.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { codeOf as code, ruleBreakers, runtimeSources, undocumentedExports } from '../../test/support/source-hygiene.test-support.ts';

const dir = fileURLToPath(new URL('.', import.meta.url));
const sources = () => runtimeSources(dir);

describe('src/pcsc', () => {
  it('is not reachable from the browser entry', async () => {
    const browserEntry = await readFile(join(dir, '..', 'index.ts'), 'utf8');
    expect(code(browserEntry)).not.toMatch(/pcsc/i);
  });

  it('imports nothing of ours but krypton-core, uses .ts imports, no any, no console', async () => {
    const offenders: string[] = [];
    const files = await sources();
    expect(files.map((f) => f.name)).toContain('pcsc-transport.ts');
    for (const { name, text } of files) {
      const c = code(text);
      for (const m of c.matchAll(/from '(@krypton-web\/[^']*)'/g))
        if (m[1] !== '@krypton-web/krypton-core') offenders.push(`${name}: imports ${m[1]}`);
      // pcsclite is loaded lazily (pcsclite-binding.ts), so importing the Node entry needs no native addon.
      if (/^import .* from 'pcsclite'/m.test(c)) offenders.push(`${name}: static pcsclite import`);
    }
    offenders.push(...ruleBreakers(files, { allowNode: true }));
    expect(offenders).toEqual([]);
  });

  it('has a doc comment on every exported declaration', async () => {
    expect(undocumentedExports(await sources())).toEqual([]);
  });
});
