import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { mkdirSync, readdirSync, rmSync, statSync, writeFileSync, readFileSync, existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
export const WEB_ROOT = resolve(here, '..');
export const DIST = join(WEB_ROOT, 'dist');
const REPO = resolve(WEB_ROOT, '../..');
const SOURCES = [join(WEB_ROOT, 'src'), join(WEB_ROOT, 'index.html'), join(WEB_ROOT, 'vite.config.ts'), ...['krypton-core', 'sim-transport', 'krypton-lab'].map((p) => join(REPO, 'packages', p, 'src'))];
const STAMP = join(DIST, '.built-from');
const LOCK = join(WEB_ROOT, 'node_modules', '.e2e-build-lock');

function newestMtime(path: string): number {
  const s = statSync(path);
  if (!s.isDirectory()) return s.mtimeMs;
  let newest = s.mtimeMs;
  for (const entry of readdirSync(path)) newest = Math.max(newest, newestMtime(join(path, entry)));
  return newest;
}

function fresh(): boolean {
  if (!existsSync(STAMP)) return false;
  const built = Number(readFileSync(STAMP, 'utf8'));
  return SOURCES.every((s) => !existsSync(s) || newestMtime(s) <= built);
}

/**
 * Builds `apps/web/dist` when the sources are newer than the last build. Test files run in parallel
 * workers: a lock directory makes one build while the others wait.
 */
export async function ensureBuilt(options: { onBuild?: () => void } = {}): Promise<string> {
  const deadline = Date.now() + 240_000;
  for (;;) {
    if (fresh()) return DIST;
    try {
      mkdirSync(LOCK);
    } catch {
      // Another worker builds; a lock older than 4 minutes is a crashed build.
      try {
        if (Date.now() - statSync(LOCK).mtimeMs > 240_000) rmSync(LOCK, { recursive: true, force: true });
      } catch {
        // gone already
      }
      if (Date.now() > deadline) throw new Error('timed out waiting for another test worker to build the web app');
      await new Promise((r) => setTimeout(r, 500));
      continue;
    }
    try {
      if (fresh()) return DIST;
      options.onBuild?.();
      const started = Date.now();
      // Its own process: under vitest NODE_ENV is "test", which would build Svelte in dev mode.
      const vite = join(dirname(createRequire(join(WEB_ROOT, 'package.json')).resolve('vite/package.json')), 'bin', 'vite.js');
      const result = spawnSync(process.execPath, [vite, 'build', '--logLevel', 'warn'], { cwd: WEB_ROOT, env: { ...process.env, NODE_ENV: 'production' }, encoding: 'utf8' });
      if (result.status !== 0) throw new Error(`vite build failed:\n${result.stdout}\n${result.stderr}`);
      writeFileSync(STAMP, String(started));
      return DIST;
    } finally {
      rmSync(LOCK, { recursive: true, force: true });
    }
  }
}
