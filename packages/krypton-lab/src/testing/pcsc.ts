/**
 * Reads readers and cards through the real `pcsclite` library, as any PC/SC application would:
 * what tests use to see the virtual card the way the world sees it. Linux pcsc-lite only.
 */
import { loadPcsclite, type NativePcsc, type NativeReader } from './pcsclite-binding.ts';

/** Codes of the errors raised by the PC/SC helpers. */
export type PcscErrorCode = 'NO_SERVICE' | 'SERVICE_GONE' | 'TIMEOUT' | 'READER_GONE' | 'CONNECT_FAILED' | 'TRANSMIT_FAILED' | 'BUSY' | 'CLOSED';

/** A PC/SC call failed or a wait timed out; the message says which reader and what to check. */
export class PcscError extends Error {
  override readonly name = 'PcscError';
  constructor(
    readonly code: PcscErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/** A reader's state as pcscd reports it (SCARD_STATE_* bits decoded). */
export interface ReaderStatus {
  /** The raw dwEventState; the upper 16 bits count card events. */
  state: number;
  /** A card is in the reader. */
  present: boolean;
  /** The reader is empty. */
  empty: boolean;
  /** A card is there but did not answer reset. */
  mute: boolean;
  /** The card's ATR (empty when no card). */
  atr: Uint8Array;
}

/** How to disconnect: leave the card powered, reset it, or power it off. */
export type Disposition = 'leave' | 'reset' | 'unpower';

/** Lets several callers wait for a condition that events make true. */
class Conditions {
  readonly #pokes = new Set<() => void>();

  /** Resolves with the first defined result of `check`, re-run on each `notify()`; rejects if `check` throws or on timeout. */
  wait<T>(check: () => T | undefined, timeoutMs: number, onTimeout: () => Error): Promise<T> {
    return new Promise((resolve, reject) => {
      const done = (): void => {
        clearTimeout(timer);
        this.#pokes.delete(poke);
      };
      const poke = (): void => {
        let value: T | undefined;
        try {
          value = check();
        } catch (e) {
          done();
          reject(e as Error);
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
      this.#pokes.add(poke);
      poke();
    });
  }

  notify(): void {
    for (const poke of [...this.#pokes]) poke();
  }
}

/** A PC/SC context: the readers pcscd offers, updated as they come and go. Close it before pcscd stops when you can. */
export class PcscClient {
  readonly #native: NativePcsc;
  readonly #readers = new Map<string, PcscReader>();
  readonly #conditions = new Conditions();
  #listed = false;
  #failure: PcscError | undefined;
  #closed = false;

  private constructor(native: NativePcsc) {
    this.#native = native;
    // pcsclite reports each new reader list through start()'s callback but only emits `reader` for
    // new names, so an empty list is silent; wrapping start() tells us when a list has arrived.
    const start = native.start.bind(native);
    native.start = (callback) =>
      start((error, readers) => {
        callback(error, readers);
        this.#listed = true;
        this.#conditions.notify();
      });
    native.on('reader', (reader) => {
      this.#readers.set(reader.name, new PcscReader(reader, this));
      this.#conditions.notify();
    });
    native.on('error', (error) => {
      this.#failure = new PcscError('SERVICE_GONE', `PC/SC: lost pcscd (${error.message})`);
      this.#conditions.notify();
      for (const reader of this.#readers.values()) reader.notify();
    });
  }

  /**
   * Opens a context on the system pcscd. Unsets `PCSCLITE_CSOCK_NAME` first: the daemon always
   * listens on /run/pcscd/pcscd.comm, and libpcsclite reads the variable once per process.
   */
  static open(): PcscClient {
    delete process.env.PCSCLITE_CSOCK_NAME;
    let native: NativePcsc;
    try {
      native = loadPcsclite();
    } catch (e) {
      throw new PcscError('NO_SERVICE', `PC/SC: cannot reach pcscd (${(e as Error).message}); is it running?`);
    }
    return new PcscClient(native);
  }

  /** Names of the readers known now. */
  get readerNames(): string[] {
    return [...this.#readers.keys()];
  }

  /** @internal Throws if the context can no longer be used. */
  ensureUsable(): void {
    if (this.#closed) throw new PcscError('CLOSED', 'PC/SC: the context is closed');
    if (this.#failure) throw this.#failure;
  }

  /** The reader names, once pcscd has answered the first listing. */
  listReaders(timeoutMs = 3000): Promise<string[]> {
    return this.#conditions.wait(
      () => {
        this.ensureUsable();
        return this.#listed ? this.readerNames : undefined;
      },
      timeoutMs,
      () => new PcscError('TIMEOUT', `PC/SC: pcscd did not list its readers within ${timeoutMs} ms`),
    );
  }

  /** The named reader, waiting for it to appear. */
  waitForReader(name: string, timeoutMs = 5000): Promise<PcscReader> {
    return this.#conditions.wait(
      () => {
        this.ensureUsable();
        return this.#readers.get(name);
      },
      timeoutMs,
      () => new PcscError('TIMEOUT', `PC/SC: no reader "${name}" within ${timeoutMs} ms (readers: ${this.readerNames.join(', ') || 'none'})`),
    );
  }

  /** Disconnects any card left connected and stops pcsclite's threads. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const reader of this.#readers.values()) await reader.release();
    this.#native.close();
    this.#conditions.notify();
  }
}

/** One reader: its latest status, waits on status changes, and connecting to its card. */
export class PcscReader {
  readonly name: string;
  readonly #native: NativeReader;
  readonly #client: PcscClient;
  readonly #conditions = new Conditions();
  #status: ReaderStatus | undefined;
  #gone = false;
  #card: PcscCard | undefined;
  #released = false;

  /** @internal Created by PcscClient when pcsclite reports the reader. */
  constructor(native: NativeReader, client: PcscClient) {
    this.name = native.name;
    this.#native = native;
    this.#client = client;
    native.on('status', ({ state, atr }) => {
      this.#status = {
        state,
        present: (state & native.SCARD_STATE_PRESENT) !== 0,
        empty: (state & native.SCARD_STATE_EMPTY) !== 0,
        mute: (state & native.SCARD_STATE_MUTE) !== 0,
        atr: new Uint8Array(atr ?? []),
      };
      this.#conditions.notify();
    });
    // Without a listener an 'error' event would throw; pcscd stopping shows up here and as 'end'.
    native.on('error', () => this.notify());
    native.on('end', () => {
      this.#gone = true;
      this.notify();
    });
  }

  /** The latest status pcscd reported, or undefined before the first one. */
  get status(): ReaderStatus | undefined {
    return this.#status;
  }

  /** @internal Re-runs pending waits after a client-wide change. */
  notify(): void {
    this.#conditions.notify();
  }

  /** Waits until the status satisfies `test`; `what` names the wait in the timeout message. */
  waitForStatus(test: (status: ReaderStatus) => boolean, timeoutMs = 5000, what = 'the expected state'): Promise<ReaderStatus> {
    return this.#conditions.wait(
      () => {
        this.#client.ensureUsable();
        if (this.#gone) throw new PcscError('READER_GONE', `PC/SC: reader "${this.name}" went away`);
        return this.#status && test(this.#status) ? this.#status : undefined;
      },
      timeoutMs,
      () => new PcscError('TIMEOUT', `PC/SC: reader "${this.name}" did not reach ${what} within ${timeoutMs} ms (state 0x${(this.#status?.state ?? 0).toString(16)})`),
    );
  }

  /** Waits for a card that answered reset. */
  waitForCard(timeoutMs = 5000): Promise<ReaderStatus> {
    return this.waitForStatus((s) => s.present && !s.mute, timeoutMs, 'a card present');
  }

  /** Waits for the reader to be empty. */
  waitForEmpty(timeoutMs = 5000): Promise<ReaderStatus> {
    return this.waitForStatus((s) => s.empty, timeoutMs, 'empty');
  }

  /** Connects to the card (shared by default, T=0 or T=1 as the card offers). One connection per reader. */
  connect(options: { exclusive?: boolean } = {}): Promise<PcscCard> {
    this.#client.ensureUsable();
    if (this.#card) return Promise.reject(new PcscError('BUSY', `PC/SC: already connected to the card in "${this.name}"`));
    const n = this.#native;
    return new Promise((resolve, reject) => {
      n.connect(
        { share_mode: options.exclusive ? n.SCARD_SHARE_EXCLUSIVE : n.SCARD_SHARE_SHARED, protocol: n.SCARD_PROTOCOL_T0 | n.SCARD_PROTOCOL_T1 },
        (error, protocol) => {
          if (error) return reject(new PcscError('CONNECT_FAILED', `PC/SC: cannot connect to the card in "${this.name}": ${error.message}`));
          this.#card = new PcscCard(n, protocol, () => (this.#card = undefined));
          resolve(this.#card);
        },
      );
    });
  }

  /** @internal Disconnects a card left connected and stops the status thread (once). */
  async release(): Promise<void> {
    if (this.#released) return;
    this.#released = true;
    await this.#card?.disconnect().catch(() => undefined);
    this.#native.close();
  }
}

/** A connection to the card in a reader: APDUs one at a time. */
export class PcscCard {
  /** The protocol pcscd negotiated: 1 for T=0, 2 for T=1. */
  readonly protocol: number;
  readonly #native: NativeReader;
  readonly #onDisconnect: () => void;
  #busy = false;
  #connected = true;

  /** @internal Created by PcscReader.connect. */
  constructor(native: NativeReader, protocol: number, onDisconnect: () => void) {
    this.#native = native;
    this.protocol = protocol;
    this.#onDisconnect = onDisconnect;
  }

  /** Sends one command APDU and returns the response (no GET RESPONSE handling: see `transmitT0`). */
  transmit(apdu: Uint8Array, maxResponseLength = 0x10002): Promise<Uint8Array> {
    if (!this.#connected) return Promise.reject(new PcscError('CLOSED', 'PC/SC: the card connection is closed'));
    if (this.#busy) return Promise.reject(new PcscError('BUSY', 'PC/SC: one exchange at a time'));
    this.#busy = true;
    return new Promise<Uint8Array>((resolve, reject) => {
      this.#native.transmit(Buffer.from(apdu), maxResponseLength, this.protocol, (error, response) => {
        this.#busy = false;
        if (error) reject(new PcscError('TRANSMIT_FAILED', `PC/SC: transmit to "${this.#native.name}" failed: ${error.message}`));
        else resolve(new Uint8Array(response));
      });
    });
  }

  /** Ends the connection, leaving the card powered unless told otherwise. */
  disconnect(disposition: Disposition = 'leave'): Promise<void> {
    if (!this.#connected) return Promise.resolve();
    this.#connected = false;
    this.#onDisconnect();
    const n = this.#native;
    const code = { leave: n.SCARD_LEAVE_CARD, reset: n.SCARD_RESET_CARD, unpower: n.SCARD_UNPOWER_CARD }[disposition];
    return new Promise((resolve, reject) => {
      n.disconnect(code, (error) => (error ? reject(new PcscError('CLOSED', `PC/SC: disconnect failed: ${error.message}`)) : resolve()));
    });
  }
}

/** Lists the readers pcscd offers now, through a short-lived context. */
export async function listReaders(timeoutMs = 3000): Promise<string[]> {
  const client = PcscClient.open();
  try {
    return await client.listReaders(timeoutMs);
  } finally {
    await client.close();
  }
}

/** Reads one reader's current status (card present, ATR) through a short-lived context. */
export async function readCardStatus(readerName: string, timeoutMs = 5000): Promise<ReaderStatus> {
  const client = PcscClient.open();
  try {
    const reader = await client.waitForReader(readerName, timeoutMs);
    return await reader.waitForStatus(() => true, timeoutMs, 'a first status');
  } finally {
    await client.close();
  }
}
