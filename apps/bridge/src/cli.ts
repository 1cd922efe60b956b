import { homedir } from 'node:os';
import { parseArgs } from 'node:util';
import { WEB_DIST } from '@krypton-web/build/web-app';
import { Logger, startBridge, type BridgeOptions } from '@krypton-web/bridge-server';
import { defaultCardPathsFile, FileCardPaths } from '@krypton-web/sim-transport/card-paths-file';

const HELP = `usage: pnpm bridge [--port N] [--lab] [--allow-origin ORIGIN]... [--expect-origin ORIGIN]... [--ipv6] [--no-pcsc] [--dev-raw-apdu] [--record DIR]
                  [--modem PATH]... [--no-usb-modems]
Serves the Krypton Web app at http://127.0.0.1:<port>/ (default 8787), carries PC/SC card readers and
USB modems to it over a WebSocket, and forwards its Krypton calls to SORACOM.
  --lab             demo mode: mount the lab (virtual SIM reader, emulated Krypton, Cognito and S3)
  --allow-origin O  trust another origin from the start (e.g. the Vite dev server http://localhost:5173)
  --expect-origin O an origin that will ask for approval (e.g. the app hosted on another port): the
                    approval queue always keeps room for it, whatever other pages ask
  --ipv6            also listen on [::1]
  --no-pcsc         do not use pcscd
  --modem PATH      offer this serial port as a modem too (repeatable; a port not on USB, e.g. a socat pty);
                    USB modems (ttyUSB*, ttyACM* on the USB bus) are listed without it, /dev/ttyS* never
  --no-usb-modems   do not list USB serial ports (only the ports named with --modem)
  --dev-raw-apdu    let approved pages send raw APDUs (development only)
  --record DIR      write a transcript of each SIM session to DIR when it ends (APDUs, the page's
                    Krypton calls through the proxy, timings, reader and ATR; PINs, RES, CK, IK and Kc
                    masked, no bodies or header values), for a bug report or pnpm lab replay; calls
                    made with no session open go to one proxy transcript per run, written as they happen`;

/** A command line the bridge cannot run. */
export class BridgeUsageError extends Error {
  override readonly name = 'BridgeUsageError';
}

/** Parses the bridge's command line. */
export function parseBridgeArgs(argv: string[]): BridgeOptions | 'help' {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        port: { type: 'string' },
        lab: { type: 'boolean' },
        'allow-origin': { type: 'string', multiple: true },
        'expect-origin': { type: 'string', multiple: true },
        ipv6: { type: 'boolean' },
        'no-pcsc': { type: 'boolean' },
        'dev-raw-apdu': { type: 'boolean' },
        record: { type: 'string' },
        modem: { type: 'string', multiple: true },
        'no-usb-modems': { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (e) {
    throw new BridgeUsageError((e as Error).message);
  }
  if (values.help) return 'help';
  let port = 8787;
  if (values.port !== undefined) {
    if (!/^[0-9]+$/.test(values.port) || Number(values.port) < 1 || Number(values.port) > 65535)
      throw new BridgeUsageError(`--port must be from 1 to 65535, got "${values.port}"`);
    port = Number(values.port);
  }
  return {
    port,
    lab: values.lab ?? false,
    allowOrigins: values['allow-origin'] ?? [],
    ...(values['expect-origin'] ? { expectOrigins: values['expect-origin'] } : {}),
    ipv6: values.ipv6 ?? false,
    pcsc: !values['no-pcsc'],
    rawApdu: values['dev-raw-apdu'] ?? false,
    ...(values.record !== undefined ? { recordDir: recordDir(values.record) } : {}),
    modems: { paths: modemPaths(values.modem ?? []), discover: !values['no-usb-modems'] },
  };
}

function modemPaths(paths: string[]): string[] {
  for (const p of paths)
    if (!p.startsWith('/')) throw new BridgeUsageError(`--modem needs an absolute device path, e.g. /dev/ttyUSB2, not "${p}"`);
  return paths;
}

function recordDir(value: string): string {
  if (value.trim() === '') throw new BridgeUsageError('--record needs a directory, e.g. --record ./transcripts');
  return value;
}

/** Runs the bridge until SIGINT/SIGTERM; returns the exit code. */
export async function main(argv: string[] = process.argv.slice(2), banner = 'Krypton Web bridge'): Promise<number> {
  let options;
  try {
    options = parseBridgeArgs(argv);
  } catch (e) {
    process.stderr.write(`bridge: ${(e as Error).message}\n`);
    return 2;
  }
  if (options === 'help') {
    process.stdout.write(`${HELP}\n`);
    return 0;
  }
  const log = new Logger();
  let bridge;
  try {
    // What each card make refused is kept beside krypton-cli's key cache: the next bridge goes straight.
    const cardPaths = new FileCardPaths(defaultCardPathsFile(process.env, homedir()));
    bridge = await startBridge({ ...options, webRoot: WEB_DIST, log, cardPaths });
  } catch (e) {
    process.stderr.write(`bridge: ${(e as Error).message}\n`);
    return 1;
  }
  process.stdout.write(
    `${banner}${bridge.lab ? ' (demo mode: virtual SIM and the local lab)' : ''} — open ${bridge.url.replace('127.0.0.1', 'localhost')}/ in Chrome\n`,
  );
  const signal = await new Promise<string>((resolve) => {
    for (const s of ['SIGINT', 'SIGTERM'] as const) process.once(s, () => resolve(s));
  });
  log.info(`${signal}: closing card sessions and stopping`);
  await bridge.close();
  return 0;
}
