/**
 * A stack of SIM cards fed to several vpcd readers, as a field technician checking a box of SIMs
 * does with several card readers: put a card in, leave it while the check runs, pull it out, next.
 *
 * Every insertion is a fresh VirtualUsim built from the SIM's profile, as every card of a real box
 * is its own piece of plastic: nothing a previous check did (PIN verified, SQN advanced) carries
 * over, and a SIM whose profile says its PIN is blocked arrives blocked.
 */
import { VirtualUsim } from '../card/index.ts';
import { demoProfileSet, findSim, type ProfileSet, type SimProfile } from '../profiles/index.ts';
import { connectCardToVpcd, type VpcdConnection } from '../vpcd/connection.ts';
import { VpcdControl } from '../vpcd/framing.ts';
import { StackError } from './stack-error.ts';

/** Where one vpcd reader listens. */
export interface VpcdEndpoint {
  host: string;
  port: number;
}

/** How to build a card stack. */
export interface CardStackOptions {
  /** One endpoint per reader, in reader order (reader 0 first). */
  vpcd: readonly VpcdEndpoint[];
  /** Where SIM names are looked up (default: the lab's demo profiles). */
  profiles?: ProfileSet;
  /** The PC/SC names of the readers, in the same order, when known (they are copied into events). */
  readerNames?: readonly (string | undefined)[];
  /** How long `insert` waits for vpcd to take the card and pcscd to power it (default 10 s). */
  insertTimeoutMs?: number;
  /** Receives APDU trace lines per reader (`=> …` / `<= …`, secrets masked). */
  trace?: (reader: number, line: string) => void;
}

/** A card went into a reader or came out of it. */
export interface CardStackEvent {
  type: 'inserted' | 'removed';
  /** The reader's index in `vpcd`. */
  reader: number;
  /** The reader's PC/SC name, when the stack was told it. */
  readerName: string | undefined;
  sim: string;
  iccid: string;
  imsi: string;
  /** When it happened. */
  at: Date;
}

/** How a timeline deals its SIMs. */
export interface TimelineOptions {
  /** SIM names, dealt in order: SIM i goes to reader i mod N. */
  sims: readonly string[];
  /** A new card goes in every `everyMs`, into the next reader in turn. */
  everyMs: number;
  /**
   * How long each card stays in (default: until one period before its reader's next card, so
   * N - 1 cards are in at once; half a period with a single reader).
   */
  holdMs?: number;
  /** Start over from the first SIM after the last one, until stopped. */
  loop?: boolean;
  /** Stops the timeline; the cards it put in are removed before it resolves. */
  signal?: AbortSignal;
}

/** Cards in vpcd readers, one per reader, put in and pulled out by hand or on a timeline. */
export interface CardStack {
  /** How many readers the stack feeds. */
  readonly readerCount: number;
  /** Puts a fresh card of SIM `sim` into reader `reader`; resolves once pcscd has powered it. */
  insert(reader: number, sim: string): Promise<void>;
  /** Pulls the card out of reader `reader` (nothing happens if it is empty); pcscd notices on its next poll. */
  remove(reader: number): Promise<void>;
  /** The name of the SIM in reader `reader`, or undefined when it is empty. */
  cardIn(reader: number): string | undefined;
  /** Deals SIMs to the readers on a timeline; resolves when the last card is out or the signal stopped it. */
  runTimeline(options: TimelineOptions): Promise<void>;
  /** Calls `listener` on every insertion and removal; returns the function that unsubscribes. */
  on(listener: (event: CardStackEvent) => void): () => void;
  /** Stops a running timeline, pulls every card out and refuses further use. Idempotent. */
  close(): Promise<void>;
}

/** pcscd polls vpcd about every 400 ms: a reader must stay empty longer than that for a swap to be seen. */
const MIN_EMPTY_MS = 600;
const DEFAULT_INSERT_TIMEOUT_MS = 10_000;

/** A timeline's options, checked, with the hold time settled. */
interface TimelinePlan {
  sims: string[];
  everyMs: number;
  holdMs: number;
  loop: boolean;
}

interface Slot {
  sim: SimProfile;
  connection: VpcdConnection;
}

/** Waits `ms`, or less if `signal` aborts; never rejects. */
function pause(ms: number, signal: AbortSignal): Promise<void> {
  if (signal.aborted || ms <= 0) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}

class VpcdCardStack implements CardStack {
  readonly readerCount: number;
  readonly #endpoints: readonly VpcdEndpoint[];
  readonly #profiles: ProfileSet;
  readonly #names: readonly (string | undefined)[];
  readonly #insertTimeoutMs: number;
  readonly #trace: CardStackOptions['trace'];
  readonly #slots: (Slot | undefined)[];
  /** Readers with an insertion or removal under way: one change at a time per reader. */
  readonly #changing: (Promise<void> | undefined)[];
  readonly #lastRemoved: number[];
  readonly #listeners = new Set<(event: CardStackEvent) => void>();
  readonly #closing = new AbortController();
  #timeline: Promise<void> | undefined;
  #closed: Promise<void> | undefined;

  constructor(options: CardStackOptions) {
    this.#endpoints = options.vpcd.map((e, i) => checkEndpoint(e, i));
    if (this.#endpoints.length === 0) throw new StackError('BAD_OPTION', 'card stack: give at least one vpcd reader endpoint');
    this.readerCount = this.#endpoints.length;
    this.#profiles = options.profiles ?? demoProfileSet();
    this.#names = [...(options.readerNames ?? [])];
    this.#insertTimeoutMs = options.insertTimeoutMs ?? DEFAULT_INSERT_TIMEOUT_MS;
    this.#trace = options.trace;
    this.#slots = new Array<Slot | undefined>(this.readerCount).fill(undefined);
    this.#changing = new Array<Promise<void> | undefined>(this.readerCount).fill(undefined);
    this.#lastRemoved = new Array<number>(this.readerCount).fill(0);
  }

  cardIn(reader: number): string | undefined {
    this.#checkReader(reader);
    return this.#slots[reader]?.sim.name;
  }

  on(listener: (event: CardStackEvent) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  insert(reader: number, sim: string): Promise<void> {
    return this.#change(reader, () => this.#insert(reader, sim));
  }

  remove(reader: number): Promise<void> {
    return this.#change(reader, () => this.#remove(reader));
  }

  runTimeline(options: TimelineOptions): Promise<void> {
    if (this.#closed) return Promise.reject(closedError());
    if (this.#timeline) return Promise.reject(new StackError('BUSY', 'card stack: a timeline is already running; stop it first'));
    let plan: TimelinePlan;
    try {
      plan = this.#plan(options);
    } catch (e) {
      return Promise.reject(e);
    }
    const run = this.#run(plan, options.signal).finally(() => {
      this.#timeline = undefined;
    });
    this.#timeline = run;
    return run;
  }

  close(): Promise<void> {
    this.#closed ??= (async () => {
      this.#closing.abort();
      await this.#timeline?.catch(() => undefined);
      await Promise.all(this.#changing.map((c) => (c ?? Promise.resolve()).catch(() => undefined)));
      await Promise.all(this.#slots.map((_, reader) => this.#remove(reader).catch(() => undefined)));
    })();
    return this.#closed;
  }

  /** Runs `action` once the reader's previous change is over, so changes to one reader never interleave. */
  #change(reader: number, action: () => Promise<void>): Promise<void> {
    if (this.#closed) return Promise.reject(closedError());
    try {
      this.#checkReader(reader);
    } catch (e) {
      return Promise.reject(e);
    }
    const previous = this.#changing[reader] ?? Promise.resolve();
    const next = previous.catch(() => undefined).then(action);
    this.#changing[reader] = next;
    return next.finally(() => {
      if (this.#changing[reader] === next) this.#changing[reader] = undefined;
    });
  }

  /** Puts the card in; with `stop`, gives up quietly (no card, no error) when it aborts first. */
  async #insert(reader: number, simName: string, stop?: AbortSignal): Promise<void> {
    const sim = this.#sim(simName);
    if (this.#slots[reader]) {
      throw new StackError(
        'READER_OCCUPIED',
        `card stack: reader ${this.#describe(reader)} already holds SIM "${this.#slots[reader].sim.name}"; remove it first`,
      );
    }
    const card = await VirtualUsim.create(sim);
    const { host, port } = this.#endpoints[reader]!;
    let powered!: () => void;
    const poweredUp = new Promise<void>((resolve) => (powered = resolve));
    const trace = this.#trace;
    const connection = connectCardToVpcd({
      host,
      port,
      card,
      // A card pulled out is redialled only if vpcd dropped it, so keep retries brisk but bounded.
      backoff: { initialMs: 50, maxMs: 1000 },
      onEvent: (event) => {
        if (event.type === 'control' && (event.code === VpcdControl.PowerOn || event.code === VpcdControl.Reset)) powered();
      },
      ...(trace
        ? {
            trace: {
              write: (text: string) =>
                text
                  .trimEnd()
                  .split('\n')
                  .forEach((line) => trace(reader, line)),
            },
          }
        : {}),
    });
    const outcome = await new Promise<'powered' | 'timeout' | 'closed' | 'stopped'>((resolve) => {
      const closing = this.#closing.signal;
      // Listeners come off again: a stack looping for hours must not pile them up on its signals.
      const finish = (result: 'powered' | 'timeout' | 'closed' | 'stopped') => {
        clearTimeout(timer);
        closing.removeEventListener('abort', onClose);
        stop?.removeEventListener('abort', onStop);
        resolve(result);
      };
      const onClose = () => finish('closed');
      const onStop = () => finish('stopped');
      const timer = setTimeout(() => finish('timeout'), this.#insertTimeoutMs);
      closing.addEventListener('abort', onClose, { once: true });
      stop?.addEventListener('abort', onStop, { once: true });
      if (stop?.aborted) onStop();
      void poweredUp.then(() => finish('powered'));
    });
    if (outcome !== 'powered') {
      const wasConnected = connection.state === 'connected';
      await connection.close();
      if (outcome === 'stopped') return;
      if (outcome === 'closed') throw closedError();
      throw new StackError(
        'INSERT_TIMEOUT',
        wasConnected
          ? `card stack: vpcd at ${host}:${port} took SIM "${sim.name}" but pcscd did not power it within ${this.#insertTimeoutMs} ms`
          : `card stack: no vpcd reader answered at ${host}:${port} within ${this.#insertTimeoutMs} ms (is pcscd running with a vpcd reader on that port?)`,
      );
    }
    this.#slots[reader] = { sim, connection };
    this.#emit('inserted', reader, sim);
  }

  async #remove(reader: number): Promise<void> {
    const slot = this.#slots[reader];
    if (!slot) return;
    this.#slots[reader] = undefined;
    await slot.connection.close();
    this.#lastRemoved[reader] = Date.now();
    this.#emit('removed', reader, slot.sim);
  }

  #plan(options: TimelineOptions): TimelinePlan {
    const sims = [...options.sims];
    if (sims.length === 0) throw new StackError('BAD_OPTION', 'card stack: a timeline needs at least one SIM');
    for (const name of sims) this.#sim(name);
    if (!(Number.isFinite(options.everyMs) && options.everyMs > 0))
      throw new StackError('BAD_OPTION', `card stack: everyMs must be a positive number of milliseconds, got ${options.everyMs}`);
    const holdMs = options.holdMs ?? Math.max(options.everyMs * (this.readerCount - 1), options.everyMs / 2);
    if (!(Number.isFinite(holdMs) && holdMs >= 0))
      throw new StackError('BAD_OPTION', `card stack: holdMs must be zero or more milliseconds, got ${options.holdMs}`);
    return { sims, everyMs: options.everyMs, holdMs, loop: options.loop ?? false };
  }

  async #run(plan: TimelinePlan, outer: AbortSignal | undefined): Promise<void> {
    // One signal for the caller's stop, close() and a failed deal: each ends the timeline the same way.
    const stop = new AbortController();
    const abort = () => stop.abort();
    outer?.addEventListener('abort', abort, { once: true });
    this.#closing.signal.addEventListener('abort', abort, { once: true });
    if (outer?.aborted || this.#closing.signal.aborted) abort();
    const lanes = new Array<Promise<void>>(this.readerCount).fill(Promise.resolve());
    let failure: Error | undefined;
    const start = Date.now();
    try {
      for (let i = 0; plan.loop || i < plan.sims.length; i++) {
        await pause(start + i * plan.everyMs - Date.now(), stop.signal);
        const reader = i % this.readerCount;
        // The reader's previous card must be out first: a late reader delays the deal rather than queueing cards.
        await lanes[reader];
        if (stop.signal.aborted) break;
        lanes[reader] = this.#deal(reader, plan.sims[i % plan.sims.length]!, plan.holdMs, stop.signal).catch((e: unknown) => {
          failure ??= e instanceof Error ? e : new Error(String(e));
          abort();
        });
      }
    } finally {
      await Promise.all(lanes);
      outer?.removeEventListener('abort', abort);
      this.#closing.signal.removeEventListener('abort', abort);
    }
    if (failure !== undefined && !(failure instanceof StackError && failure.code === 'CLOSED')) throw failure;
  }

  /** One card's turn: wait until its reader has been empty long enough, put it in, hold it, pull it out. */
  async #deal(reader: number, sim: string, holdMs: number, signal: AbortSignal): Promise<void> {
    await pause(this.#lastRemoved[reader]! + MIN_EMPTY_MS - Date.now(), signal);
    if (signal.aborted) return;
    // A stop while vpcd has not yet taken the card gives up on it rather than waiting out the timeout.
    await this.#change(reader, () => this.#insert(reader, sim, signal));
    if (!this.#slots[reader]) return;
    try {
      await pause(holdMs, signal);
    } finally {
      await this.#change(reader, () => this.#remove(reader)).catch(() => undefined);
    }
  }

  #emit(type: CardStackEvent['type'], reader: number, sim: SimProfile): void {
    const event: CardStackEvent = {
      type,
      reader,
      readerName: this.#names[reader],
      sim: sim.name,
      iccid: sim.iccid,
      imsi: sim.imsi,
      at: new Date(),
    };
    for (const listener of this.#listeners) {
      try {
        listener(event);
      } catch {
        // A listener's failure is its own; the cards keep moving for the others.
      }
    }
  }

  #sim(name: string): SimProfile {
    try {
      return findSim(this.#profiles, name);
    } catch (e) {
      throw new StackError('UNKNOWN_SIM', `card stack: ${(e as Error).message}`);
    }
  }

  #checkReader(reader: number): void {
    if (!(Number.isInteger(reader) && reader >= 0 && reader < this.readerCount))
      throw new StackError('NO_SUCH_READER', `card stack: reader ${reader} does not exist (readers 0 to ${this.readerCount - 1})`);
  }

  #describe(reader: number): string {
    const e = this.#endpoints[reader]!;
    return `${reader} (${this.#names[reader] ?? `vpcd ${e.host}:${e.port}`})`;
  }
}

function checkEndpoint(e: VpcdEndpoint, index: number): VpcdEndpoint {
  if (typeof e?.host !== 'string' || e.host.length === 0)
    throw new StackError('BAD_OPTION', `card stack: vpcd[${index}].host must be a non-empty string`);
  if (!(Number.isInteger(e.port) && e.port >= 1 && e.port <= 65535))
    throw new StackError('BAD_OPTION', `card stack: vpcd[${index}].port must be an integer from 1 to 65535, got ${e.port}`);
  return { host: e.host, port: e.port };
}

function closedError(): StackError {
  return new StackError('CLOSED', 'card stack: the stack is closed');
}

/** Opens a card stack over vpcd readers (nothing connects until a card goes in). */
export function openCardStack(options: CardStackOptions): CardStack {
  return new VpcdCardStack(options);
}
