import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { main } from './cli.ts';

const webDir = fileURLToPath(new URL('../../web', import.meta.url));

/** The newest modification time under a folder (sources of the web app and the packages it bundles). */
function newest(dir: string): number {
  let t = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === 'node_modules' || entry.name === 'dist' || entry.name === 'test' || entry.name.startsWith('.')) continue;
    const p = join(dir, entry.name);
    t = Math.max(t, entry.isDirectory() ? newest(p) : statSync(p).mtimeMs);
  }
  return t;
}

/** `pnpm start`: builds the web app when its build is missing or older than its sources, then runs the bridge in demo mode. */
export async function start(argv: string[]): Promise<number> {
  const index = join(webDir, 'dist', 'index.html');
  const sources = [join(webDir, 'src'), join(webDir, 'index.html'), ...['krypton-core', 'sim-transport', 'krypton-lab'].map((p) => fileURLToPath(new URL(`../../../packages/${p}/src`, import.meta.url)))];
  const stale = !existsSync(index) || sources.some((s) => existsSync(s) && (statSync(s).isDirectory() ? newest(s) : statSync(s).mtimeMs) > statSync(index).mtimeMs);
  if (stale) {
    process.stdout.write('Building the web app (once; again only after its sources change)…\n');
    const r = spawnSync('pnpm', ['--filter', '@krypton-web/web', 'run', 'build'], { stdio: ['ignore', 'inherit', 'inherit'] });
    if (r.status !== 0) {
      process.stderr.write('start: the web app did not build; the errors are above\n');
      return 1;
    }
  }
  return main(['--lab', ...argv], 'Krypton Web');
}
