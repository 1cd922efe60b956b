// @ts-check
/**
 * The web app's production build (`apps/web/dist`), made by Vite when missing or older than its
 * sources: the app's own files and the source folders of every workspace package it depends on.
 * `pnpm start`, the browser tests and `pnpm bench` call it; concurrent callers (test files run in
 * parallel workers) wait for one build.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { ROOT, workspacePackages } from './workspace.mjs';

/** The web app's folder. */
export const WEB_ROOT = join(ROOT, 'apps', 'web');
/** Where its build goes. */
export const WEB_DIST = join(WEB_ROOT, 'dist');
const STAMP = join(WEB_DIST, '.built-from');
const LOCK = join(WEB_ROOT, 'node_modules', '.web-build-lock');
const LOCK_STALE_MS = 240_000;

/**
 * The files and folders the build reads: the app's own, and `src` of each workspace package it
 * depends on, directly or through another.
 * @returns {string[]}
 */
export function webAppSources() {
  const byName = new Map(workspacePackages().map((p) => [p.name, p]));
  const web = [...byName.values()].find((p) => p.dir === WEB_ROOT);
  if (!web) throw new Error(`no workspace package at ${WEB_ROOT}`);
  /** @type {Set<string>} */
  const seen = new Set();
  /** @param {Record<string, unknown>} json */
  const visit = (json) => {
    const deps = /** @type {Record<string, string>} */ ({ .../** @type {object} */ (json.dependencies ?? {}) });
    for (const name of Object.keys(deps)) {
      const pkg = byName.get(name);
      if (!pkg || seen.has(name)) continue;
      seen.add(name);
      visit(pkg.json);
    }
  };
  visit(web.json);
  const own = ['src', 'index.html', 'vite.config.ts', 'svelte.config.js', 'package.json'].map((f) => join(WEB_ROOT, f));
  return [...own, ...[...seen].map((name) => join(/** @type {{ dir: string }} */ (byName.get(name)).dir, 'src'))];
}

/** @param {string} path @returns {number} */
function newestMtime(path) {
  const s = statSync(path);
  if (!s.isDirectory()) return s.mtimeMs;
  let newest = s.mtimeMs;
  for (const entry of readdirSync(path)) newest = Math.max(newest, newestMtime(join(path, entry)));
  return newest;
}

/** Whether the build is newer than every source. */
export function webAppIsFresh() {
  if (!existsSync(STAMP)) return false;
  const built = Number(readFileSync(STAMP, 'utf8'));
  return webAppSources().every((s) => !existsSync(s) || newestMtime(s) <= built);
}

/**
 * Builds the web app when stale and returns its dist folder.
 * @param {{ onBuild?: () => void }} [options] onBuild is called once before a build starts
 * @returns {Promise<string>}
 */
export async function ensureWebAppBuilt(options = {}) {
  const deadline = Date.now() + LOCK_STALE_MS;
  for (;;) {
    if (webAppIsFresh()) return WEB_DIST;
    try {
      mkdirSync(LOCK, { recursive: false });
    } catch {
      // Another process builds; a lock older than LOCK_STALE_MS is a build that died.
      const s = statSync(LOCK, { throwIfNoEntry: false });
      if (s && Date.now() - s.mtimeMs > LOCK_STALE_MS) rmSync(LOCK, { recursive: true, force: true });
      if (Date.now() > deadline) throw new Error('timed out waiting for another process to build the web app');
      await new Promise((r) => setTimeout(r, 500));
      continue;
    }
    try {
      if (webAppIsFresh()) return WEB_DIST;
      options.onBuild?.();
      const started = Date.now();
      // Its own process: under vitest NODE_ENV is "test", which would build Svelte in dev mode.
      const vite = join(dirname(createRequire(join(WEB_ROOT, 'package.json')).resolve('vite/package.json')), 'bin', 'vite.js');
      const result = spawnSync(process.execPath, [vite, 'build', '--logLevel', 'warn'], {
        cwd: WEB_ROOT,
        env: { ...process.env, NODE_ENV: 'production' },
        encoding: 'utf8',
      });
      if (result.status !== 0) throw new Error(`vite build failed:\n${result.stdout}\n${result.stderr}`);
      writeFileSync(STAMP, String(started));
      return WEB_DIST;
    } finally {
      rmSync(LOCK, { recursive: true, force: true });
    }
  }
}
