/**
 * Rules for the PC/SC folder that no compiler checks: PC/SC stays out of the browser entry, the
 * lab and krypton-core stay out of the runtime code, and every export says what it is.
 */
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const dir = fileURLToPath(new URL('.', import.meta.url));

/** The folder's runtime sources (not tests, not test support). */
async function sources(): Promise<{ name: string; text: string }[]> {
  const names = (await readdir(dir)).filter((n) => n.endsWith('.ts') && !n.includes('.test'));
  return Promise.all(names.map(async (name) => ({ name, text: await readFile(join(dir, name), 'utf8') })));
}

const code = (text: string): string => text.replace(/\/\*[\s\S]*?\*\/|\/\/.*$/gm, '');

describe('src/pcsc', () => {
  it('is not reachable from the browser entry', async () => {
    const browserEntry = await readFile(join(dir, '..', 'index.ts'), 'utf8');
    expect(code(browserEntry)).not.toMatch(/pcsc/i);
  });

  it('imports neither the lab nor krypton-core at runtime, uses .ts imports, no any, no console', async () => {
    const offenders: string[] = [];
    const files = await sources();
    expect(files.map((f) => f.name)).toContain('pcsc-transport.ts');
    for (const { name, text } of files) {
      const c = code(text);
      if (/from '@krypton-web\//.test(c)) offenders.push(`${name}: workspace import`);
      for (const m of c.matchAll(/from '(\.[^']*)'/g)) if (!m[1]!.endsWith('.ts')) offenders.push(`${name}: ${m[1]}`);
      if (/\bany\b(?![-\w])/.test(c.replace(/'[^']*'|`[^`]*`/g, ''))) offenders.push(`${name}: any`);
      if (/console\./.test(c)) offenders.push(`${name}: console`);
      // pcsclite is loaded lazily (pcsclite-binding.ts), so importing the Node entry needs no native addon.
      if (/^import .* from 'pcsclite'/m.test(c)) offenders.push(`${name}: static pcsclite import`);
    }
    expect(offenders).toEqual([]);
  });

  it('has a doc comment on every exported declaration', async () => {
    const missing: string[] = [];
    for (const { name, text } of await sources()) {
      const lines = text.split('\n');
      lines.forEach((line, i) => {
        if (!/^export (async )?(function|class|const|let|interface|type|abstract class) /.test(line)) return;
        let j = i - 1;
        while (j >= 0 && lines[j]!.trim() === '') j--;
        if (!lines[j]?.trim().endsWith('*/')) missing.push(`${name}:${i + 1} ${line.slice(0, 60)}`);
      });
    }
    expect(missing).toEqual([]);
  });
});
