import { execFile } from 'node:child_process';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('..', import.meta.url));
const srcDir = join(root, 'src');

async function sourceFiles(dir = srcDir): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await sourceFiles(path)));
    else if (entry.name.endsWith('.ts') && !entry.name.includes('.test')) out.push(path);
  }
  return out;
}

describe('krypton-core runs unchanged in browsers, workers and Node', () => {
  it('uses no Node built-ins and no Node globals in its sources', async () => {
    const offenders: string[] = [];
    for (const file of await sourceFiles()) {
      // Comments may mention Node; code may not use it.
      const code = (await readFile(file, 'utf8')).replace(/\/\*[\s\S]*?\*\/|\/\/.*$/gm, '');
      if (/from ['"]node:|require\(|\bprocess\.|\bBuffer\b|__dirname/.test(code)) offenders.push(relative(root, file));
    }
    expect(offenders).toEqual([]);
  });

  it('has a doc comment on every exported declaration', async () => {
    const missing: string[] = [];
    for (const file of await sourceFiles()) {
      const lines = (await readFile(file, 'utf8')).split('\n');
      lines.forEach((line, i) => {
        if (!/^export (async )?(function|class|const|interface|type|abstract class) /.test(line) || / from '/.test(line)) return;
        let j = i - 1;
        while (j >= 0 && lines[j]!.trim() === '') j--;
        if (!lines[j]?.trim().endsWith('*/')) missing.push(`${relative(root, file)}:${i + 1} ${line.slice(0, 60)}`);
      });
    }
    expect(missing).toEqual([]);
  });

  it('builds to ESM with type declarations that load in Node', async () => {
    const outDir = await mkdtemp(join(tmpdir(), 'krypton-core-build-'));
    try {
      await promisify(execFile)(process.execPath, [
        join(root, '../../node_modules/typescript/bin/tsc'),
        '-p',
        join(root, 'tsconfig.build.json'),
        '--outDir',
        outDir,
      ]);
      const files = await readdir(outDir);
      expect(files).toContain('index.js');
      expect(files).toContain('index.d.ts');
      const mod = (await import(pathToFileURL(join(outDir, 'index.js')).href)) as Record<string, unknown>;
      expect(typeof mod.KryptonClient).toBe('function');
      expect(typeof mod.Usim).toBe('function');
      expect(typeof mod.fromKrypton).toBe('function');
    } finally {
      await rm(outDir, { recursive: true, force: true });
    }
  }, 60_000);
});
