/**
 * `pnpm lab replay FILE`: a transcript (krypton-cli -record, the bridge's --record) becomes a card in
 * pcscd's vpcd reader that answers as the recorded one did, so a field report can be run again here.
 */
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { parseTranscript, TranscriptError, type Transcript } from '@krypton-web/krypton-core';
import { demoProfileSet, type ProfileSet } from '../profiles/index.ts';
import { loadProfileSetFile } from '../profiles/profile-file.ts';
import { connectCardToVpcd, type VpcdEvent } from '../vpcd/connection.ts';
import { DEFAULT_VPCD_ENDPOINT, parseEndpoint } from '../vpcd/vcard-command.ts';
import { UsageError, type CommandIo } from '../cli/usage-error.ts';
import { ReplayCard } from './replay-card.ts';
import { ReplayModem } from './replay-modem.ts';

const HELP = `usage: pnpm lab replay FILE [--vpcd HOST:PORT | --stdio] [--profiles FILE] [--print-profile] [--summary]
Turns a transcript written by krypton-cli -record (or the bridge's --record) into a card that
answers the same commands the same way, in pcscd's vsmartcard reader until Ctrl-C.
  --vpcd HOST:PORT  where vpcd listens (default 127.0.0.1:35963, "Virtual PCD 00 00")
  --stdio           a transcript of a modem (AT lines): answer as that modem did on stdin/stdout,
                    to put behind socat as pnpm lab modem --stdio is
  --profiles FILE   lab SIM profiles to find the transcript's IMSI in (default: the demo SIMs)
  --print-profile   print the SIM profile set AUTHENTICATE is answered with, and exit; give it to
                    pnpm lab serve --profiles so the lab's HSS agrees with the replayed card
  --summary         print what the transcript holds (identity, APDU, AT and HTTP counts), and exit
AUTHENTICATE is answered by a lab USIM with the transcript's IMSI (its RES and CK were masked when
recorded); a command the transcript lacks is answered 6D00 and reported on stderr.
In-process, krypton-cli -interface virtual -sim FILE.jsonl replays the same way.`;

/** Reads and parses a transcript file; a missing or malformed file becomes a UsageError saying what to do. */
export async function loadTranscriptFile(path: string): Promise<Transcript> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    throw new UsageError(`cannot read ${path} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}); give a transcript file`);
  }
  try {
    return parseTranscript(text);
  } catch (e) {
    if (e instanceof TranscriptError) throw new UsageError(`${path}: ${e.message}. ${e.action}`);
    throw e;
  }
}

/** One line saying what a transcript holds. */
export function summarizeTranscript(t: Transcript): string {
  const n = (type: string) => t.events.filter((e) => e.type === type).length;
  return `${t.header.tool}, ${t.header.recordedAt}: ${t.header.identity.description}; ${n('apdu')} APDUs, ${n('at')} AT lines, ${n('http')} HTTP calls`;
}

/** Runs `lab replay`; returns the exit code (0 after a clean stop, 2 for a bad command line or file). */
export async function replayCommand(argv: string[], io: CommandIo): Promise<number> {
  let values;
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: true,
      options: {
        vpcd: { type: 'string' },
        profiles: { type: 'string' },
        'print-profile': { type: 'boolean' },
        summary: { type: 'boolean' },
        stdio: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  if (values.help) {
    io.stdout(HELP);
    return 0;
  }
  if (positionals.length !== 1) throw new UsageError('give one transcript file: pnpm lab replay FILE (--help for flags)');
  const transcript = await loadTranscriptFile(positionals[0]!);
  if (values.summary) {
    io.stdout(summarizeTranscript(transcript));
    return 0;
  }
  const profiles: ProfileSet = values.profiles ? await loadProfileSetFile(values.profiles) : demoProfileSet();
  if (values.stdio) return serveModem(positionals[0]!, transcript, profiles, io);
  const endpoint = values.vpcd === undefined ? DEFAULT_VPCD_ENDPOINT : parseEndpoint(values.vpcd);
  const card = await ReplayCard.create(transcript, { profiles, onDiagnostic: (d) => io.stderr(d.message) });
  if (values['print-profile']) {
    io.stdout(JSON.stringify({ sims: [card.profile], groups: profiles.groups }, null, 2));
    return 0;
  }
  const where = `${endpoint.host}:${endpoint.port}`;
  let announced = false;
  let waitingSaid = false;
  const onEvent = (event: VpcdEvent): void => {
    if (event.type === 'connected' && !announced) {
      announced = true;
      io.stdout(
        `replay: ${summarizeTranscript(transcript)} — in the vpcd reader at ${where} as SIM ${card.profile.imsi}; Ctrl-C removes it`,
      );
    } else if (event.type === 'connect-failed' && !waitingSaid) {
      // One line, not one per redial.
      waitingSaid = true;
      io.stderr(`replay: waiting for vpcd at ${where} (${event.reason}); is pcscd running with vsmartcard-vpcd?`);
    } else if (event.type === 'error') {
      io.stderr(`replay: ${event.error.message}`);
    }
  };
  const connection = connectCardToVpcd({ host: endpoint.host, port: endpoint.port, card, onEvent });
  await io.stopSignal;
  await connection.close();
  io.stderr(`replay: card removed (${card.diagnostics.length} commands were not in the transcript)`);
  return 0;
}

/** `--stdio`: the replayed modem on stdin/stdout (raw bytes; diagnostics on stderr) until stdin ends or a signal. */
async function serveModem(path: string, transcript: Transcript, profiles: ProfileSet, io: CommandIo): Promise<number> {
  if (!transcript.events.some((e) => e.type === 'at'))
    throw new UsageError(`${path} holds no AT lines (it was not recorded through a modem); leave out --stdio to replay its card`);
  const modem = await ReplayModem.create(transcript, { profiles, onDiagnostic: (d) => io.stderr(d.message) });
  const detach = modem.attach((bytes) => process.stdout.write(bytes));
  const onData = (chunk: Buffer) => modem.receive(new Uint8Array(chunk));
  let ended!: () => void;
  const stdinEnded = new Promise<void>((resolve) => (ended = resolve));
  process.stdin.on('data', onData);
  process.stdin.once('end', ended);
  io.stderr(`modem: replaying ${summarizeTranscript(transcript)} as SIM ${modem.card.profile.imsi}`);
  await Promise.race([stdinEnded, io.stopSignal]);
  process.stdin.off('data', onData);
  detach();
  process.stdin.pause();
  io.stderr(`modem: replay stopped (${modem.diagnostics.length} lines or APDUs were not in the transcript)`);
  return 0;
}
