/**
 * The workspace as the architecture tests read it: every package's manifest, every source file,
 * and every import in it (static, dynamic and re-exports, type-only ones included).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { ROOT, workspacePackages } from '@krypton-web/build/workspace';

export { ROOT };

/** One workspace package. */
export interface Pkg {
  name: string;
  /** Path from the root, e.g. "packages/krypton-core". */
  dir: string;
  json: {
    name: string;
    dependencies?: Record<string, string>;
    devDependencies?: Record<string, string>;
    peerDependencies?: Record<string, string>;
    optionalDependencies?: Record<string, string>;
    exports?: Record<string, string>;
    bin?: Record<string, string>;
    bundles?: Record<string, string>;
  };
}

/** Every workspace package (the folders pnpm-workspace.yaml lists), as the workspace's build reads them. */
export function packages(): Pkg[] {
  return workspacePackages().map((p) => ({ name: p.name, dir: relative(ROOT, p.dir).split(sep).join('/'), json: p.json as Pkg['json'] }));
}

/** A source file and the module specifiers it imports. */
export interface SourceFile {
  /** Path from the root. */
  path: string;
  imports: string[];
}

const SOURCE = /\.(ts|mts|js|mjs|svelte)$/;
const SKIP_DIRS = new Set(['node_modules', 'dist', 'test-results', '.lab-data']);

/** Every source file of a package, with its imports. */
export function sourceFiles(pkg: Pkg): SourceFile[] {
  const out: SourceFile[] = [];
  const walk = (dir: string): void => {
    for (const entry of readdirSync(join(ROOT, dir), { withFileTypes: true })) {
      const path = `${dir}/${entry.name}`;
      if (entry.isDirectory()) {
        if (!SKIP_DIRS.has(entry.name)) walk(path);
      } else if (SOURCE.test(entry.name) || (dir.endsWith('/bin') && !entry.name.includes('.'))) {
        out.push({ path, imports: importsOf(readFileSync(join(ROOT, path), 'utf8')) });
      }
    }
  };
  walk(pkg.dir);
  return out;
}

/** The module specifiers a source text imports or re-exports (comments ignored). */
export function importsOf(text: string): string[] {
  const code = text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:'"`\\])\/\/.*$/gm, '$1');
  const found: string[] = [];
  const patterns = [
    /\b(?:import|export)\s+(?:type\s+)?[\w*${}\s,]*?\s*from\s*['"]([^'"]+)['"]/g,
    /\bimport\s*['"]([^'"]+)['"]/g,
    /\bimport\s*\(\s*['"]([^'"]+)['"]\s*\)/g,
    /\btypeof\s+import\s*\(\s*['"]([^'"]+)['"]\s*\)/g,
  ];
  for (const pattern of patterns) for (const m of code.matchAll(pattern)) found.push(m[1]!);
  return [...new Set(found)];
}

/** Whether a file exists only for tests: a test, a test helper, or anything under a `test` folder. */
export function isTestFile(path: string): boolean {
  return /\.test\.ts$|\.test-support\.ts$/.test(path) || path.split('/').includes('test');
}

/** Whether a file is a test helper (by the one naming convention). */
export function isTestHelper(path: string): boolean {
  return /\.test-support\.ts$/.test(path);
}

/** The workspace package a bare specifier names ("@krypton-web/x/sub" → "@krypton-web/x"). */
export function packageOf(specifier: string): string | undefined {
  if (specifier.startsWith('.') || specifier.startsWith('/') || specifier.startsWith('node:')) return undefined;
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
}

/** Resolves a relative specifier of `from` to a path from the root. */
export function resolveRelative(from: string, specifier: string): string {
  return relative(ROOT, resolve(ROOT, dirname(from), specifier))
    .split(sep)
    .join('/');
}
