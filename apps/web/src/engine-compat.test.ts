import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

// What runs in the page and the workers must work in WebKit too (the Safari stand-in the browser
// tests drive): WebKitGTK has no `for await` over a ReadableStream and no byte streams, and it
// evaluates a module worker's entry twice when a chunk imports it back.

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
const SHIPPED = ['apps/web/src', 'packages/krypton-core/src', 'packages/sim-transport/src', 'packages/sim-check/src'];

function sources(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...sources(path));
    else if (/\.(ts|svelte)$/.test(name) && !/\.test\.ts$|\.test-support\.ts$|\.d\.ts$/.test(name)) out.push(path);
  }
  return out;
}

describe('code for the page and its workers runs in WebKit', () => {
  const files = SHIPPED.flatMap((d) => sources(join(ROOT, d)));

  it('iterates no stream with for await, and makes no byte stream', () => {
    expect(files.length).toBeGreaterThan(50);
    const offending = files
      .filter((f) => /\bfor\s+await\b|type:\s*['"]bytes['"]/.test(readFileSync(f, 'utf8')))
      .map((f) => relative(ROOT, f));
    expect(offending).toEqual([]);
  });

  it('worker entries import nothing statically (their code comes through one dynamic import)', () => {
    for (const entry of ['worker/session-worker.ts', 'worker/batch-worker.ts']) {
      const text = readFileSync(join(ROOT, 'apps/web/src', entry), 'utf8');
      expect(text, entry).not.toMatch(/^\s*import\s+(?!type\b)[^(]/m);
      expect(text, entry).toMatch(/\bimport\(/);
    }
  });
});
