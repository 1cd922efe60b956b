import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { FetchLike } from '@krypton-web/krypton-core';
import { ChecklistError, DEFAULT_CHECKLIST, parseChecklist, toCsv, toReportJson, type Checklist } from '@krypton-web/sim-check';
import { CliError, EXIT_FAILURE, EXIT_OK, EXIT_SIGINT, EXIT_SIGTERM, EXIT_USAGE, errorLine } from '../errors.ts';
import { FlagError } from '../flags/go-flags.ts';
import { closeWithin } from '../links/sim-connection.ts';
import { TerminalBatch } from './batch.ts';
import { checkSim, type BatchSettings } from './check-one.ts';
import type { LaneHost } from './lanes.ts';
import { runModemLane } from './modem-lane.ts';
import { checkSimsUsage, parseCheckSimsOptions, USAGE, type CheckSimsOptions } from './options.ts';
import { PcscLanes } from './pcsc-lanes.ts';
import { BatchPin, type SecretPrompt } from './pin.ts';
import { JsonlLog, writeFileAtomically } from './report-file.ts';
import { checkS3 } from './s3.ts';
import { reportObjects, uploadReport } from './upload.ts';

/** Where a check-sims run reads and writes: the process, or a test. */
export interface CheckSimsIo {
  /** Results and the summary, newlines included. */
  stdout: (text: string) => void;
  /** Notices and errors, newlines included. */
  stderr: (text: string) => void;
  env: NodeJS.ProcessEnv;
  /**
   * The first SIGINT/SIGTERM (its reason names it). Without --watch it stops the run (130/143); with
   * --watch a SIGINT ends the batch: the checks in flight finish, then report, upload and summary.
   */
  signal?: AbortSignal;
  /** A second signal: every check stops at once, nothing more is uploaded. */
  hardSignal?: AbortSignal;
  /** Asks for the batch PIN without echo (a terminal); absent: PIN-enabled SIMs need KRYPTON_SIM_PIN. */
  askSecret?: SecretPrompt;
  now?: () => number;
  /** fetch for the Krypton calls (tests); the global fetch by default. */
  fetch?: FetchLike;
}

/**
 * Runs check-sims once and returns its exit status: 0 every SIM of the batch passed (WARN included),
 * 1 a SIM failed or nothing was checked or the run could not go on, 2 a wrong command line or
 * checklist, 130/143 interrupted.
 */
export async function runCheckSims(argv: readonly string[], io: CheckSimsIo): Promise<number> {
  let options: CheckSimsOptions;
  let checklist: Checklist;
  try {
    options = parseCheckSimsOptions(argv);
    if (options.mode === 'help') {
      io.stdout(checkSimsUsage());
      return EXIT_OK;
    }
    checklist = await loadChecklist(options.checklistFile);
  } catch (e) {
    io.stderr(`check-sims: ${usageLine(e)}\n`);
    return e instanceof FlagError || (e instanceof CliError && e.code === USAGE) ? EXIT_USAGE : EXIT_FAILURE;
  }
  return runBatch(options, checklist, io);
}

async function runBatch(options: CheckSimsOptions, checklist: Checklist, io: CheckSimsIo): Promise<number> {
  const now = io.now ?? (() => Date.now());
  const say = (text: string) => io.stderr(`check-sims: ${text}\n`);
  const stopTaking = new AbortController();
  const abortAll = new AbortController();
  let stoppedBy: string | undefined;
  const stopAll = (reason: unknown) => {
    stoppedBy ??= typeof reason === 'string' ? reason : 'SIGINT';
    abortAll.abort(reason);
  };
  io.signal?.addEventListener(
    'abort',
    () => {
      if (options.watch && io.signal!.reason === 'SIGINT') {
        say('ending the batch: the checks in progress finish first (Ctrl-C again stops at once)');
        stopTaking.abort();
      } else stopAll(io.signal!.reason);
    },
    { once: true },
  );
  io.hardSignal?.addEventListener('abort', () => stopAll(io.hardSignal!.reason), { once: true });
  if (io.signal?.aborted) stopAll(io.signal.reason);

  let log: JsonlLog | undefined;
  let batch: TerminalBatch;
  try {
    const earlier = options.outFile ? await JsonlLog.open(options.outFile) : undefined;
    log = earlier?.log;
    const results = earlier?.earlier.results ?? [];
    if (earlier && earlier.earlier.skipped > 0)
      say(
        `${earlier.earlier.skipped} line(s) of ${options.outFile} are not whole results and were skipped (a line torn by a crash or power cut; every whole row is kept)`,
      );
    const batchId = results.at(-1)?.batchId ?? randomUUID();
    batch = new TerminalBatch(batchId, results, { stdout: io.stdout, stderr: io.stderr, now }, log);
    if (results.length > 0)
      say(`continuing batch ${batchId} from ${options.outFile}: ${batch.ledger.rows().length} SIM(s) checked before are not checked again`);
  } catch (e) {
    await log?.close().catch(() => undefined);
    say(errorLine(e));
    return EXIT_FAILURE;
  }

  const settings: BatchSettings = {
    batchId: batch.batchId,
    checklist,
    endpoint: options.endpoint,
    cognitoEndpoint: options.cognitoEndpoint,
    s3: checklist.s3 ? checkS3(options.s3Endpoint ? { endpoint: options.s3Endpoint } : {}) : undefined,
    pin: new BatchPin(io.env.KRYPTON_SIM_PIN, io.askSecret, say),
    previous: options.recheck ? () => undefined : (iccid) => batch.ledger.previous(iccid),
    ...(options.region ? { defaultRegion: options.region } : {}),
    ...(io.fetch ? { fetch: io.fetch } : {}),
  };

  let fatal: unknown;
  const host: LaneHost = {
    addLane: (name) => batch.addLane(name),
    notice: (lane, text) => (lane === undefined ? say(text) : batch.laneNotice(lane, text)),
    check: async (lane, connection, cardSignal) => {
      try {
        batch.laneNotice(lane, 'checking…');
        const outcome = await checkSim(connection, lane, settings, AbortSignal.any([cardSignal, abortAll.signal]));
        // The card is let go (reset) before its line is printed: a person pulls it at the sight of the
        // line, and a reset racing the removal leaves some readers unable to power the next card.
        await closeWithin(() => connection.close());
        // Stopped by Ctrl-C, not by the card: the row would claim the SIM left the reader.
        if (abortAll.signal.aborted && !cardSignal.aborted) return batch.laneNotice(lane, 'check stopped: not recorded');
        if (outcome.kind === 'already-checked') return batch.alreadyChecked(lane, outcome.previous);
        // Out before even its ICCID was read: no SIM to put a row against (and none is shown).
        if (outcome.result.interrupted && !outcome.result.iccid) return batch.laneNotice(lane, 'card out before it could be read');
        await batch.record(outcome.result, outcome.credentials);
      } catch (e) {
        // The log cannot be written (disk full, file gone): stop, rather than check SIMs whose rows would be lost.
        fatal ??= e;
        stopAll('failure');
      }
    },
  };

  let pcsc: PcscLanes | undefined;
  try {
    const lanes: Promise<void>[] = [];
    if (options.lanes.readers) {
      pcsc = await PcscLanes.open(options.lanes.readers, host, abortAll.signal);
      lanes.push(options.watch ? pcsc.watch(stopTaking.signal) : pcsc.checkPresent(options.waitMs));
    }
    if (options.lanes.port)
      lanes.push(runModemLane(options.lanes.port, host, { watch: options.watch, stop: stopTaking.signal, abort: abortAll.signal }));
    for (const outcome of await Promise.allSettled(lanes)) if (outcome.status === 'rejected') fatal ??= outcome.reason;
  } catch (e) {
    fatal ??= e;
  } finally {
    await pcsc?.close().catch(() => undefined);
    await log?.close().catch(() => undefined);
  }

  const interrupted = stoppedBy !== undefined && stoppedBy !== 'failure';
  const rows = batch.ledger.rows();
  const at = now();
  const csv = toCsv(rows);
  if (options.csvFile) {
    try {
      await writeFileAtomically(options.csvFile, csv);
      say(`report written: ${options.csvFile} (${rows.length} SIM${rows.length === 1 ? '' : 's'})`);
    } catch (e) {
      fatal ??= e;
    }
  }
  if (options.upload) {
    if (interrupted || fatal !== undefined) say('the report was not uploaded: the batch did not end normally');
    else {
      try {
        const objects = reportObjects(options.upload, batch.batchId, at, {
          csv,
          json: toReportJson(rows, { batchId: batch.batchId, exportedAt: at }),
        });
        const stored = await uploadReport(batch.credentials, options.upload, objects, {
          region: options.region,
          place: options.s3Endpoint ? { endpoint: options.s3Endpoint } : {},
          now: at,
        });
        for (const o of stored) io.stdout(`uploaded: s3://${o.bucket}/${o.key}  ${o.url}  (Content-MD5 ${o.md5})\n`);
      } catch (e) {
        fatal ??= e;
      }
    }
  }
  io.stdout(batch.summary());
  if (fatal !== undefined) {
    say(errorLine(fatal));
    return EXIT_FAILURE;
  }
  if (interrupted) return stoppedBy === 'SIGTERM' ? EXIT_SIGTERM : EXIT_SIGINT;
  if (rows.length === 0) say('no SIM was checked');
  return batch.exitStatus() === 0 ? EXIT_OK : EXIT_FAILURE;
}

/** The checklist file, validated (a wrong one is a usage error: nothing has been checked yet). */
async function loadChecklist(file: string | undefined): Promise<Checklist> {
  if (file === undefined) return DEFAULT_CHECKLIST;
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    throw new CliError(
      `cannot read the checklist ${file} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`,
      'Give an existing JSON file with --checklist',
      USAGE,
    );
  }
  try {
    return parseChecklist(JSON.parse(text) as unknown, file);
  } catch (e) {
    if (e instanceof ChecklistError) throw new CliError(e.message, e.action, USAGE);
    throw new CliError(`${file} is not valid JSON`, 'Fix the checklist file (see check-sims -h for its fields)', USAGE);
  }
}

/** A command-line problem in one line, with where to read the flags. */
function usageLine(e: unknown): string {
  if (e instanceof FlagError) return `${e.message} (check-sims -h lists the flags)`;
  return errorLine(e);
}
