/**
 * The slice of the `pcsclite` npm package (1.0.1, a CommonJS native addon) that the test helpers
 * use, typed without `any`. Its own index.d.ts types errors as `any`; this file is the boundary.
 */
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { ROOT } from '@krypton-web/build/workspace';

/** What pcsclite passes to callbacks on failure: an Error, or null/undefined on success. */
type Failure = Error | null | undefined;

/** A reader as pcsclite exposes it: an EventEmitter with a status thread and PC/SC calls. */
export interface NativeReader {
  readonly name: string;
  readonly connected: boolean;
  readonly SCARD_SHARE_SHARED: number;
  readonly SCARD_SHARE_EXCLUSIVE: number;
  readonly SCARD_PROTOCOL_T0: number;
  readonly SCARD_PROTOCOL_T1: number;
  readonly SCARD_STATE_EMPTY: number;
  readonly SCARD_STATE_PRESENT: number;
  readonly SCARD_STATE_MUTE: number;
  readonly SCARD_STATE_INUSE: number;
  readonly SCARD_STATE_EXCLUSIVE: number;
  readonly SCARD_LEAVE_CARD: number;
  readonly SCARD_RESET_CARD: number;
  readonly SCARD_UNPOWER_CARD: number;
  on(event: 'status', listener: (status: { state: number; atr?: Buffer }) => void): this;
  on(event: 'error', listener: (error: Error) => void): this;
  on(event: 'end', listener: () => void): this;
  connect(options: { share_mode?: number; protocol?: number }, callback: (error: Failure, protocol: number) => void): void;
  disconnect(disposition: number, callback: (error: Failure) => void): void;
  transmit(data: Buffer, maxResponseLength: number, protocol: number, callback: (error: Failure, response: Buffer) => void): void;
  /** Stops the reader's status thread (joins it: call only once). */
  close(): void;
}

/** The PC/SC context pcsclite creates: emits `reader` for each new reader name. */
export interface NativePcsc {
  readers: Record<string, NativeReader>;
  on(event: 'reader', listener: (reader: NativeReader) => void): this;
  on(event: 'error', listener: (error: Error) => void): this;
  /** Called by pcsclite itself on the next tick with each new reader list; wrapped to learn when a list arrived. */
  start(callback: (error: Failure, readers: Buffer) => void): void;
  close(): void;
}

// Resolved from sim-transport (which declares pcsclite), wherever the code runs from (a bundle lives elsewhere).
const require = createRequire(join(ROOT, 'packages', 'sim-transport', 'package.json'));

/** Creates a pcsclite context; throws synchronously when pcscd cannot be reached. */
export function loadPcsclite(): NativePcsc {
  const factory = require('pcsclite') as () => NativePcsc;
  return factory();
}
