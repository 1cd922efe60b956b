import {
  cardKeyOfAtr,
  cellularEndpoint,
  fromHex,
  KryptonClient,
  KryptonError,
  NoKeyCache,
  simEndpoint,
  Tracer,
  TranscriptRecorder,
  Usim,
  type FetchLike,
  type KeyCache,
  type KryptonEndpoint,
  type OperationName,
  type OperationParams,
  type OperationResult,
  type TraceSink,
} from '@krypton-web/krypton-core';
import { writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { FileCardPaths } from '@krypton-web/sim-transport/card-paths-file';
import { DebugLog } from './debug-log.ts';
import { CliError, EXIT_FAILURE, EXIT_OK, EXIT_SIGINT, EXIT_SIGTERM, errorDetailLines, errorLine, exitCodeFor } from './errors.ts';
import { defaultKeyCachePaths, FileKeyCache } from './key-cache/file-key-cache.ts';
import { closeWithin, type SimConnection } from './links/sim-connection.ts';
import { parseOptions, usageText, VERSION, type CliOptions } from './options.ts';
import { AnswerRecorder, goJson, type RecordedAnswer } from './output.ts';

/** Where a run reads and writes: the process, or a test. */
export interface CliIo {
  /** Text for stdout, newlines included. */
  stdout: (text: string) => void;
  /** Text for stderr, newlines included. */
  stderr: (text: string) => void;
  env: NodeJS.ProcessEnv;
  /** The home directory (key cache defaults). */
  home: string;
  /** Aborted on SIGINT/SIGTERM: the run stops, releases the SIM link and fails. */
  signal?: AbortSignal;
  /** fetch for every HTTP call (tests); the global fetch by default. */
  fetch?: typeof fetch;
}

/**
 * Runs krypton-cli once and returns its exit code: 0 done, 1 failed (one line on stderr saying what
 * to do), 2 a command line Go's flag package would refuse. Only the answer goes to stdout.
 */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  let options: CliOptions | undefined;
  let debug: DebugLog | undefined;
  const held = new Set<SimConnection>();
  try {
    options = parseOptions(argv);
    debug = options.debug ? new DebugLog(io.stderr) : undefined;
    if (debug && options.ignored.length > 0)
      debug.log(`ignored arguments after the flags: ${options.ignored.map((a) => JSON.stringify(a)).join(' ')}`);
    return await interruptible(dispatch(options, io, debug, held), io.signal);
  } catch (e) {
    // An interrupt leaves the run where it was: let go of the SIM link now, not when the run notices.
    await Promise.all([...held].map((link) => closeWithin(() => link.close())));
    io.stderr(`${errorLine(e)}\n`);
    if (debug) for (const line of errorDetailLines(e)) debug.log(line);
    return e instanceof CliError && e.code === 'ABORTED' ? (io.signal?.reason === 'SIGTERM' ? EXIT_SIGTERM : EXIT_SIGINT) : exitCodeFor(e);
  }
}

async function dispatch(options: CliOptions, io: CliIo, debug: DebugLog | undefined, held: Set<SimConnection>): Promise<number> {
  switch (options.mode) {
    case 'help':
      // Go's flag package prints usage on stderr, and SORACOM's CLI exits 0 after -h.
      io.stderr(usageText());
      return EXIT_OK;
    case 'version':
      io.stdout(`${VERSION}\n`);
      return EXIT_OK;
    case 'list-com-ports':
      return listComPorts(io, debug);
    case 'device-info':
      return deviceInfo(options, io, debug, held);
    case 'clear-key-cache':
      await clearKeyCache(io, debug);
      return EXIT_OK;
    case 'operation':
      return performOperation(options, io, debug, held);
  }
}

/** `-list-com-ports`: serial ports one per line, as SORACOM's CLI prints them (USB first; ptys are not listed). */
async function listComPorts(io: CliIo, debug: DebugLog | undefined): Promise<number> {
  // The links load on demand: -version, -h and usage errors stay quick.
  const { describeSerialPort, listSerialPorts } = await import('./links/sim-transport-node.ts');
  const ports = await listSerialPorts({ includeNonUsb: true });
  for (const p of ports) debug?.log(describeSerialPort(p));
  io.stdout(`${ports.map((p) => p.path).join('\n')}\n`);
  return EXIT_OK;
}

/** `-device-info -port-name PORT`: the modem's maker, model, firmware and IMEI. */
async function deviceInfo(options: CliOptions, io: CliIo, debug: DebugLog | undefined, held: Set<SimConnection>): Promise<number> {
  const { deviceInfoDetails, formatDeviceInfo, openModem } = await import('./links/modem-link.ts');
  const path = options.serial.portName!;
  const link = await openModem(path, options.serial, io.signal ? { signal: io.signal } : {});
  held.add(link);
  try {
    const info = await link.modem.deviceInfo();
    for (const line of deviceInfoDetails(info)) debug?.log(line);
    io.stdout(`${formatDeviceInfo(info)}\n`);
    return EXIT_OK;
  } finally {
    await closeWithin(() => link.close());
  }
}

function fileCache(io: CliIo, debug: DebugLog | undefined): FileKeyCache {
  const paths = defaultKeyCachePaths(io.env, io.home);
  return new FileKeyCache({ ...paths, onProblem: (m) => debug?.log(`key cache: ${m}`) });
}

async function clearKeyCache(io: CliIo, debug: DebugLog | undefined): Promise<void> {
  const cache = fileCache(io, debug);
  try {
    await cache.clear();
  } catch (e) {
    throw new CliError(
      `the key cache ${cache.paths.cacheFile} could not be removed: ${(e as Error).message}`,
      'Remove the file by hand',
      'STORAGE_UNAVAILABLE',
      { cause: e },
    );
  }
  debug?.log(`key cache cleared (${cache.paths.cacheFile})`);
}

/** Runs the named operation, or the -operation-path call. */
function callFor(options: CliOptions): (client: KryptonClient) => Promise<OperationResult> {
  const params: OperationParams = options.params;
  if (options.operationPath !== undefined) {
    const path = options.operationPath;
    return (client) => client.callPath(path, params);
  }
  const operation = options.operation!;
  return (client) => client.call(operation, params);
}

/**
 * Prints an answer the server refused as SORACOM's Go CLI does, so scripts written for it keep
 * working: status up to 400 → the body on stdout, exit 0 (bootstrapAwsIotThing: whatever the
 * status); above 400 → `unsuccessful response: <status line>` and the body on stderr, exit 1. Our
 * line saying what to do (with the server's code and message) follows on stderr either way.
 * Undefined when the failure was not a provisioning answer (transport, SIM, Keys API).
 */
function goStyleRefusal(e: unknown, options: CliOptions, recorder: AnswerRecorder, io: CliIo): number | undefined {
  const answer: RecordedAnswer | undefined = recorder.lastAnswer;
  // A 2xx whose body is not the JSON we expected: SORACOM's CLI prints the body without reading it.
  if (
    KryptonError.is(e, 'MALFORMED_ANSWER') &&
    answer !== undefined &&
    answer.status >= 200 &&
    answer.status <= 299 &&
    options.operation !== 'bootstrapInventoryDevice'
  ) {
    io.stdout(`${answer.text}\n`);
    return EXIT_OK;
  }
  if (!(e instanceof KryptonError) || e.details.step !== 'provisioning' || !answer || answer.status !== e.details.status) return undefined;
  if (answer.status <= 400 || options.operation === 'bootstrapAwsIotThing') {
    io.stdout(`${answer.text}\n`);
    io.stderr(`${errorLine(e)}\n`);
    return EXIT_OK;
  }
  io.stderr(`unsuccessful response: ${answer.statusLine}\n${answer.text}\n${errorLine(e)}\n`);
  return EXIT_FAILURE;
}

async function performOperation(options: CliOptions, io: CliIo, debug: DebugLog | undefined, held: Set<SimConnection>): Promise<number> {
  const call = callFor(options);
  if (options.clearKeyCache) await clearKeyCache(io, debug);
  const recording = options.record
    ? new TranscriptRecorder({
        tool: `krypton-cli ${VERSION}`,
        identity: { link: options.cellular ? 'cellular' : options.interfaceType, description: 'not opened' },
      })
    : undefined;
  recording?.note(`operation ${options.operation ?? options.operationPath ?? ''}`);
  const tracer = new Tracer(fanOut(debug?.trace, recording?.trace));
  const baseFetch: FetchLike = io.fetch ? (input, init) => io.fetch!(input, init) : (input, init) => fetch(input, init);
  const recorder = new AnswerRecorder(recording ? recording.wrapFetch(baseFetch) : baseFetch);
  let code: number;
  try {
    code = await performWith(options, io, debug, held, { call, tracer, recorder, recording });
  } catch (e) {
    // The failed run is the one worth reporting; its own error is the one to show, not the file's.
    if (recording) await writeRecording(options.record!, recording, debug).catch(() => undefined);
    throw e;
  }
  if (recording) await writeRecording(options.record!, recording, debug);
  return code;
}

/** What performOperation set up for one run. */
interface RunParts {
  call: (client: KryptonClient) => Promise<OperationResult>;
  tracer: Tracer;
  recorder: AnswerRecorder;
  recording: TranscriptRecorder | undefined;
}

/** One sink that hands every event to each of the given ones. */
function fanOut(...sinks: (TraceSink | undefined)[]): TraceSink | undefined {
  const present = sinks.filter((s): s is TraceSink => s !== undefined);
  if (present.length <= 1) return present[0];
  return (event) => {
    for (const sink of present) sink(event);
  };
}

/** Writes the transcript; a run that failed still leaves it, since that is the run worth reporting. */
async function writeRecording(path: string, recording: TranscriptRecorder, debug: DebugLog | undefined): Promise<void> {
  try {
    await writeFile(path, recording.toJsonl(), { mode: 0o644 });
    const c = recording.counts();
    debug?.log(`transcript written to ${path} (${c.apdu} APDUs, ${c.http} HTTP calls, ${c.at} AT lines)`);
  } catch (e) {
    throw new CliError(
      `the transcript could not be written to ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
      'Give -record a path in a writable directory',
      'STORAGE_UNAVAILABLE',
      { cause: e },
    );
  }
}

async function performWith(
  options: CliOptions,
  io: CliIo,
  debug: DebugLog | undefined,
  held: Set<SimConnection>,
  { call, tracer, recorder, recording }: RunParts,
): Promise<number> {
  const operation = options.operation;
  // Only a failure after the provisioning answer may be printed from it: an earlier one (SIM, Keys API) is ours alone.
  const refused = (e: unknown): number => {
    const code = goStyleRefusal(e, options, recorder, io);
    if (code === undefined) throw e;
    if (debug) for (const line of errorDetailLines(e)) debug.log(line);
    return code;
  };

  if (options.cellular) {
    debug?.log(`cellular endpoint ${options.provisioningApiUrl}: no SIM access, no key`);
    const client = new KryptonClient({ endpoint: cellularEndpoint(options.provisioningApiUrl), tracer, fetch: recorder.fetch });
    let result: OperationResult;
    try {
      result = await call(client);
    } catch (e) {
      return refused(e);
    }
    io.stdout(render(operation, result.body, recorder));
    return EXIT_OK;
  }

  const endpoint: KryptonEndpoint = simEndpoint('global', {
    keysApiUrl: options.keysApiUrl,
    provisioningApiUrl: options.provisioningApiUrl,
  });
  const keyCache: KeyCache = options.disableKeyCache ? new NoKeyCache() : fileCache(io, debug);
  // What a card refused is remembered beside the key cache (no secret in it): the next run on that card
  // make goes straight. -disable-key-cache leaves the cache folder alone altogether.
  const cardPaths = options.disableKeyCache
    ? undefined
    : new FileCardPaths(join(dirname(defaultKeyCachePaths(io.env, io.home).cacheFile), 'card-paths.json'));
  debug?.log(
    options.disableKeyCache
      ? 'key cache disabled: the SIM authenticates on every run'
      : `key cache ${(keyCache as FileKeyCache).paths.cacheFile}`,
  );

  let link: SimConnection | undefined;
  try {
    const { openSimLink } = await import('./links/open-link.ts');
    link = await openSimLink(options, {
      debug,
      signal: io.signal,
      tracer,
      ...(recording ? { atTap: (dir: 'send' | 'recv', line: string) => recording.at(dir, line) } : {}),
    });
    held.add(link);
    // Interrupted while the link was opening: runCli has answered already; only let go of the link.
    io.signal?.throwIfAborted();
    debug?.log(`SIM link: ${link.description}`);
    recording?.identify({ description: link.description, ...link.identity });
    // A field report wants the modem's maker and model; a link that cannot say is recorded without them.
    if (recording && link.describe) recording.identify(await link.describe().catch(() => ({})));
    const usim =
      link.usim ??
      new Usim(link.transport, {
        tracer,
        ...(link.imsiSource ? { imsiSource: link.imsiSource } : {}),
        ...(link.simInfoSource ? { simInfoSource: link.simInfoSource } : {}),
        // A reader knows the card's ATR before any command: the path of that card make is known at once.
        ...(cardPaths ? { cardPaths } : {}),
        ...(cardPaths && link.identity?.atr ? { cardKey: cardKeyOfAtr(fromHex(link.identity.atr)) } : {}),
      });
    await verifyPinFromEnv(usim, io.env, debug);
    const client = new KryptonClient({ endpoint, sim: usim, keyCache, tracer, fetch: recorder.fetch });
    let result: OperationResult;
    try {
      result = await call(client);
    } catch (e) {
      io.signal?.throwIfAborted();
      return refused(e);
    }
    io.signal?.throwIfAborted();
    if (result.key)
      debug?.log(
        result.key.fromCache
          ? 'signed with the cached key (no key agreement)'
          : `signed with a new key${result.key.resynchronised ? ' (after resynchronising the SIM)' : ''}`,
      );
    io.stdout(render(operation, result.body, recorder));
    return EXIT_OK;
  } finally {
    if (link) await closeWithin(() => link!.close());
  }
}

/** KRYPTON_SIM_PIN: verifies PIN1 when the SIM asks for it (SORACOM's CLI has no way to). */
async function verifyPinFromEnv(usim: Usim, env: NodeJS.ProcessEnv, debug: DebugLog | undefined): Promise<void> {
  const pin = env.KRYPTON_SIM_PIN;
  if (!pin) return;
  const state = await usim.pinState();
  if (!state.enabled || state.verified) return;
  debug?.log('verifying PIN1 from KRYPTON_SIM_PIN');
  await usim.verifyPin(pin);
}

/** The operation's answer as SORACOM's CLI prints it. */
function render(operation: OperationName | undefined, body: unknown, recorder: AnswerRecorder): string {
  // SORACOM's CLI builds this one itself: the server's answer filtered to three keys, key derived.
  if (operation === 'bootstrapInventoryDevice') return `${goJson(body)}\n`;
  const raw = recorder.lastProvisioningAnswer ?? (typeof body === 'string' ? body : JSON.stringify(body));
  return `${raw}\n`;
}

/** Races the run against an interrupt; the run's own `finally` blocks still close the link. */
async function interruptible(run: Promise<number>, signal: AbortSignal | undefined): Promise<number> {
  if (!signal) return run;
  if (signal.aborted) throw interrupted(signal);
  return new Promise<number>((resolve, reject) => {
    const onAbort = () => reject(interrupted(signal));
    signal.addEventListener('abort', onAbort, { once: true });
    run.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

function interrupted(signal: AbortSignal): CliError {
  const reason = typeof signal.reason === 'string' ? signal.reason : 'a signal';
  return new CliError(`interrupted by ${reason}`, 'Run again when ready', 'ABORTED');
}
