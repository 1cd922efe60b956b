// @ts-check
/**
 * What every command's bin runs first: the command's bundle when it is fresh, else a rebuild, then
 * the bundle's `main(argv)`. Kept tiny and dependency-free: it is on the start-up path of every
 * command, and esbuild is loaded only when a rebuild is needed.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { isFresh, bundlePaths } from './freshness.mjs';

/**
 * Runs command `name` of the package that holds the bin at `binUrl`: its entry is named in that
 * package.json's `bundles` field. `KRYPTON_WEB_FROM_SOURCE=1` runs the TypeScript through tsx instead
 * (development: no bundle at all).
 * @param {string} binUrl `import.meta.url` of the bin
 * @param {string} name the command, a key of `bundles`
 */
export async function launch(binUrl, name) {
  const packageDir = findPackageDir(dirname(fileURLToPath(binUrl)));
  const entry = entryOf(packageDir, name);
  /** @type {{ main(argv: string[]): Promise<number | void> }} */
  let mod;
  if (process.env.KRYPTON_WEB_FROM_SOURCE === '1') {
    const { register } = await import('tsx/esm/api');
    register();
    mod = await import(pathToFileURL(join(packageDir, entry)).href);
  } else {
    const paths = bundlePaths(packageDir, name);
    if (!isFresh(paths)) {
      const { buildBundle } = await import('./bundle.mjs');
      await buildBundle({ packageDir, name, entry, quiet: true });
    }
    mod = await import(pathToFileURL(paths.main).href);
  }
  const code = await mod.main(process.argv.slice(2));
  if (typeof code === 'number') process.exitCode = code;
}

/**
 * The nearest folder at or above `dir` with a package.json.
 * @param {string} dir
 */
function findPackageDir(dir) {
  for (let d = dir; ; d = dirname(d)) {
    if (existsSync(join(d, 'package.json'))) return d;
    if (dirname(d) === d) throw new Error(`launch: no package.json above ${dir}`);
  }
}

/**
 * The entry module the package.json's `bundles` field names for command `name`.
 * @param {string} packageDir
 * @param {string} name
 * @returns {string}
 */
function entryOf(packageDir, name) {
  /** @type {{ bundles?: Record<string, string> }} */
  const pkg = JSON.parse(readFileSync(join(packageDir, 'package.json'), 'utf8'));
  const entry = pkg.bundles?.[name];
  if (!entry) throw new Error(`launch: ${resolve(packageDir, 'package.json')} names no bundle "${name}"`);
  return entry;
}
