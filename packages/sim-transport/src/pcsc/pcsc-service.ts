/**
 * One PC/SC context on pcscd: the readers it offers, their cards as they come and go, and the
 * context itself re-established with a backoff when pcscd goes away and comes back.
 *
 * Everything native goes through pcsclite (see pcsclite-binding.ts for the facts this file relies on).
 * Events are delivered synchronously from pcsclite's callbacks, so listeners must not block; every
 * native `close()` is deferred to a timer because a reader's mutex is held while its events run.
 */
import { PcscError, START_PCSCD, pcscFailure } from './pcsc-error.ts';
import { loadPcsclite, parseReaderList, type NativePcsc, type NativePcscFactory, type NativeReader } from './pcsclite-binding.ts';

/** A reader's card as pcscd reports it: none, one that answered reset, one that did not, or not known yet. */
export type PcscCardState = 'empty' | 'present' | 'mute' | 'unknown';

/** A reader and its card, as last reported by pcscd. */
export interface PcscReaderInfo {
  /** The reader name pcscd gives ("Virtual PCD 00 00", "Identiv uTrust 2700 R 00 00"). */
  readonly name: string;
  /** Whether a card is in the reader and answered reset. */
  readonly card: PcscCardState;
  /** The card's answer to reset; empty unless `card` is 'present'. */
  readonly atr: Uint8Array;
  // No "in use"/"exclusive" flags: pcscd updates them only with card events, so they would be stale.
}

/** What the service reports as readers, cards and pcscd come and go. */
export type PcscServiceEvent =
  | { type: 'reader-added'; reader: string }
  | { type: 'reader-removed'; reader: string }
  /** A card arrived (or replaced another); `mute` when it did not answer reset (its ATR is then empty). */
  | { type: 'card-inserted'; reader: string; atr: Uint8Array; mute: boolean }
  | { type: 'card-removed'; reader: string }
  /** pcscd went away: every reader is gone (each reported removed) until `service-restored`. */
  | { type: 'service-lost'; error: PcscError }
  /** A new context is established; `reader-added` (and `card-inserted`) follow for what pcscd offers now. */
  | { type: 'service-restored' };

/** The names of the service's events. */
export type PcscServiceEventType = PcscServiceEvent['type'];
/** The event object of one type. */
export type PcscServiceEventOf<T extends PcscServiceEventType> = Extract<PcscServiceEvent, { type: T }>;

/** Where the service is: answering, waiting for pcscd to come back, or closed. */
export type PcscServiceState = 'starting' | 'ready' | 'lost' | 'closed';

/** How the service waits for pcscd. */
export interface PcscServiceOptions {
  /** Delays between attempts to re-establish the context after pcscd went away: first, doubled up to max (defaults 100 and 2000 ms). */
  backoff?: { initialMs?: number; maxMs?: number };
  /** How long open() and listReaders() wait for pcscd to report its readers (default 3000 ms). */
  timeoutMs?: number;
}

/** Options of `waitForCard`. */
export interface WaitForCardOptions {
  /** Only this reader; default any reader. */
  reader?: string;
  /** How long to wait (default 30 s). */
  timeoutMs?: number;
  signal?: AbortSignal;
}

interface ReaderEntry {
  readonly name: string;
  readonly native: NativeReader;
  info: PcscReaderInfo;
  /** Whether pcscd has reported this reader's status at least once. */
  reported: boolean;
  /** The card event counter pcscd keeps in the upper 16 bits of the state. */
  counter: number | undefined;
}

interface Context {
  readonly native: NativePcsc;
  readonly readers: Map<string, ReaderEntry>;
  listed: boolean;
  dead: boolean;
}

/** What PcscTransport needs from its service, kept off the public surface. @internal */
export interface ServiceLink {
  /** The reader's native object and latest info; throws when the service is closed or pcscd is away. */
  reader(name: string): { native: NativeReader; info: PcscReaderInfo } | undefined;
  /** Names of the readers known now. */
  readerNames(): string[];
  /** Records that a transport holds the reader; throws if another one on this service does. */
  claim(name: string, holder: { close(): Promise<void> }): void;
  /** Forgets a holder (no-op for another holder). */
  unclaim(name: string, holder: { close(): Promise<void> }): void;
  /** Waits until `check` returns a value, re-checked on every change the service sees. */
  until<T>(check: () => T | undefined, timeoutMs: number, onTimeout: () => Error): Promise<T>;
}

const links = new WeakMap<PcscService, ServiceLink>();

/** The internal link of a service (for PcscTransport). @internal */
export function serviceLink(service: PcscService): ServiceLink {
  const link = links.get(service);
  if (!link) throw new TypeError('not a PcscService');
  return link;
}

const DEFAULT_TIMEOUT_MS = 3000;
const DEFAULT_WAIT_FOR_CARD_MS = 30_000;
const EMPTY = new Uint8Array(0);

type Listener = (event: PcscServiceEvent) => void;

/** The readers pcscd offers and their cards, followed through pcscd restarts, until `close()`. */
export class PcscService {
  readonly #factory: NativePcscFactory;
  readonly #timeoutMs: number;
  readonly #initialDelayMs: number;
  readonly #maxDelayMs: number;
  readonly #listeners = new Map<PcscServiceEventType, Set<Listener>>();
  readonly #waiters = new Set<() => void>();
  readonly #claims = new Map<string, { close(): Promise<void> }>();
  readonly #disposals = new Set<Promise<void>>();
  readonly #closedReaders = new WeakSet<NativeReader>();
  #state: PcscServiceState = 'starting';
  #ctx: Context | undefined;
  #lastError: PcscError | undefined;
  #delayMs: number;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #closing: Promise<void> | undefined;

  private constructor(factory: NativePcscFactory, options: PcscServiceOptions) {
    this.#factory = factory;
    this.#timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.#initialDelayMs = options.backoff?.initialMs ?? 100;
    this.#maxDelayMs = options.backoff?.maxMs ?? 2000;
    if (!(this.#timeoutMs > 0)) throw new RangeError('timeoutMs must be positive');
    if (!(this.#initialDelayMs > 0 && this.#maxDelayMs >= this.#initialDelayMs))
      throw new RangeError('backoff needs 0 < initialMs <= maxMs');
    this.#delayMs = this.#initialDelayMs;
    links.set(this, {
      reader: (name) => {
        this.#ensureUsable();
        const entry = this.#ctx?.readers.get(name);
        return entry && { native: entry.native, info: entry.info };
      },
      readerNames: () => [...(this.#ctx?.readers.keys() ?? [])],
      claim: (name, holder) => {
        this.#ensureUsable();
        if (this.#claims.has(name)) {
          throw new PcscError(
            'TRANSPORT_BUSY',
            'already-open',
            `The reader "${name}" is already open in this program: close that link first`,
          );
        }
        this.#claims.set(name, holder);
      },
      unclaim: (name, holder) => {
        if (this.#claims.get(name) === holder) this.#claims.delete(name);
      },
      until: (check, timeoutMs, onTimeout) => this.#until(check, timeoutMs, onTimeout),
    });
  }

  /**
   * Connects to pcscd and waits for its first list of readers (and their first status). Rejects with
   * TRANSPORT_FAILED when pcsclite cannot be loaded or pcscd is not running.
   */
  static async open(options: PcscServiceOptions = {}): Promise<PcscService> {
    let factory: NativePcscFactory;
    try {
      factory = await loadPcsclite();
    } catch (e) {
      throw new PcscError(
        'TRANSPORT_FAILED',
        'no-module',
        `PC/SC is not available: the pcsclite native module could not be loaded (${(e as Error).message}); reinstall with libpcsclite-dev and a C++ toolchain present`,
        { cause: e },
      );
    }
    const service = new PcscService(factory, options);
    try {
      try {
        service.#ctx = service.#establish();
      } catch (e) {
        throw pcscFailure('context', undefined, e);
      }
      await service.listReaders();
    } catch (e) {
      await service.close();
      throw e;
    }
    return service;
  }

  /** Where the service is now. */
  get state(): PcscServiceState {
    return this.#state;
  }

  /** The readers known now, in pcscd's order (empty while pcscd is away). */
  get readers(): PcscReaderInfo[] {
    if (this.#state !== 'ready') return [];
    return [...(this.#ctx?.readers.values() ?? [])].map((e) => copyInfo(e.info));
  }

  /** The readers with their cards, once pcscd has reported each; rejects when pcscd is away or the service closed. */
  listReaders(options: { timeoutMs?: number } = {}): Promise<PcscReaderInfo[]> {
    const timeoutMs = options.timeoutMs ?? this.#timeoutMs;
    return this.#until(
      () => {
        this.#ensureUsable();
        const ctx = this.#ctx;
        if (this.#state !== 'ready' || !ctx?.listed) return undefined;
        const entries = [...ctx.readers.values()];
        return entries.every((e) => e.reported) ? entries.map((e) => copyInfo(e.info)) : undefined;
      },
      timeoutMs,
      () =>
        new PcscError(
          'TIMEOUT',
          'no-service',
          `pcscd did not report its card readers within ${timeoutMs} ms: check that it runs (${START_PCSCD})`,
        ),
    );
  }

  /**
   * Waits for a reader (the named one, or any) to hold a card that answered reset, and returns that
   * reader. Keeps waiting while pcscd is away; rejects NO_CARD on timeout, ABORTED on abort.
   */
  waitForCard(options: WaitForCardOptions = {}): Promise<PcscReaderInfo> {
    const timeoutMs = options.timeoutMs ?? DEFAULT_WAIT_FOR_CARD_MS;
    const { reader, signal } = options;
    return this.#until(
      () => {
        if (this.#state === 'closed') throw closedError();
        if (signal?.aborted) throw new PcscError('ABORTED', 'aborted', 'Stopped waiting for a card');
        if (this.#state !== 'ready') return undefined;
        const found = [...(this.#ctx?.readers.values() ?? [])].find(
          (e) => e.info.card === 'present' && (reader === undefined || e.name === reader),
        );
        return found && copyInfo(found.info);
      },
      timeoutMs,
      () => this.#noCardError(reader, timeoutMs),
      signal,
    );
  }

  /** Subscribes to one kind of event; returns the function that unsubscribes. */
  on<T extends PcscServiceEventType>(type: T, listener: (event: PcscServiceEventOf<T>) => void): () => void {
    let set = this.#listeners.get(type);
    if (!set) this.#listeners.set(type, (set = new Set()));
    // Stored under its own type only, so it only ever receives events of that type.
    const stored = listener as Listener;
    set.add(stored);
    return () => set.delete(stored);
  }

  /** Closes every transport opened on this service, stops pcsclite's threads and releases the context. Idempotent. */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      this.#state = 'closed';
      clearTimeout(this.#timer);
      this.#timer = undefined;
      const ctx = this.#ctx;
      this.#ctx = undefined;
      this.#changed();
      await Promise.all([...this.#claims.values()].map((holder) => holder.close().catch(() => undefined)));
      if (ctx) {
        ctx.dead = true;
        this.#disposeLater(ctx);
      }
      await Promise.all([...this.#disposals]);
      this.#listeners.clear();
    })();
    return this.#closing;
  }

  // ---- Context life ----

  /** Creates a pcsclite context and wires it; throws when pcscd cannot be reached. */
  #establish(): Context {
    const native = this.#factory();
    const ctx: Context = { native, readers: new Map(), listed: false, dead: false };
    // pcsclite calls start() itself on the next tick; wrapping it is the only way to see every list,
    // including an empty one and one without a reader that was there before.
    const start = native.start.bind(native);
    native.start = (callback) =>
      start((error, data) => {
        callback(error, data);
        if (!error) this.#onList(ctx, parseReaderList(data));
      });
    // pcsclite emits `error` when its thread stops: pcscd gone, or our own close() ("Command cancelled").
    native.on('error', (error) => this.#onContextError(ctx, error));
    return ctx;
  }

  #onList(ctx: Context, names: string[]): void {
    if (ctx !== this.#ctx || ctx.dead) return;
    if (!ctx.listed) {
      ctx.listed = true;
      const restored = this.#state === 'lost';
      this.#state = 'ready';
      this.#lastError = undefined;
      this.#delayMs = this.#initialDelayMs;
      clearTimeout(this.#timer);
      this.#timer = undefined;
      if (restored) this.#emit({ type: 'service-restored' });
    }
    for (const name of names) {
      if (ctx.readers.has(name)) continue;
      const native = ctx.native.readers[name];
      if (!native) continue;
      const entry: ReaderEntry = { name, native, info: unknownInfo(name), reported: false, counter: undefined };
      ctx.readers.set(name, entry);
      native.on('status', ({ state, atr }) => this.#onStatus(ctx, entry, state, atr));
      // A reader's thread stops on pcscd errors; the context reports those. The listener keeps
      // EventEmitter from throwing, and the thread is joined when the context is disposed.
      native.on('error', () => undefined);
      this.#emit({ type: 'reader-added', reader: name });
    }
    for (const [name, entry] of ctx.readers) {
      if (names.includes(name)) continue;
      ctx.readers.delete(name);
      // pcsclite closes a reader that left the list itself.
      this.#closedReaders.add(entry.native);
      if (hasCard(entry.info)) this.#emit({ type: 'card-removed', reader: name });
      this.#emit({ type: 'reader-removed', reader: name });
    }
    this.#changed();
  }

  #onStatus(ctx: Context, entry: ReaderEntry, state: number, atr: Uint8Array | undefined): void {
    if (ctx !== this.#ctx || ctx.dead || ctx.readers.get(entry.name) !== entry) return;
    const before = entry.info;
    const after = decodeStatus(entry.name, entry.native, state, atr);
    const counter = state >>> 16;
    // The counter moves on every insertion and removal: a card swapped between two reports shows up
    // as present → present with a new count.
    const swapped = hasCard(before) && hasCard(after) && (counter !== entry.counter || before.card !== after.card);
    entry.info = after;
    entry.reported = true;
    entry.counter = counter;
    if (hasCard(before) && (!hasCard(after) || swapped)) this.#emit({ type: 'card-removed', reader: entry.name });
    if (hasCard(after) && (!hasCard(before) || swapped))
      this.#emit({ type: 'card-inserted', reader: entry.name, atr: after.atr.slice(), mute: after.card === 'mute' });
    this.#changed();
  }

  #onContextError(ctx: Context, error: Error): void {
    if (ctx !== this.#ctx || ctx.dead) return;
    ctx.dead = true;
    this.#ctx = undefined;
    const wasReady = this.#state === 'ready';
    const lost = pcscFailure('context', undefined, error);
    this.#lastError = lost;
    this.#state = 'lost';
    if (wasReady) {
      this.#emit({ type: 'service-lost', error: lost });
      for (const entry of ctx.readers.values()) {
        if (hasCard(entry.info)) this.#emit({ type: 'card-removed', reader: entry.name });
        this.#emit({ type: 'reader-removed', reader: entry.name });
      }
    }
    this.#disposeLater(ctx);
    // A pending timer is the previous attempt's watchdog: this failure replaces it.
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#scheduleRestore();
    this.#changed();
  }

  #scheduleRestore(): void {
    if (this.#state !== 'lost' || this.#timer) return;
    const delay = this.#delayMs;
    this.#delayMs = Math.min(this.#delayMs * 2, this.#maxDelayMs);
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#tryRestore();
    }, delay);
  }

  #tryRestore(): void {
    if (this.#state !== 'lost') return;
    let ctx: Context;
    try {
      ctx = this.#establish();
    } catch {
      // pcscd is still away: SCardEstablishContext failed at once.
      this.#scheduleRestore();
      return;
    }
    this.#ctx = ctx;
    // A daemon that accepts the context but never lists its readers is as good as gone: try again.
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      if (ctx !== this.#ctx || ctx.listed) return;
      ctx.dead = true;
      this.#ctx = undefined;
      this.#disposeLater(ctx);
      this.#scheduleRestore();
    }, this.#timeoutMs);
  }

  /** Stops a context's threads on a later turn (never from inside a pcsclite callback: see the module comment). */
  #disposeLater(ctx: Context): void {
    const done = new Promise<void>((resolve) =>
      setTimeout(() => {
        const readers = new Set<NativeReader>([...ctx.readers.values()].map((e) => e.native));
        for (const native of Object.values(ctx.native.readers)) readers.add(native);
        for (const native of readers) {
          if (this.#closedReaders.has(native)) continue;
          this.#closedReaders.add(native);
          try {
            native.close();
          } catch {
            // already stopped
          }
        }
        try {
          ctx.native.close();
        } catch {
          // already stopped
        }
        resolve();
      }, 0),
    );
    this.#disposals.add(done);
    void done.then(() => this.#disposals.delete(done));
  }

  // ---- Helpers ----

  #ensureUsable(): void {
    if (this.#state === 'closed') throw closedError();
    if (this.#state === 'lost') {
      const why = this.#lastError;
      throw new PcscError(
        'TRANSPORT_FAILED',
        'no-service',
        `The PC/SC service (pcscd) is not running: ${START_PCSCD} (this program reconnects when it is back)`,
        why ? { cause: why } : {},
      );
    }
  }

  #noCardError(reader: string | undefined, timeoutMs: number): PcscError {
    if (this.#state === 'lost')
      return new PcscError('TRANSPORT_FAILED', 'no-service', `The PC/SC service (pcscd) is not running: ${START_PCSCD}`);
    const names = [...(this.#ctx?.readers.keys() ?? [])];
    if (names.length === 0) return new PcscError('TRANSPORT_FAILED', 'no-reader', `No card reader found: plug one in, or ${START_PCSCD}`);
    const where = reader === undefined ? `any reader (${names.join(', ')})` : `the reader "${reader}"`;
    return new PcscError(
      'NO_CARD',
      'no-card',
      `No card was inserted in ${where} within ${Math.round(timeoutMs / 1000)} s: insert the SIM card`,
    );
  }

  #emit(event: PcscServiceEvent): void {
    for (const listener of [...(this.#listeners.get(event.type) ?? [])]) {
      try {
        listener(event);
      } catch (e) {
        // A failing listener must not break the bookkeeping (or a native callback); it still surfaces.
        setTimeout(() => {
          throw e;
        }, 0);
      }
    }
  }

  #changed(): void {
    for (const poke of [...this.#waiters]) poke();
  }

  #until<T>(check: () => T | undefined, timeoutMs: number, onTimeout: () => Error, signal?: AbortSignal): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const done = (): void => {
        clearTimeout(timer);
        this.#waiters.delete(poke);
        signal?.removeEventListener('abort', poke);
      };
      const poke = (): void => {
        let value: T | undefined;
        try {
          value = check();
        } catch (e) {
          done();
          reject(e);
          return;
        }
        if (value !== undefined) {
          done();
          resolve(value);
        }
      };
      const timer = setTimeout(() => {
        done();
        reject(onTimeout());
      }, timeoutMs);
      this.#waiters.add(poke);
      signal?.addEventListener('abort', poke);
      poke();
    });
  }
}

function closedError(): PcscError {
  return new PcscError('TRANSPORT_CLOSED', 'closed', 'The PC/SC service is closed');
}

function hasCard(info: PcscReaderInfo): boolean {
  return info.card === 'present' || info.card === 'mute';
}

function unknownInfo(name: string): PcscReaderInfo {
  return { name, card: 'unknown', atr: EMPTY };
}

function copyInfo(info: PcscReaderInfo): PcscReaderInfo {
  return { ...info, atr: info.atr.slice() };
}

/** Decodes pcscd's SCARD_STATE_* bits (the constants come from the native module, not assumed). */
function decodeStatus(name: string, n: NativeReader, state: number, atr: Uint8Array | undefined): PcscReaderInfo {
  const has = (bit: number): boolean => (state & bit) !== 0;
  let card: PcscCardState = 'unknown';
  if (has(n.SCARD_STATE_UNKNOWN) || has(n.SCARD_STATE_UNAVAILABLE)) card = 'unknown';
  else if (has(n.SCARD_STATE_PRESENT)) card = has(n.SCARD_STATE_MUTE) ? 'mute' : 'present';
  else if (has(n.SCARD_STATE_EMPTY)) card = 'empty';
  return { name, card, atr: card === 'present' && atr ? new Uint8Array(atr) : EMPTY };
}
