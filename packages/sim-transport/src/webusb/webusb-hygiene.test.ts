import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const dir = fileURLToPath(new URL('.', import.meta.url));

async function sources(): Promise<{ name: string; text: string }[]> {
  const names = (await readdir(dir)).filter((n) => n.endsWith('.ts') && !n.includes('.test'));
  return Promise.all(names.map(async (name) => ({ name, text: await readFile(join(dir, name), 'utf8') })));
}

describe('src/webusb runs in pages and workers', () => {
  it('uses no Node built-ins or globals, no any, no console, and imports with .ts extensions', async () => {
    const offenders: string[] = [];
    for (const { name, text } of await sources()) {
      const code = text.replace(/\/\*[\s\S]*?\*\/|\/\/.*$/gm, '');
      if (/from ['"]node:|require\(|\bprocess\.|\bBuffer\b|__dirname/.test(code)) offenders.push(`${name}: Node`);
      for (const m of code.matchAll(/from '(\.[^']*)'/g)) if (!m[1]!.endsWith('.ts')) offenders.push(`${name}: ${m[1]}`);
      if (/\bany\b(?![-\w])/.test(code.replace(/'[^']*'|`[^`]*`/g, ''))) offenders.push(`${name}: any`);
      if (/console\./.test(code)) offenders.push(`${name}: console`);
    }
    expect(offenders).toEqual([]);
  });

  it('has a doc comment on every exported declaration', async () => {
    const missing: string[] = [];
    for (const { name, text } of await sources()) {
      const lines = text.split('\n');
      lines.forEach((line, i) => {
        if (!/^export (async )?(function|class|const|interface|type|abstract class) /.test(line) || / from '/.test(line)) return;
        let j = i - 1;
        while (j >= 0 && lines[j]!.trim() === '') j--;
        if (!lines[j]?.trim().endsWith('*/')) missing.push(`${name}:${i + 1} ${line.slice(0, 60)}`);
      });
    }
    expect(missing).toEqual([]);
  });
});
