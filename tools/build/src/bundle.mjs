// @ts-check
/**
 * Bundles one command with esbuild: the workspace's TypeScript is compiled in; every npm package
 * stays an external module, imported by its absolute path so the bundle loads wherever the package
 * that owns the command is (pnpm gives each package only its own dependencies). Dynamic imports
 * become chunks, so what a command loads on demand (the lab, the AWS SDK) costs nothing at start.
 */
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { isBuiltin } from 'node:module';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import * as esbuild from 'esbuild';
import { bundlePaths, isFresh, manifestOf } from './freshness.mjs';

const here = dirname(fileURLToPath(import.meta.url));
/** The build's own sources: a change to how bundles are made rebuilds them all. */
const TOOL_FILES = ['bundle.mjs', 'freshness.mjs', 'launch.mjs'].map((f) => join(here, f));
/** How long a lock left by a build that died is honoured. */
const STALE_LOCK_MS = 60_000;

/**
 * @typedef {{ packageDir: string; name: string; entry: string; quiet?: boolean; force?: boolean; platform?: 'node' | 'browser' }} BundleSpec
 */

/**
 * Builds `<package>/dist/bundles/<name>/main.js` from `entry` and records what it was built from.
 * Concurrent builders of the same bundle wait for one another; files are replaced by rename, so a
 * process running the previous build keeps loading its chunks (their names are content hashes).
 * @param {BundleSpec} spec
 * @returns {Promise<{ ms: number; inputs: number } | 'fresh'>} 'fresh' when another builder made it meanwhile (or, unless forced, it was fresh)
 */
export async function buildBundle(spec) {
  const paths = bundlePaths(spec.packageDir, spec.name);
  mkdirSync(paths.dir, { recursive: true });
  const release = await lock(`${paths.dir}.lock`);
  try {
    if (!spec.force && isFresh(paths)) return 'fresh';
    const started = performance.now();
    /** @type {Set<string>} */
    const externals = new Set();
    const result = await esbuild.build({ ...bundleOptions(spec, externals), outdir: paths.dir, write: false });
    const written = new Set();
    for (const file of result.outputFiles) {
      const tmp = `${file.path}.${process.pid}.tmp`;
      writeFileSync(tmp, file.contents);
      renameSync(tmp, file.path);
      written.add(basename(file.path));
    }
    removeOldChunks(paths.dir, written);
    const inputs = Object.keys(result.metafile.inputs).map((p) => resolve(p));
    const manifest = manifestOf([...inputs, ...externals, ...TOOL_FILES, join(spec.packageDir, 'package.json')]);
    const tmp = `${paths.manifest}.${process.pid}.tmp`;
    writeFileSync(tmp, JSON.stringify(manifest));
    renameSync(tmp, paths.manifest);
    return { ms: Math.round(performance.now() - started), inputs: inputs.length };
  } finally {
    release();
  }
}

/**
 * esbuild's options for one command (without where to write).
 * @param {BundleSpec} spec
 * @param {Set<string>} externals collects the npm files the bundle imports
 * @returns {esbuild.BuildOptions & { metafile: true }}
 */
function bundleOptions(spec, externals) {
  return {
    entryPoints: { main: resolve(spec.packageDir, spec.entry) },
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: spec.platform ?? 'node',
    target: spec.platform === 'browser' ? 'es2022' : 'node20',
    sourcemap: 'linked',
    metafile: true,
    logLevel: spec.quiet ? 'error' : 'warning',
    plugins: [npmPackagesByPath(externals), noModuleRelativePaths()],
  };
}

/**
 * The module graph a command's bundle would have, without writing it: esbuild's metafile (inputs
 * with their static and dynamic imports; npm packages appear as external file URLs).
 * @param {BundleSpec} spec
 * @returns {Promise<esbuild.Metafile>}
 */
export async function moduleGraph(spec) {
  const result = await esbuild.build({
    ...bundleOptions(spec, new Set()),
    outdir: join(spec.packageDir, 'dist', 'bundles', '.graph'),
    write: false,
  });
  return result.metafile;
}

/**
 * Leaves `@krypton-web/*` to be bundled from source (but for this build tool, plain JavaScript that
 * locates the workspace from its own file) and Node's built-ins as they are; every other bare
 * import is resolved now, from the importing file, and kept external by absolute file URL.
 * @param {Set<string>} externals collects the files resolved to, so the manifest watches them too
 * @returns {esbuild.Plugin}
 */
function npmPackagesByPath(externals) {
  return {
    name: 'npm-packages-by-path',
    setup(build) {
      build.onResolve({ filter: /^[^./]/ }, async (args) => {
        if (args.pluginData === 'resolving') return undefined;
        if (args.path.startsWith('@krypton-web/') && !args.path.startsWith('@krypton-web/build/')) return undefined;
        if (isBuiltin(args.path)) return { path: args.path, external: true };
        const found = await build.resolve(args.path, {
          kind: args.kind,
          resolveDir: args.resolveDir,
          importer: args.importer,
          pluginData: 'resolving',
        });
        if (found.errors.length > 0) return { errors: found.errors };
        externals.add(found.path);
        return { path: pathToFileURL(found.path).href, external: true };
      });
    },
  };
}

/**
 * Refuses workspace sources that use `import.meta.url`: in a bundle it is the bundle's location, not
 * the source file's, so a path computed from it silently points elsewhere. Such code takes paths
 * from `@krypton-web/build/workspace` (or resolves a package) instead.
 * @returns {esbuild.Plugin}
 */
function noModuleRelativePaths() {
  return {
    name: 'no-module-relative-paths',
    setup(build) {
      build.onLoad({ filter: /\.ts$/ }, (args) => {
        if (args.path.includes('/node_modules/')) return undefined;
        const code = readFileSync(args.path, 'utf8').replace(/\/\*[\s\S]*?\*\/|\/\/.*$/gm, '');
        if (!code.includes('import.meta.url')) return undefined;
        return {
          errors: [
            {
              text: `${args.path} uses import.meta.url, which in a bundle names the bundle, not this file: take workspace paths from @krypton-web/build/workspace`,
            },
          ],
        };
      });
    },
  };
}

/**
 * Deletes chunks of earlier builds that this build did not write, once they are old enough that no
 * process started before the rebuild can still be loading them.
 * @param {string} dir
 * @param {Set<string>} keep
 */
function removeOldChunks(dir, keep) {
  for (const name of readdirSync(dir)) {
    if (keep.has(name) || name === 'manifest.json' || name.endsWith('.tmp')) continue;
    const path = join(dir, name);
    const s = statSync(path, { throwIfNoEntry: false });
    if (s && Date.now() - s.mtimeMs > 10 * 60_000) rmSync(path, { force: true });
  }
}

/**
 * A lock directory: one builder at a time; a lock older than STALE_LOCK_MS is taken over.
 * @param {string} path
 * @returns {Promise<() => void>}
 */
async function lock(path) {
  for (;;) {
    try {
      mkdirSync(path);
      return () => rmSync(path, { recursive: true, force: true });
    } catch {
      const s = statSync(path, { throwIfNoEntry: false });
      if (s && Date.now() - s.mtimeMs > STALE_LOCK_MS) rmSync(path, { recursive: true, force: true });
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}
