import type { SerialChannel } from '../serial-channel.ts';
import { AtError, classifyFinal, finalError, type AtFinal } from './at-errors.ts';
import { AtLineSplitter, DEFAULT_MAX_LINE_LENGTH, type AtToken } from './at-lines.ts';
import { commandName, isUrc, parseUrc, type AtUrc } from './at-urc.ts';

/** The timer functions the engine uses; injectable so tests can drive time. */
export interface AtTimers {
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

/** Time limits, in milliseconds. */
export interface AtTimeouts {
  /** Any command without a better default. */
  default: number;
  /** `AT+CSIM`: the card itself may take a while (AUTHENTICATE), and some modems are slow to relay. */
  csim: number;
  /** `AT+COPS?`, `AT+COPS=…`, `AT+CFUN`, `AT+CGATT`: the modem may wait on the network. */
  network: number;
  /** `AT+COPS=?`: a full network scan takes minutes. */
  networkScan: number;
  /** Each of the two steps of resynchronising after a timeout. */
  resync: number;
}

/** Defaults: generous enough for a slow Huawei stick, short enough that a dead port is noticed. */
export const DEFAULT_AT_TIMEOUTS: Readonly<AtTimeouts> = {
  default: 5_000,
  csim: 10_000,
  network: 30_000,
  networkScan: 180_000,
  resync: 3_000,
};

/** Options of an AT engine. */
export interface AtEngineOptions {
  /** Timer functions (globalThis's by default). */
  timers?: AtTimers;
  /** Time limits; missing ones take DEFAULT_AT_TIMEOUTS. */
  timeouts?: Partial<AtTimeouts>;
  /** Commands allowed to wait behind the one in flight (16). */
  maxQueue?: number;
  /** Longest line kept (2048 characters); longer ones are dropped and fail the command they belong to. */
  maxLineLength?: number;
  /** Most information lines one answer may have (64); more fail the command. */
  maxResponseLines?: number;
}

/** Per-command options. */
export interface AtCommandOptions {
  /** Overrides the default time limit of this command. */
  timeoutMs?: number;
  /** Gives up on the command (waiting or in flight). */
  signal?: AbortSignal;
  /**
   * Whether a timeout makes the engine resynchronise before the next command (default true).
   * Turn it off only for probes whose late answer is harmless and which the caller follows with `resync()`.
   */
  resyncOnTimeout?: boolean;
}

/** A successful answer: the information lines before `OK`, without echo and URCs. */
export interface AtResponse {
  readonly lines: readonly string[];
}

/** What the engine reports besides answers. */
export interface AtEngineEvents {
  /** An unsolicited result code, already removed from any answer. */
  urc: AtUrc;
  /** The port went away; every pending command has failed with this error. */
  disconnect: AtError;
}

/** The engine's lifecycle. */
export type AtEngineState = 'open' | 'closed' | 'disconnected';

/** Longest command accepted: an AT+CSIM of a 261-byte APDU is 536 characters. */
const MAX_COMMAND_LENGTH = 600;
/** Commands that change the USB port layout (the AT port may vanish for good) or hang Huawei firmware. */
const FORBIDDEN: readonly { pattern: RegExp; why: string }[] = [
  { pattern: /\^U2DIAG/, why: 'it rewrites the USB port layout, and the AT port may never come back' },
  { pattern: /\^SETPORT/, why: 'it rewrites the USB port layout, and the AT port may never come back' },
  { pattern: /\+CCID/, why: 'it hangs some Huawei firmware; AT^ICCID? reads the ICCID instead' },
];
/** The resynchronisation command and the line only its answer contains. */
const RESYNC_COMMAND = 'AT+CMEE?';
const RESYNC_MARKER = /^\+CMEE\s*:/i;
const ESC = 0x1b;

type Settle = { resolve: (r: AtResponse) => void; reject: (e: AtError) => void };

interface Entry extends Settle {
  readonly command: string;
  /** The command without arguments, for messages (arguments may hold APDUs or a PIN). */
  readonly verb: string;
  readonly name: string | undefined;
  /** Whether NO CARRIER is this command's final result (it dials, answers or goes online). */
  readonly call: boolean;
  readonly timeoutMs: number;
  readonly resyncOnTimeout: boolean;
  readonly signal: AbortSignal | undefined;
  /** Set for the engine's own resynchronisation: step 1 waits for the marker, step 2 for any final result. */
  resync?: { step: 1 | 2; marker: boolean };
  lines: string[];
  /** Whether an information line arrived (after which a line equal to the command is no echo). */
  started: boolean;
  /** Whether the line naming this command's answer arrived (a second one of a URC name is a URC). */
  answered: boolean;
  /** Why the answer cannot be trusted, though the modem may still end it with OK. */
  corrupt: string | undefined;
  timer: unknown;
  onAbort: (() => void) | undefined;
}

/**
 * Runs AT commands over a SerialChannel, one at a time: later ones wait in order (up to a bound);
 * echo lines and unsolicited result codes are taken out of answers (URCs become `urc` events, even
 * between `+CSIM:` and `OK`); `OK`, `ERROR`, `+CME ERROR`, `+CMS ERROR`, `COMMAND NOT SUPPORT` end
 * a command. After a timeout the engine resynchronises before the next command: it sends
 * `AT+CMEE?` and discards everything until that answer's `+CMEE:` line and final result, so late
 * lines of the timed-out command can never be read as the next command's answer (if `AT+CMEE?` is
 * not answered, a plain `AT` follows). Pure of platform: it needs only the channel and timers.
 */
export class AtEngine {
  readonly name: string;
  private readonly timers: AtTimers;
  private readonly timeouts: AtTimeouts;
  private readonly maxQueue: number;
  private readonly maxResponseLines: number;
  private readonly splitter: AtLineSplitter;
  private readonly queue: Entry[] = [];
  private readonly resyncWaiters: Settle[] = [];
  private readonly listeners: { [K in keyof AtEngineEvents]: Set<(value: AtEngineEvents[K]) => void> } = {
    urc: new Set(),
    disconnect: new Set(),
  };
  private current: Entry | undefined;
  private needsResync = false;
  private stateNow: AtEngineState = 'open';
  private endError: AtError | undefined;
  private closing: Promise<void> | undefined;
  private echoes = 0;

  constructor(
    private readonly channel: SerialChannel,
    options: AtEngineOptions = {},
  ) {
    this.name = channel.name;
    this.timers = options.timers ?? {
      setTimeout: (f, ms) => globalThis.setTimeout(f, ms),
      clearTimeout: (h) => globalThis.clearTimeout(h as ReturnType<typeof globalThis.setTimeout>),
    };
    // Only the limits given: an explicit `undefined` must not replace a default (a timer of undefined ms fires at once).
    const given = Object.entries(options.timeouts ?? {}).filter(([, ms]) => ms !== undefined);
    this.timeouts = { ...DEFAULT_AT_TIMEOUTS, ...(Object.fromEntries(given) as Partial<AtTimeouts>) };
    this.maxQueue = options.maxQueue ?? 16;
    this.maxResponseLines = options.maxResponseLines ?? 64;
    this.splitter = new AtLineSplitter(options.maxLineLength ?? DEFAULT_MAX_LINE_LENGTH);
    channel.start({ onData: (chunk) => this.onData(chunk), onClose: (error) => this.onClose(error) });
  }

  /** `open`, `closed` (by close()) or `disconnected` (the port went away). */
  get state(): AtEngineState {
    return this.stateNow;
  }

  /** How many echoed command lines were dropped so far: whether the modem echoes, where `ATE?` cannot be asked. */
  get echoedLines(): number {
    return this.echoes;
  }

  /** The default time limit of a command (see AtTimeouts). */
  timeoutFor(command: string): number {
    const name = commandName(command);
    // Logical-channel commands reach the card as AT+CSIM does.
    if (name === '+CSIM' || name === '+CGLA' || name === '+CCHO' || name === '+CCHC') return this.timeouts.csim;
    if (name === '+COPS' && /=\s*\?$/.test(command)) return this.timeouts.networkScan;
    if (name === '+COPS' || name === '+CFUN' || name === '+CGATT') return this.timeouts.network;
    return this.timeouts.default;
  }

  /**
   * Sends one command (`AT…`, without the trailing CR) when its turn comes, and resolves with its
   * information lines on `OK`; rejects with an AtError for any other outcome.
   */
  send(command: string, options: AtCommandOptions = {}): Promise<AtResponse> {
    const verb = verbOf(command);
    const refused = checkCommand(command, verb);
    if (refused) return Promise.reject(refused);
    if (this.endError) return Promise.reject(this.endError);
    if (options.signal?.aborted) return Promise.reject(aborted(verb, false));
    if (this.queue.length >= this.maxQueue)
      return Promise.reject(
        new AtError('QUEUE_FULL', `Too many AT commands are waiting for ${this.name} (${this.maxQueue}); ${verb} was not sent`, {
          command: verb,
        }),
      );
    const timeoutMs = options.timeoutMs ?? this.timeoutFor(command);
    if (!(timeoutMs > 0))
      return Promise.reject(new AtError('REFUSED', `The time limit of ${verb} must be positive, got ${timeoutMs} ms`, { command: verb }));
    return new Promise<AtResponse>((resolve, reject) => {
      const entry = newEntry(command, verb, timeoutMs, options, { resolve, reject });
      if (entry.signal) {
        const signal = entry.signal;
        entry.onAbort = () => this.abort(entry);
        signal.addEventListener('abort', entry.onAbort, { once: true });
      }
      this.queue.push(entry);
      this.pump();
    });
  }

  /** Resynchronises now (before anything queued later): resolves once the modem answers again. */
  resync(): Promise<void> {
    if (this.endError) return Promise.reject(this.endError);
    this.needsResync = true;
    const done = new Promise<void>((resolve, reject) => this.resyncWaiters.push({ resolve: () => resolve(), reject }));
    this.pump();
    return done;
  }

  /** Subscribes to `urc` or `disconnect`; returns the unsubscribe function. */
  on<K extends keyof AtEngineEvents>(event: K, listener: (value: AtEngineEvents[K]) => void): () => void {
    this.listeners[event].add(listener);
    return () => this.listeners[event].delete(listener);
  }

  /** Fails the command in flight and every waiting one with CLOSED, then closes the channel. Idempotent. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      if (!this.endError) {
        this.stateNow = 'closed';
        this.endError = new AtError('CLOSED', `The AT link to ${this.name} is closed`);
        this.failAll(this.endError);
      }
      await this.channel.close().catch(() => undefined);
    })();
    return this.closing;
  }

  private pump(): void {
    if (this.current || this.endError) return;
    // Lazily: a resync runs when something waits for it, so a dead modem is not polled forever.
    if (this.needsResync && (this.queue.length > 0 || this.resyncWaiters.length > 0)) {
      this.start(this.resyncEntry(1));
      return;
    }
    const next = this.queue.shift();
    if (next) this.start(next);
  }

  private resyncEntry(step: 1 | 2): Entry {
    const command = step === 1 ? RESYNC_COMMAND : 'AT';
    const entry = newEntry(command, command, this.timeouts.resync, {}, { resolve: () => undefined, reject: () => undefined });
    entry.resync = { step, marker: false };
    return entry;
  }

  private start(entry: Entry): void {
    this.current = entry;
    entry.timer = this.timers.setTimeout(() => this.onTimeout(entry), entry.timeoutMs);
    // The answer may arrive before write() resolves, so the entry is current before writing.
    this.channel.write(ascii(`${entry.command}\r`)).catch((e: unknown) => {
      if (this.current !== entry) return;
      const message = e instanceof Error ? e.message : String(e);
      this.finish(
        entry,
        new AtError('WRITE_FAILED', `Could not send ${entry.verb} to ${this.name}: ${message}`, { command: entry.verb, cause: e }),
      );
    });
  }

  private onData(chunk: Uint8Array): void {
    if (this.endError) return;
    for (const token of this.splitter.push(chunk)) this.onToken(token);
  }

  private onToken(token: AtToken): void {
    const entry = this.current;
    if (token.type === 'overflow') {
      if (entry && !entry.resync) entry.corrupt = 'a line of the answer was too long and was dropped';
      return;
    }
    if (token.type === 'prompt') {
      // A text prompt no command asked for: ESC leaves text mode, else our next commands would become SMS text.
      if (entry && !entry.resync) void this.channel.write(new Uint8Array([ESC])).catch(() => undefined);
      return;
    }
    this.onLine(token.text, entry);
  }

  private onLine(line: string, entry: Entry | undefined): void {
    if (!entry) {
      // Idle: a URC, or a late line of a command that has already given up (dropped).
      if (isUrc(line, undefined)) this.emit('urc', parseUrc(line));
      return;
    }
    if (entry.resync) {
      this.onResyncLine(line, entry);
      return;
    }
    if (!entry.started && line.toUpperCase() === entry.command.toUpperCase()) {
      this.echoes += 1;
      return;
    }
    const final = classifyFinal(line, entry.call);
    if (final) {
      this.onFinal(entry, final);
      return;
    }
    if (isUrc(line, { name: entry.name, answered: entry.answered })) {
      this.emit('urc', parseUrc(line));
      return;
    }
    entry.started = true;
    if (entry.name && lineName(line) === entry.name) entry.answered = true;
    if (entry.lines.length >= this.maxResponseLines) entry.corrupt = `the answer had more than ${this.maxResponseLines} lines`;
    else entry.lines.push(line);
  }

  private onResyncLine(line: string, entry: Entry): void {
    const step = entry.resync!;
    if (isUrc(line, { name: entry.name, answered: false })) {
      this.emit('urc', parseUrc(line));
      return;
    }
    if (RESYNC_MARKER.test(line)) {
      step.marker = true;
      return;
    }
    if (!classifyFinal(line)) return;
    // Step 1 waits for the final result after its marker (finals before it belong to the timed-out command).
    // Step 2 takes any final result, except the one right after a late `+CMEE:`, which ends step 1's AT+CMEE?.
    if (step.step === 1 ? step.marker : !step.marker) {
      this.needsResync = false;
      this.finishResync(entry, undefined);
    } else if (step.step === 2) {
      step.marker = false;
    }
  }

  private onFinal(entry: Entry, final: AtFinal): void {
    if (final.kind !== 'ok') this.finish(entry, finalError(final, entry.verb));
    else if (entry.corrupt)
      this.finish(
        entry,
        new AtError('BAD_RESPONSE', `Unexpected answer from ${this.name} to ${entry.verb}: ${entry.corrupt}`, { command: entry.verb }),
      );
    else this.finish(entry, { lines: entry.lines });
  }

  private onTimeout(entry: Entry): void {
    if (this.current !== entry) return;
    if (entry.resync) {
      if (entry.resync.step === 1) {
        // AT+CMEE? unanswered: late lines had their chance; any final result to a plain AT now means the modem is with us.
        this.timers.clearTimeout(entry.timer);
        this.current = undefined;
        this.start(this.resyncEntry(2));
        return;
      }
      const error = new AtError('TIMEOUT', `${this.name} stopped answering AT commands (no answer to AT after a timed-out command)`);
      this.finishResync(entry, error);
      return;
    }
    if (entry.resyncOnTimeout) this.needsResync = true;
    this.finish(
      entry,
      new AtError('TIMEOUT', `${this.name} did not answer ${entry.verb} within ${entry.timeoutMs} ms`, { command: entry.verb }),
    );
  }

  private abort(entry: Entry): void {
    const index = this.queue.indexOf(entry);
    if (index >= 0) {
      this.queue.splice(index, 1);
      entry.reject(aborted(entry.verb, false));
      return;
    }
    if (this.current !== entry) return;
    // Its answer is still on the way: resynchronise so it cannot become the next command's.
    this.needsResync = true;
    this.finish(entry, aborted(entry.verb, true));
  }

  private finish(entry: Entry, outcome: AtResponse | AtError): void {
    if (this.current !== entry) return;
    this.current = undefined;
    this.timers.clearTimeout(entry.timer);
    if (entry.onAbort) entry.signal?.removeEventListener('abort', entry.onAbort);
    if (outcome instanceof AtError) entry.reject(outcome);
    else entry.resolve(outcome);
    this.pump();
  }

  private finishResync(entry: Entry, error: AtError | undefined): void {
    if (this.current !== entry) return;
    this.current = undefined;
    this.timers.clearTimeout(entry.timer);
    const waiters = this.resyncWaiters.splice(0);
    if (error) {
      // The modem is not answering: fail what waits rather than give each its own long resync.
      for (const queued of this.queue.splice(0))
        this.settleFailed(queued, new AtError('TIMEOUT', `${error.message}; ${queued.verb} was not sent`, { command: queued.verb }));
      for (const w of waiters) w.reject(error);
    } else {
      for (const w of waiters) w.resolve({ lines: [] });
    }
    this.pump();
  }

  private settleFailed(entry: Entry, error: AtError): void {
    this.timers.clearTimeout(entry.timer);
    if (entry.onAbort) entry.signal?.removeEventListener('abort', entry.onAbort);
    entry.reject(error);
  }

  private failAll(error: AtError): void {
    const current = this.current;
    this.current = undefined;
    if (current) this.settleFailed(current, error);
    for (const queued of this.queue.splice(0)) this.settleFailed(queued, error);
    for (const w of this.resyncWaiters.splice(0)) w.reject(error);
  }

  private onClose(error: Error | undefined): void {
    if (this.endError) return;
    this.stateNow = 'disconnected';
    const why = error?.message ? `: ${error.message}` : '';
    this.endError = new AtError('DISCONNECTED', `The modem (${this.name}) went away${why}`, error ? { cause: error } : {});
    this.failAll(this.endError);
    this.emit('disconnect', this.endError);
    // Free whatever the platform still holds (reader locks, the port handle).
    void this.channel.close().catch(() => undefined);
  }

  private emit<K extends keyof AtEngineEvents>(event: K, value: AtEngineEvents[K]): void {
    for (const listener of [...this.listeners[event]]) {
      try {
        listener(value);
      } catch (e) {
        // A listener's bug must not break parsing; report it where unhandled errors go.
        queueMicrotask(() => {
          throw e;
        });
      }
    }
  }
}

function newEntry(command: string, verb: string, timeoutMs: number, options: AtCommandOptions, settle: Settle): Entry {
  return {
    ...settle,
    command,
    verb,
    name: commandName(command),
    call: /^AT(D|A$|O)/i.test(command),
    timeoutMs,
    resyncOnTimeout: options.resyncOnTimeout ?? true,
    signal: options.signal,
    lines: [],
    started: false,
    answered: false,
    corrupt: undefined,
    timer: undefined,
    onAbort: undefined,
  };
}

/** The command without its arguments (`AT+CSIM=8,"…"` → `AT+CSIM`), safe to put in a message. */
export function verbOf(command: string): string {
  const extended = /^AT[+^][A-Z0-9]+/i.exec(command);
  if (extended) return extended[0].toUpperCase();
  if (/^AT[A-Z&]?\d?$/i.test(command)) return command.toUpperCase();
  return command.slice(0, 3).toUpperCase();
}

/** Why the engine will not send a command, or undefined when it may. */
function checkCommand(command: string, verb: string): AtError | undefined {
  if (typeof command !== 'string' || !/^AT/i.test(command))
    return new AtError('REFUSED', 'An AT command starts with "AT"', { command: verb });
  if (command.length > MAX_COMMAND_LENGTH)
    return new AtError('REFUSED', `${verb} is longer than ${MAX_COMMAND_LENGTH} characters`, { command: verb });
  // Printable ASCII only: a CR or LF inside would smuggle a second command past the guard below.
  if (!/^[\x20-\x7e]*$/.test(command))
    return new AtError('REFUSED', `${verb} contains characters that are not printable ASCII`, { command: verb });
  const compact = command.toUpperCase().replace(/\s+/g, '');
  for (const { pattern, why } of FORBIDDEN) {
    if (pattern.test(compact))
      return new AtError('REFUSED', `Refusing to send ${pattern.source.replace(/\\/g, '')} to the modem: ${why}`, { command: verb });
  }
  return undefined;
}

function aborted(verb: string, sent: boolean): AtError {
  return new AtError(
    'ABORTED',
    sent ? `${verb} was cancelled while the modem was working on it` : `${verb} was cancelled before it was sent`,
    { command: verb },
  );
}

/** The `+NAME`/`^NAME` an information line starts with, upper case. */
function lineName(line: string): string | undefined {
  const m = /^([+^][A-Z0-9]+)\s*:/i.exec(line);
  return m ? m[1]!.toUpperCase() : undefined;
}

function ascii(text: string): Uint8Array {
  const out = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) out[i] = text.charCodeAt(i);
  return out;
}
