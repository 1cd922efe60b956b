/**
 * `pnpm lab vcard`: puts a virtual USIM built from a SIM profile into pcscd's vpcd reader, so any
 * PC/SC application (the bridge, SORACOM's CLI, pcsc_scan) sees a SIM in "Virtual PCD 00 00".
 */
import { existsSync, statSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { VirtualUsim } from '../card/index.ts';
import { checkQuirks, demoProfileSet, findSim, QuirkError, type CardQuirk, type SimProfile } from '../profiles/index.ts';
import { loadProfileSetFile } from '../profiles/profile-file.ts';
import { connectCardToVpcd, type VpcdEvent } from './connection.ts';

/** Debian's vsmartcard-vpcd config (/etc/reader.conf.d/vpcd) puts the first reader on 0x8C7B. */
export const DEFAULT_VPCD_ENDPOINT = { host: '127.0.0.1', port: 35963 } as const;

const HELP = `usage: pnpm lab vcard [--vpcd HOST:PORT] [--sim NAME|FILE[#NAME]] [--quirks Q,Q...] [--trace]
Puts a virtual USIM into pcscd's vsmartcard reader until Ctrl-C (which pulls the card out).
  --vpcd HOST:PORT  where vpcd listens (default 127.0.0.1:35963, Debian's "Virtual PCD 00 00";
                    port 35964 is "Virtual PCD 00 01"); the port may be written 0x8C7B
  --sim NAME        a demo SIM (default demo); FILE: a profile JSON file holding one SIM,
                    FILE#NAME to pick one SIM from a file holding several
  --quirks Q,Q...   make the card answer like a stricter UICC (added to the profile's own quirks):
                    no-partial-aid, no-p2-0c, no-path-select, no-sfi-6981, no-sfi-6a86, no-sfi-6a82,
                    ef-dir-others-first, t1-direct, chained-61xx, wrong-le-6c, imsi-behind-pin
  --trace           print each APDU exchange on stderr (=> command, <= response; PINs and
                    AUTHENTICATE output masked)
Needs pcscd with vsmartcard-vpcd (apt-get install pcscd vsmartcard-vpcd). Each APDU costs ~45 ms
through 127.0.0.1 (TCP delayed ACK); as root, a quickack route for 127.77.0.1 removes that:
  ip route replace local 127.77.0.1/32 dev lo table local scope host src 127.0.0.1 quickack 1
then use --vpcd 127.77.0.1:35963.`;

/** Where the command writes and when it stops: the lab CLI's io (one line per call). */
export interface VcardIo {
  stdout: (line: string) => void;
  stderr: (line: string) => void;
  /** Resolves when the command should stop (SIGINT/SIGTERM in the CLI). */
  stopSignal: Promise<string>;
}

/** A command line `vcard` cannot run; its message is printed as one line. */
export class VcardArgumentError extends Error {
  override readonly name = 'VcardArgumentError';
  readonly code = 'BAD_ARGUMENT';
}

/** The parsed command line. */
export interface VcardArgs {
  host: string;
  port: number;
  /** A demo SIM name, or a profile file path (optionally `#NAME`). */
  sim: string;
  /** Quirks added to the SIM profile's own (`--quirks`). */
  quirks: CardQuirk[];
  trace: boolean;
  help: boolean;
}

/** Parses `HOST:PORT` (IPv6 in brackets; port decimal or 0x hex). */
export function parseEndpoint(text: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:[\]]+)):((?:0[xX][0-9a-fA-F]+)|[0-9]+)$/.exec(text);
  if (!m) throw new VcardArgumentError(`--vpcd must be HOST:PORT (e.g. 127.0.0.1:35963), got "${text}"`);
  const port = Number(m[3]);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new VcardArgumentError(`--vpcd port must be from 1 to 65535, got ${m[3]}`);
  return { host: (m[1] ?? m[2])!, port };
}

/** Parses the `vcard` flags; throws VcardArgumentError with a one-line message. */
export function parseVcardArgs(argv: readonly string[]): VcardArgs {
  let values;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: false,
      options: {
        vpcd: { type: 'string' },
        sim: { type: 'string' },
        quirks: { type: 'string' },
        trace: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (e) {
    throw new VcardArgumentError((e as Error).message);
  }
  const endpoint = values.vpcd === undefined ? DEFAULT_VPCD_ENDPOINT : parseEndpoint(values.vpcd);
  const sim = values.sim ?? 'demo';
  if (sim.length === 0) throw new VcardArgumentError('--sim needs a demo SIM name or a profile file');
  const quirks = values.quirks === undefined ? [] : parseQuirkList(values.quirks, '--quirks');
  return { ...endpoint, sim, quirks, trace: values.trace ?? false, help: values.help ?? false };
}

// A comma-separated quirk list, checked as a profile's `quirks` is; errors become argument errors.
function parseQuirkList(list: string, where: string): CardQuirk[] {
  try {
    return checkQuirks(
      list
        .split(',')
        .map((q) => q.trim())
        .filter((q) => q !== ''),
      where,
    );
  } catch (e) {
    if (e instanceof QuirkError) throw new VcardArgumentError(e.message);
    throw e;
  }
}

/** The profile with extra quirks added to its own, checked together (a repeat or a contradiction is refused). */
export function withExtraQuirks(profile: SimProfile, extra: readonly CardQuirk[]): SimProfile {
  if (extra.length === 0) return profile;
  const own = profile.quirks ?? [];
  const quirks = [...own, ...extra.filter((q) => !own.includes(q))];
  return { ...profile, quirks: parseQuirkList(quirks.join(','), '--quirks') };
}

/** Resolves `--sim`: a demo SIM name, or a profile file (one SIM, or `FILE#NAME`). */
export async function resolveSim(spec: string): Promise<SimProfile> {
  const [path, name] = splitFileSpec(spec);
  if (path === undefined) return findSim(demoProfileSet(), spec);
  const set = await loadProfileSetFile(path);
  if (name !== undefined) return findSim(set, name);
  if (set.sims.length !== 1) {
    throw new VcardArgumentError(
      `${path} holds ${set.sims.length} SIMs; pick one with --sim ${path}#NAME (${set.sims.map((s) => s.name).join(', ')})`,
    );
  }
  return set.sims[0]!;
}

/** [file, name?] when `spec` names a file (a path, a .json name, or an existing file), else [undefined]. */
function splitFileSpec(spec: string): [string | undefined, string | undefined] {
  const hash = spec.lastIndexOf('#');
  const path = hash > 0 ? spec.slice(0, hash) : spec;
  const looksLikeFile = path.includes('/') || path.endsWith('.json') || (existsSync(path) && statSync(path).isFile());
  if (!looksLikeFile) return [undefined, undefined];
  return [path, hash > 0 ? spec.slice(hash + 1) : undefined];
}

/**
 * Runs `vcard` until `io.stopSignal` resolves and returns the exit code: 0 after a clean stop,
 * 2 for a bad command line or SIM (one line on stderr), 1 for anything else (one line too).
 */
export async function runVcard(argv: string[], io: VcardIo): Promise<number> {
  let args: VcardArgs;
  let profile: SimProfile;
  try {
    args = parseVcardArgs(argv);
    if (args.help) {
      io.stdout(HELP);
      return 0;
    }
    profile = withExtraQuirks(await resolveSim(args.sim), args.quirks);
  } catch (e) {
    io.stderr(`vcard: ${(e as Error).message}`);
    return 2;
  }
  try {
    const card = await VirtualUsim.create(profile);
    const where = `${args.host}:${args.port}`;
    let announced = false;
    let quietUntilConnected = false;
    const onEvent = (event: VpcdEvent): void => {
      switch (event.type) {
        case 'connected':
          if (!announced)
            io.stdout(`vcard: SIM "${profile.name}" (IMSI ${profile.imsi}) is in the vpcd reader at ${where}; Ctrl-C removes it`);
          else io.stderr(`vcard: back in the reader at ${where}`);
          announced = true;
          quietUntilConnected = false;
          return;
        case 'connect-failed':
          // One line per outage, not one per redial.
          if (!quietUntilConnected)
            io.stderr(`vcard: waiting for vpcd at ${where} (${event.reason}); is pcscd running with vsmartcard-vpcd?`);
          quietUntilConnected = true;
          return;
        case 'disconnected':
          if (event.retryInMs !== undefined) io.stderr(`vcard: vpcd at ${where} went away (${event.reason}); reconnecting`);
          quietUntilConnected = true;
          return;
        case 'error':
          io.stderr(`vcard: ${event.error.message}`);
          return;
        default:
          return;
      }
    };
    const trace = args.trace
      ? {
          write: (text: string) =>
            text
              .trimEnd()
              .split('\n')
              .forEach((line) => io.stderr(line)),
        }
      : undefined;
    const connection = connectCardToVpcd({ host: args.host, port: args.port, card, onEvent, ...(trace ? { trace } : {}) });
    await io.stopSignal;
    await connection.close();
    io.stderr('vcard: card removed');
    return 0;
  } catch (e) {
    const err = e as { code?: string; message?: string };
    io.stderr(`vcard: ${err.code ? `${err.code}: ` : ''}${err.message ?? String(e)}`);
    return 1;
  }
}
