/**
 * `pnpm lab modem --stdio`: the Huawei modem emulator on stdin/stdout as raw bytes, so `socat` can
 * put it behind a real pseudo-terminal that serial clients open like /dev/ttyUSB2:
 *   socat -d pty,raw,echo=0,link=/tmp/krypton-modem0 EXEC:"pnpm lab modem --stdio --urc-noise"
 * Only modem bytes go to stdout; diagnostics go to stderr.
 */
import { parseArgs } from 'node:util';
import { VirtualUsim } from '../card/index.ts';
import { UsageError, intFlag, type CommandIo } from '../cli/usage-error.ts';
import { resolveSim } from '../vpcd/vcard-command.ts';
import { HuaweiModemEmulator, type HuaweiModemOptions } from './huawei-modem.ts';
import { MODEM_PERSONALITY_NAMES, personalityOptions, type ModemPersonality } from './personalities.ts';

const HELP = `usage: pnpm lab modem --stdio [--sim NAME|FILE[#NAME]] [--urc-noise] [--slow-ms N] [--no-csim] [--csim-9000]
Speaks AT as a Huawei MS2131 stick over a virtual USIM on stdin/stdout (raw bytes; diagnostics on stderr)
until stdin closes or SIGTERM. Put it behind a pseudo-terminal with socat:
  socat -d pty,raw,echo=0,link=/tmp/krypton-modem0 EXEC:"pnpm lab modem --stdio --urc-noise"
  --sim NAME          a demo SIM (default demo); FILE: a profile JSON file (FILE#NAME picks one SIM)
  --urc-noise         unsolicited ^RSSI/^HCSQ/^DSFLOWRPT/^MODE/... lines, also inside responses
  --urc-interval-ms N milliseconds between periodic URCs with --urc-noise (default 1500; 0: only inside responses)
  --seed N            seed of the URC noise (default 1)
  --slow-ms N         wait N ms before answering each command
  --no-csim           firmware without AT+CSIM (COMMAND NOT SUPPORT)
  --csim-9000         firmware that follows 61xx/6Cxx itself and answers data with 9000
  --echo-off          start with echo off (real sticks start with it on)
  --sim-absent        empty SIM slot (+CME ERROR: 10)
  --lowercase-hex     +CSIM: answers in lowercase hex
  --spaces            +CSIM: 4, "9000" (a space after the comma)
  --iccid-swapped     ^ICCID: prints EF_ICCID's raw nibble-swapped bytes
  --personality NAME  a named firmware personality (MODEM_PERSONALITIES: huawei, logical-channels, select-refused, ...);
                      the flags above add to it
On a terminal, stdin goes raw (Enter sends \r, as a modem wants; Ctrl-C or Ctrl-D stops).`;

/** The parsed command line. */
export interface ModemArgs {
  sim: string;
  options: HuaweiModemOptions;
  help: boolean;
}

/** Parses the `modem` flags; throws UsageError with a one-line message. */
export function parseModemArgs(argv: readonly string[]): ModemArgs {
  let values;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: false,
      options: {
        stdio: { type: 'boolean' },
        sim: { type: 'string' },
        'urc-noise': { type: 'boolean' },
        'urc-interval-ms': { type: 'string' },
        seed: { type: 'string' },
        'slow-ms': { type: 'string' },
        'no-csim': { type: 'boolean' },
        'csim-9000': { type: 'boolean' },
        'echo-off': { type: 'boolean' },
        'sim-absent': { type: 'boolean' },
        'lowercase-hex': { type: 'boolean' },
        spaces: { type: 'boolean' },
        'iccid-swapped': { type: 'boolean' },
        personality: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  const help = values.help ?? false;
  if (!help && !values.stdio) throw new UsageError('--stdio is required (the emulator speaks on stdin/stdout; see --help for socat)');
  const sim = values.sim ?? 'demo';
  if (sim.length === 0) throw new UsageError('--sim needs a demo SIM name or a profile file');
  const slowMs = intFlag('slow-ms', values['slow-ms'], 0, 60_000);
  const intervalMs = intFlag('urc-interval-ms', values['urc-interval-ms'], 0, 3_600_000);
  const seed = intFlag('seed', values.seed, 0, 0xffffffff);
  if (!values['urc-noise'] && (intervalMs !== undefined || seed !== undefined))
    throw new UsageError('--urc-interval-ms and --seed need --urc-noise');
  const personality = values.personality;
  if (personality !== undefined && !(MODEM_PERSONALITY_NAMES as string[]).includes(personality))
    throw new UsageError(`--personality ${personality}: not one of ${MODEM_PERSONALITY_NAMES.join(', ')}`);
  const options: HuaweiModemOptions = {
    ...(personality === undefined ? {} : personalityOptions(personality as ModemPersonality)),
    echo: !values['echo-off'] && (personality === undefined || personalityOptions(personality as ModemPersonality).echo !== false),
    ...(values['urc-noise']
      ? { urcNoise: { ...(seed === undefined ? {} : { seed }), ...(intervalMs === undefined ? {} : { intervalMs }) } }
      : {}),
    ...(slowMs ? { slowMs } : {}),
    ...(values['no-csim'] ? { noCsim: true } : {}),
    ...(values['csim-9000'] ? { csimDirect9000: true } : {}),
    ...(values['sim-absent'] ? { simAbsent: true } : {}),
    ...(values['lowercase-hex'] ? { lowercaseHex: true } : {}),
    ...(values.spaces ? { spaces: true } : {}),
    ...(values['iccid-swapped'] ? { iccidSwapped: true } : {}),
  };
  return { sim, options, help };
}

/** The byte streams the emulator speaks on; process.stdin/stdout unless a test passes its own. */
export interface ModemStdio {
  input: NodeJS.ReadableStream;
  output: NodeJS.WritableStream;
}

/**
 * Runs the emulator on stdin/stdout until stdin ends, stdout breaks or `io.stopSignal` resolves;
 * returns 0. Bad flags or an unknown SIM throw UsageError (the lab CLI prints one line, exit 2).
 */
export async function modemCommand(
  argv: string[],
  io: CommandIo,
  stdio: ModemStdio = { input: process.stdin, output: process.stdout },
): Promise<number> {
  const args = parseModemArgs(argv);
  if (args.help) {
    io.stdout(HELP);
    return 0;
  }
  let card: VirtualUsim;
  try {
    card = await VirtualUsim.create(await resolveSim(args.sim), { t0Responses: true });
  } catch (e) {
    throw new UsageError(`--sim ${args.sim}: ${(e as Error).message}`);
  }
  const modem = new HuaweiModemEmulator(card, args.options);
  await modem.ready;
  const { input, output } = stdio;
  let stop!: (why: string) => void;
  const stopped = new Promise<string>((resolve) => (stop = resolve));
  const onOutputError = (e: Error) => stop(`stdout failed: ${e.message}`);
  output.on('error', onOutputError);
  const detach = modem.attach((bytes) => {
    output.write(bytes);
  });
  // A terminal in cooked mode would turn Enter into "\n" and echo by itself; a modem wants "\r"
  // and does its own echo. Raw mode also turns Ctrl-C and Ctrl-D into bytes, so they stop us here.
  const tty = rawTerminal(input);
  const onData = (chunk: Buffer | string) => {
    const bytes = typeof chunk === 'string' ? new TextEncoder().encode(chunk) : new Uint8Array(chunk);
    if (tty && (bytes.includes(0x03) || bytes.includes(0x04))) stop(bytes.includes(0x03) ? 'Ctrl-C' : 'Ctrl-D');
    else modem.receive(bytes);
  };
  const onEnd = () => stop('stdin closed');
  const onInputError = (e: Error) => stop(`stdin failed: ${e.message}`);
  input.on('data', onData);
  input.on('end', onEnd);
  input.on('close', onEnd);
  input.on('error', onInputError);
  io.stderr(`modem: Huawei ${modem.settings.echo ? '' : '(echo off) '}MS2131 emulator on stdio, SIM "${card.name}" (IMSI ${card.imsi})`);
  const why = await Promise.race([stopped, io.stopSignal.then((signal) => `${signal}`)]);
  input.off('data', onData);
  input.off('end', onEnd);
  input.off('close', onEnd);
  input.off('error', onInputError);
  output.off('error', onOutputError);
  detach();
  modem.unplug();
  tty?.setRawMode(false);
  // stdin keeps the event loop alive while it is open; we are done with it either way.
  input.pause();
  if ('destroy' in input && typeof input.destroy === 'function') (input as { destroy(): void }).destroy();
  io.stderr(`modem: stopped (${why})`);
  return 0;
}

/** Puts a terminal stdin into raw mode and returns it; undefined for pipes and sockets (socat's default). */
function rawTerminal(input: NodeJS.ReadableStream): { setRawMode(mode: boolean): unknown } | undefined {
  const candidate = input as NodeJS.ReadableStream & { isTTY?: boolean; setRawMode?: (mode: boolean) => unknown };
  if (!candidate.isTTY || typeof candidate.setRawMode !== 'function') return undefined;
  const tty = {
    setRawMode: (mode: boolean) => {
      try {
        candidate.setRawMode!(mode);
      } catch {
        // The terminal hung up (EIO): there is no mode left to restore.
      }
    },
  };
  tty.setRawMode(true);
  return tty;
}
