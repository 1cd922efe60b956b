#!/usr/bin/env node
// @ts-check
// `krypton-build [--force]`: builds every command's bundle that is missing or stale (run by
// `pnpm install`; commands also rebuild themselves on start when their sources changed).
import { relative } from 'node:path';
import { buildBundle } from './bundle.mjs';
import { ROOT, workspacePackages } from './workspace.mjs';

const force = process.argv.includes('--force');
let failed = false;
for (const pkg of workspacePackages()) {
  for (const [name, entry] of Object.entries(pkg.bundles)) {
    try {
      const result = await buildBundle({ packageDir: pkg.dir, name, entry, force });
      const where = relative(ROOT, pkg.dir);
      process.stdout.write(
        result === 'fresh'
          ? `${name}: up to date (${where})\n`
          : `${name}: built in ${result.ms} ms from ${result.inputs} files (${where})\n`,
      );
    } catch (e) {
      failed = true;
      process.stderr.write(`${name}: the build failed: ${e instanceof Error ? e.message : String(e)}\n`);
    }
  }
}
process.exitCode = failed ? 1 : 0;
