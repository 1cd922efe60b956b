// @ts-check
/** The workspace's packages and the commands they bundle (the `bundles` field of a package.json). */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root (this file is tools/build/src/workspace.mjs). */
export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');

/**
 * The folders pnpm-workspace.yaml lists as `- <folder>/*`: where the workspace's packages are.
 * @returns {string[]}
 */
function packageGroups() {
  return readFileSync(join(ROOT, 'pnpm-workspace.yaml'), 'utf8')
    .split('\n')
    .flatMap((line) => /^\s*-\s*([\w-]+)\/\*\s*$/.exec(line)?.[1] ?? []);
}

/**
 * @typedef {{ dir: string; name: string; bundles: Record<string, string>; json: Record<string, unknown> }} WorkspacePackage
 */

/**
 * Every workspace package with its manifest.
 * @returns {WorkspacePackage[]}
 */
export function workspacePackages() {
  /** @type {WorkspacePackage[]} */
  const out = [];
  for (const group of packageGroups()) {
    const groupDir = join(ROOT, group);
    if (!existsSync(groupDir)) continue;
    for (const entry of readdirSync(groupDir, { withFileTypes: true })) {
      const file = join(groupDir, entry.name, 'package.json');
      if (!entry.isDirectory() || !existsSync(file)) continue;
      const json = JSON.parse(readFileSync(file, 'utf8'));
      out.push({ dir: join(groupDir, entry.name), name: json.name, bundles: json.bundles ?? {}, json });
    }
  }
  return out;
}
