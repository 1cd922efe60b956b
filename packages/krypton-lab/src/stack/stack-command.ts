/**
 * `pnpm lab stack`: deals a box of virtual SIMs to several vpcd readers of pcscd on a timeline, as a
 * technician testing a box of SIMs with several card readers does, so a batch screen can be tried
 * with no hardware: each card goes in, stays while it is checked, comes out, and the next follows.
 */
import net from 'node:net';
import { parseArgs } from 'node:util';
import { UsageError, intFlag, type CommandIo } from '../cli/usage-error.ts';
import { DEMO_BOX_SIMS, demoProfileSet, findSim, type ProfileSet } from '../profiles/index.ts';
import { DEFAULT_VPCD_DRIVER, vpcdFriendlyName, vpcdReaderConfig, vpcdReaderNames } from '../rigs/pcscd.ts';
import { parseEndpoint } from '../vpcd/vcard-command.ts';
import { openCardStack, type CardStackEvent, type VpcdEndpoint } from './card-stack.ts';

/** Debian's vsmartcard-vpcd entry (/etc/reader.conf.d/vpcd): "Virtual PCD 00 00" on 0x8C7B, "00 01" on the next port. */
export const DEBIAN_VPCD_PORT = 35963;
const DEBIAN_VPCD_HOST = '127.0.0.1';
const MAX_READERS = 16;

const HELP = `usage: pnpm lab stack [--readers N] [--sims box|NAME,NAME...] [--every DURATION] [--hold DURATION]
                      [--vpcd HOST:PORT[,HOST:PORT...]] [--loop] [--trace]
Deals virtual SIMs to pcscd's vsmartcard (vpcd) readers on a timeline: SIM i goes into reader i mod N,
stays --hold, comes out; a new card goes in every --every. Each card is fresh from its profile (a
blocked SIM stays blocked). One line per card in or out; Ctrl-C pulls every card out and stops.
  --readers N       how many readers to feed (default 2, or as many as --vpcd lists; at most ${MAX_READERS})
  --sims LIST       SIM names, comma-separated, or "box" (default): the twelve-SIM demo box
                    ${DEMO_BOX_SIMS.join(', ')}
  --every DURATION  a new card every DURATION (default 2s; e.g. 500ms, 1.5s, 1m)
  --hold DURATION   how long each card stays in (default: until one --every before its reader's
                    next card, so N - 1 cards are in at once)
  --vpcd LIST       where each reader's vpcd listens, in reader order; default: Debian's system
                    pcscd, 127.0.0.1:35963 ("Virtual PCD 00 00") and 35964 ("Virtual PCD 00 01")
  --loop            start over after the last SIM, until Ctrl-C
  --trace           print each APDU exchange on stderr (PINs and AUTHENTICATE output masked)
Debian's vpcd entry gives two readers. More readers need more entries in /etc/reader.conf.d/, each
with its own FRIENDLYNAME, port pair and copy of the driver (vpcd keeps one set of sockets per driver
file); the command prints the entries to add when fewer readers answer than --readers.`;

/** The parsed command line. */
export interface StackArgs {
  readers: number;
  sims: string[];
  everyMs: number;
  holdMs: number | undefined;
  /** Explicit endpoints, or undefined for Debian's system ports. */
  vpcd: VpcdEndpoint[] | undefined;
  loop: boolean;
  trace: boolean;
  help: boolean;
}

/** Parses a duration: `500ms`, `2s`, `1.5s`, `1m`; a bare number is refused (seconds or milliseconds?). */
export function parseDuration(flag: string, text: string): number {
  const m = /^([0-9]+(?:\.[0-9]+)?)(ms|s|m)$/.exec(text.trim());
  if (!m) throw new UsageError(`--${flag} must be a duration such as 500ms, 2s or 1m, got "${text}"`);
  const ms = Number(m[1]) * { ms: 1, s: 1000, m: 60_000 }[m[2] as 'ms' | 's' | 'm'];
  if (ms > 3_600_000) throw new UsageError(`--${flag} must be at most an hour, got ${text}`);
  return Math.round(ms);
}

/** Parses the `stack` flags; throws UsageError with a one-line message. */
export function parseStackArgs(argv: readonly string[], profiles: ProfileSet = demoProfileSet()): StackArgs {
  let values;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: false,
      options: {
        readers: { type: 'string' },
        sims: { type: 'string' },
        every: { type: 'string' },
        hold: { type: 'string' },
        vpcd: { type: 'string' },
        loop: { type: 'boolean' },
        trace: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  const vpcd = values.vpcd === undefined ? undefined : values.vpcd.split(',').map((part) => endpoint(part.trim()));
  const readers = intFlag('readers', values.readers, 1, MAX_READERS) ?? vpcd?.length ?? 2;
  if (vpcd && vpcd.length !== readers) {
    throw new UsageError(`--readers ${readers} needs ${readers} vpcd endpoints, but --vpcd lists ${vpcd.length}`);
  }
  const sims = values.sims === undefined || values.sims === 'box' ? [...DEMO_BOX_SIMS] : values.sims.split(',').map((s) => s.trim());
  for (const name of sims) {
    if (name.length === 0) throw new UsageError('--sims has an empty name; give names separated by commas, or "box"');
    try {
      findSim(profiles, name);
    } catch (e) {
      throw new UsageError(`--sims: ${(e as Error).message}`);
    }
  }
  const everyMs = values.every === undefined ? 2000 : parseDuration('every', values.every);
  if (everyMs === 0) throw new UsageError('--every must be longer than 0');
  return {
    readers,
    sims,
    everyMs,
    holdMs: values.hold === undefined ? undefined : parseDuration('hold', values.hold),
    vpcd,
    loop: values.loop ?? false,
    trace: values.trace ?? false,
    help: values.help ?? false,
  };
}

function endpoint(text: string): VpcdEndpoint {
  try {
    return parseEndpoint(text);
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
}

/** Debian's system vpcd ports for `readers` readers: entry k (from 0) on 35963 + 2k and the next port. */
export function debianReaders(readers: number): { endpoint: VpcdEndpoint; name: string }[] {
  return Array.from({ length: readers }, (_, i) => ({
    endpoint: { host: DEBIAN_VPCD_HOST, port: DEBIAN_VPCD_PORT + i },
    name: vpcdReaderNames(vpcdFriendlyName(Math.floor(i / 2)))[i % 2]!,
  }));
}

/**
 * What to add to /etc/reader.conf.d/ so that Debian's pcscd offers `readers` vpcd readers, for the
 * entries whose ports did not answer (entry 0 is Debian's own file, /etc/reader.conf.d/vpcd).
 */
export function readerConfHint(readers: number, answering: ReadonlySet<number>): string {
  const lines: string[] = [];
  for (let entry = 0; entry < Math.ceil(readers / 2); entry++) {
    const port = DEBIAN_VPCD_PORT + 2 * entry;
    const needed = [port, port + 1].slice(0, readers - 2 * entry);
    if (needed.every((p) => answering.has(p))) continue;
    if (entry === 0) {
      lines.push(
        `# /etc/reader.conf.d/vpcd is Debian's own entry (apt-get install pcscd vsmartcard-vpcd):`,
        ...vpcdReaderConfig(port, DEFAULT_VPCD_DRIVER).trimEnd().split('\n'),
      );
      continue;
    }
    const driver = DEFAULT_VPCD_DRIVER.replace(/\.so$/, `-${entry + 1}.so`);
    lines.push(
      `# /etc/reader.conf.d/vpcd-${entry + 1} (readers "${vpcdReaderNames(vpcdFriendlyName(entry)).join('" and "')}"), after`,
      `#   cp ${DEFAULT_VPCD_DRIVER} ${driver}`,
      ...vpcdReaderConfig(port, driver, vpcdFriendlyName(entry)).trimEnd().split('\n'),
    );
  }
  if (lines.length > 0) lines.push('# then: systemctl restart pcscd');
  return lines.join('\n');
}

/** Whether something accepts TCP connections at `host:port` (vpcd listens while pcscd runs). */
function answers({ host, port }: VpcdEndpoint, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    socket.setTimeout(timeoutMs);
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.once('connect', () => done(true));
    socket.once('timeout', () => done(false));
    socket.once('error', () => done(false));
  });
}

const clock = (at: Date): string => at.toTimeString().slice(0, 8);

/** One output line for a card event. */
export function formatStackEvent(event: CardStackEvent, reader: string): string {
  return event.type === 'inserted'
    ? `${clock(event.at)} ${reader} ← ${event.sim} (ICCID ${event.iccid})`
    : `${clock(event.at)} ${reader} → removed (${event.sim})`;
}

/**
 * Runs `stack` until its timeline ends or `io.stopSignal` resolves, and returns the exit code: 0
 * after a clean end, 1 when the readers do not answer or a card could not go in (one line, plus the
 * reader.conf.d entries to add when Debian's pcscd has too few readers). Usage errors are thrown.
 */
export async function stackCommand(argv: string[], io: CommandIo): Promise<number> {
  const args = parseStackArgs(argv);
  if (args.help) {
    io.stdout(HELP);
    return 0;
  }
  const readers: { endpoint: VpcdEndpoint; name: string | undefined }[] = args.vpcd
    ? args.vpcd.map((endpoint) => ({ endpoint, name: undefined }))
    : debianReaders(args.readers);
  const label = (i: number) => readers[i]!.name ?? `reader ${i + 1} (${readers[i]!.endpoint.host}:${readers[i]!.endpoint.port})`;

  const answering = await Promise.all(readers.map((r) => answers(r.endpoint)));
  const silent = readers.filter((_, i) => !answering[i]).map((r) => `${r.endpoint.host}:${r.endpoint.port}`);
  if (silent.length > 0) {
    io.stderr(
      `stack: ${silent.length} of ${readers.length} vpcd readers do not answer (${silent.join(', ')}); is pcscd running with vsmartcard-vpcd readers there?`,
    );
    if (!args.vpcd) {
      io.stderr(`stack: for ${args.readers} readers, Debian's pcscd needs these reader entries:`);
      const ports = new Set(readers.filter((_, i) => answering[i]).map((r) => r.endpoint.port));
      readerConfHint(args.readers, ports)
        .split('\n')
        .forEach((line) => io.stderr(line));
    }
    return 1;
  }

  const stack = openCardStack({
    vpcd: readers.map((r) => r.endpoint),
    readerNames: readers.map((r) => r.name),
    ...(args.trace ? { trace: (reader: number, line: string) => io.stderr(`[${label(reader)}] ${line}`) } : {}),
  });
  stack.on((event) => io.stdout(formatStackEvent(event, label(event.reader))));
  const stop = new AbortController();
  void io.stopSignal.then(() => stop.abort());
  const hold = args.holdMs === undefined ? 'until shortly before its reader’s next card' : `${args.holdMs} ms`;
  io.stderr(
    `stack: ${args.sims.length} SIMs to ${readers.length} readers, one every ${args.everyMs} ms, each held ${hold}${args.loop ? ', looping' : ''}; Ctrl-C removes the cards`,
  );
  try {
    await stack.runTimeline({
      sims: args.sims,
      everyMs: args.everyMs,
      ...(args.holdMs !== undefined ? { holdMs: args.holdMs } : {}),
      loop: args.loop,
      signal: stop.signal,
    });
  } catch (e) {
    const err = e as { code?: string; message?: string };
    io.stderr(`stack: ${err.code ? `${err.code}: ` : ''}${err.message ?? String(e)}`);
    return 1;
  } finally {
    await stack.close();
  }
  io.stderr(stop.signal.aborted ? 'stack: stopped; every card removed' : 'stack: done; every card removed');
  return 0;
}
