import { ensureWebAppBuilt } from '@krypton-web/build/web-app';
import { main as bridge } from './cli.ts';

/** `pnpm start`: builds the web app when its build is missing or older than its sources, then runs the bridge in demo mode. */
export async function main(argv: string[] = process.argv.slice(2)): Promise<number> {
  const started = Date.now();
  try {
    await ensureWebAppBuilt({ onBuild: () => process.stdout.write('Building the web app (once; again only after its sources change)…\n') });
  } catch (e) {
    process.stderr.write(`start: the web app did not build:\n${(e as Error).message}\n`);
    return 1;
  }
  if (Date.now() - started > 1000) process.stdout.write(`Built in ${Math.round((Date.now() - started) / 1000)} s.\n`);
  return bridge(['--lab', ...argv], 'Krypton Web');
}
