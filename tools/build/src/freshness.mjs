// @ts-check
/**
 * Whether a bundle is still what its sources would build: every input and every external module it
 * was built against still has the size and modification time recorded at build time.
 */
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

/** The manifest format; a change here rebuilds every bundle. */
export const MANIFEST_VERSION = 1;

/**
 * Where a command's bundle lives: `<package>/dist/bundles/<name>/`, never committed.
 * @param {string} packageDir
 * @param {string} name
 */
export function bundlePaths(packageDir, name) {
  const dir = join(packageDir, 'dist', 'bundles', name);
  return { dir, main: join(dir, 'main.js'), manifest: join(dir, 'manifest.json') };
}

/**
 * @typedef {{ version: number; files: Record<string, [number, number]> }} Manifest
 */

/**
 * @param {{ manifest: string; main: string }} paths
 * @returns {boolean}
 */
export function isFresh(paths) {
  /** @type {Manifest} */
  let manifest;
  try {
    manifest = JSON.parse(readFileSync(paths.manifest, 'utf8'));
  } catch {
    return false;
  }
  if (manifest.version !== MANIFEST_VERSION) return false;
  for (const [file, [size, mtimeMs]] of Object.entries(manifest.files)) {
    const s = statSync(file, { throwIfNoEntry: false });
    if (!s || s.size !== size || s.mtimeMs !== mtimeMs) return false;
  }
  return statSync(paths.main, { throwIfNoEntry: false }) !== undefined;
}

/**
 * Records the size and modification time of `files`.
 * @param {Iterable<string>} files
 * @returns {Manifest}
 */
export function manifestOf(files) {
  /** @type {Manifest['files']} */
  const out = {};
  for (const file of files) {
    const s = statSync(file);
    out[file] = [s.size, s.mtimeMs];
  }
  return { version: MANIFEST_VERSION, files: out };
}
