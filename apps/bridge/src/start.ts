import { ensureBuilt } from '../../web/build/ensure-built.ts';
import { main } from './cli.ts';

/** `pnpm start`: builds the web app when its build is missing or older than its sources, then runs the bridge in demo mode. */
export async function start(argv: string[]): Promise<number> {
  const started = Date.now();
  try {
    await ensureBuilt({ onBuild: () => process.stdout.write('Building the web app (once; again only after its sources change)…\n') });
  } catch (e) {
    process.stderr.write(`start: the web app did not build:\n${(e as Error).message}\n`);
    return 1;
  }
  if (Date.now() - started > 1000) process.stdout.write(`Built in ${Math.round((Date.now() - started) / 1000)} s.\n`);
  return main(['--lab', ...argv], 'Krypton Web');
}
