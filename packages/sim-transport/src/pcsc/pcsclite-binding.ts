/**
 * The slice of the `pcsclite` npm package (1.0.1, a CommonJS native addon over libpcsclite) that the
 * PC/SC link uses, typed without `any`: its own index.d.ts types every error as `any`, so this file
 * is the boundary. Facts read from its C++ source (src/cardreader.cpp, src/pcsclite.cpp) that the
 * rest of the folder relies on:
 *
 * - The context (`PCSCLite`) runs one thread blocked in SCardGetStatusChange on the PnP pseudo
 *   reader; each reader (`CardReader`) runs one more for its own status. Each thread owns a ref'd
 *   uv_async handle, so the process stays alive until `close()` is called on every one of them.
 * - A reader's status callback runs with the reader's mutex held, and `close()` takes that mutex:
 *   never close a reader from inside one of its own events (it deadlocks). Defer it to a timer.
 * - `close()` on the context makes its thread report "Command cancelled" as an `error` event.
 * - Connect, transmit and disconnect run on libuv's thread pool and cannot be cancelled: a transmit
 *   the card never answers holds a pool thread and the reader's mutex until the driver gives up.
 * - Each reader object holds one card handle (`connected`); `connect()` while connected calls back
 *   at once without a protocol. There is no SCardBeginTransaction/EndTransaction, SCardReconnect or
 *   SCardStatus binding: transactions are not available through this package.
 * - Errors are plain `Error`s whose message ends in the PC/SC code, e.g.
 *   "SCardConnect error: Sharing violation.(0x8010000b)".
 */

/** What pcsclite passes to callbacks on failure: an Error, or null/undefined on success. */
export type NativeFailure = Error | null | undefined;

/** A reader as pcsclite exposes it: an EventEmitter with a status thread and the PC/SC card calls. */
export interface NativeReader {
  readonly name: string;
  /** Whether this object holds a card handle (pcsclite's own flag). */
  readonly connected: boolean;
  readonly SCARD_SHARE_SHARED: number;
  readonly SCARD_SHARE_EXCLUSIVE: number;
  readonly SCARD_PROTOCOL_T0: number;
  readonly SCARD_PROTOCOL_T1: number;
  readonly SCARD_STATE_UNKNOWN: number;
  readonly SCARD_STATE_UNAVAILABLE: number;
  readonly SCARD_STATE_EMPTY: number;
  readonly SCARD_STATE_PRESENT: number;
  readonly SCARD_STATE_MUTE: number;
  readonly SCARD_LEAVE_CARD: number;
  readonly SCARD_RESET_CARD: number;
  readonly SCARD_UNPOWER_CARD: number;
  on(event: 'status', listener: (status: { state: number; atr?: Uint8Array }) => void): this;
  on(event: 'error', listener: (error: Error) => void): this;
  on(event: 'end', listener: () => void): this;
  connect(options: { share_mode: number; protocol: number }, callback: (error: NativeFailure, protocol?: number) => void): void;
  disconnect(disposition: number, callback: (error: NativeFailure) => void): void;
  transmit(
    data: Uint8Array,
    maxResponseLength: number,
    protocol: number,
    callback: (error: NativeFailure, response?: Uint8Array) => void,
  ): void;
  /** Stops the reader's status thread and waits for it (takes the reader's mutex: see above). */
  close(): void;
}

/** The PC/SC context pcsclite creates: emits `reader` for each new reader name, `error` when its thread stops. */
export interface NativePcsc {
  readonly readers: Record<string, NativeReader>;
  on(event: 'reader', listener: (reader: NativeReader) => void): this;
  on(event: 'error', listener: (error: Error) => void): this;
  /**
   * Called once by pcsclite itself, on the next tick after creation, with a callback that receives
   * every new reader list (a buffer of NUL-separated names). Replaced on the instance to learn when
   * a list arrived: pcsclite emits nothing for an empty list or for a removed reader.
   */
  start(callback: (error: NativeFailure, readers?: Uint8Array) => void): void;
  /** Stops the context's thread and waits for it. */
  close(): void;
}

/** Creates a PC/SC context; throws synchronously when pcscd cannot be reached. */
export type NativePcscFactory = () => NativePcsc;

/**
 * Loads pcsclite on first use, so that importing the Node entry never needs the native addon and a
 * machine without it fails only when PC/SC is actually asked for.
 */
export async function loadPcsclite(): Promise<NativePcscFactory> {
  const mod: unknown = await import('pcsclite');
  // Node hands a CommonJS module to ESM as `default`; be lenient about loaders that do not.
  const factory = typeof mod === 'function' ? mod : (mod as { default?: unknown } | null)?.default;
  if (typeof factory !== 'function') throw new Error('the pcsclite module does not export a function');
  return factory as NativePcscFactory;
}

/** Splits pcsclite's reader list (names separated by NUL, ending in two NULs) the way pcsclite does. */
export function parseReaderList(data: Uint8Array | undefined): string[] {
  if (!data || data.length === 0) return [];
  return new TextDecoder()
    .decode(data)
    .split('\u0000')
    .filter((name) => name.length > 0);
}
