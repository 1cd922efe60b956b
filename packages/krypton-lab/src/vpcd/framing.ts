/**
 * The vpcd wire format (vsmartcard's virtual reader driver): every message is a 2-byte big-endian
 * length then that many bytes. From vpcd to the card, a 1-byte message is a control code and a
 * longer one a command APDU; from the card back, a message is the ATR or the response APDU.
 * Pure functions only: the socket code lives in connection.ts.
 */
import { VpcdError } from './errors.ts';

/** Control codes vpcd sends as 1-byte messages (vsmartcard `vpcd.h`). */
export const VpcdControl = {
  PowerOff: 0,
  PowerOn: 1,
  Reset: 2,
  GetAtr: 4,
} as const;

/** One of the control codes vpcd defines. */
export type VpcdControlCode = (typeof VpcdControl)[keyof typeof VpcdControl];

/** The largest payload the 2-byte length can announce. */
export const MAX_FRAME_PAYLOAD = 0xffff;

/** A message from vpcd, classified: a control code (only the ATR request wants an answer) or a command APDU. */
export type VpcdMessage =
  { kind: 'control'; code: VpcdControlCode } | { kind: 'unknown-control'; code: number } | { kind: 'apdu'; apdu: Uint8Array };

const CONTROL_NAMES: Record<VpcdControlCode, string> = {
  [VpcdControl.PowerOff]: 'power off',
  [VpcdControl.PowerOn]: 'power on',
  [VpcdControl.Reset]: 'reset',
  [VpcdControl.GetAtr]: 'get ATR',
};

/** A short human name for a control code ("power on"), for logs and events. */
export function controlName(code: number): string {
  return CONTROL_NAMES[code as VpcdControlCode] ?? `unknown control 0x${code.toString(16).padStart(2, '0')}`;
}

/** Prefixes a payload with its 2-byte big-endian length, in one buffer so it goes out in one write. */
export function encodeFrame(payload: Uint8Array): Uint8Array {
  if (payload.length === 0) throw new VpcdError('EMPTY_FRAME', 'vpcd: refusing to send an empty frame (vpcd reads it as a removed card)');
  if (payload.length > MAX_FRAME_PAYLOAD) {
    throw new VpcdError('FRAME_TOO_LARGE', `vpcd: a payload of ${payload.length} bytes does not fit a 2-byte length`);
  }
  const out = new Uint8Array(2 + payload.length);
  out[0] = payload.length >> 8;
  out[1] = payload.length & 0xff;
  out.set(payload, 2);
  return out;
}

/** Classifies one frame payload received from vpcd. */
export function parseMessage(payload: Uint8Array): VpcdMessage {
  if (payload.length === 0) throw new VpcdError('EMPTY_FRAME', 'vpcd: empty message');
  if (payload.length > 1) return { kind: 'apdu', apdu: payload };
  const code = payload[0]!;
  return code in CONTROL_NAMES ? { kind: 'control', code: code as VpcdControlCode } : { kind: 'unknown-control', code };
}

/** Options of a frame decoder. */
export interface FrameDecoderOptions {
  /** Frames announcing more payload bytes than this are rejected (default and upper bound: 65535). */
  maxPayload?: number;
}

/**
 * Cuts a TCP byte stream into frame payloads, whatever the chunking: a length split across chunks,
 * several frames in one chunk, a payload spread over many chunks. A malformed length (0, or above
 * `maxPayload`) fails the decoder for good, since the stream can no longer be trusted to be in step.
 */
export class FrameDecoder {
  readonly maxPayload: number;
  #pending: Uint8Array = new Uint8Array(0);
  #failure: VpcdError | undefined;

  constructor(options: FrameDecoderOptions = {}) {
    const max = options.maxPayload ?? MAX_FRAME_PAYLOAD;
    if (!Number.isInteger(max) || max < 1 || max > MAX_FRAME_PAYLOAD) {
      throw new VpcdError('BAD_OPTION', `vpcd: maxPayload must be an integer from 1 to ${MAX_FRAME_PAYLOAD}, got ${max}`);
    }
    this.maxPayload = max;
  }

  /** Bytes received but not yet part of a complete frame. */
  get buffered(): number {
    return this.#pending.length;
  }

  /** Feeds one chunk and returns the payloads it completed, in order (each a fresh copy). */
  push(chunk: Uint8Array): Uint8Array[] {
    if (this.#failure) throw new VpcdError('DECODER_FAILED', `vpcd: decoder already failed (${this.#failure.message})`);
    let data = chunk;
    if (this.#pending.length > 0) {
      data = new Uint8Array(this.#pending.length + chunk.length);
      data.set(this.#pending, 0);
      data.set(chunk, this.#pending.length);
    }
    const frames: Uint8Array[] = [];
    let offset = 0;
    while (data.length - offset >= 2) {
      const length = (data[offset]! << 8) | data[offset + 1]!;
      if (length === 0) this.#fail(new VpcdError('EMPTY_FRAME', 'vpcd: received a frame of length 0'));
      if (length > this.maxPayload) {
        this.#fail(
          new VpcdError('FRAME_TOO_LARGE', `vpcd: received a frame of ${length} bytes, more than the ${this.maxPayload} accepted`),
        );
      }
      if (data.length - offset - 2 < length) break;
      frames.push(data.slice(offset + 2, offset + 2 + length));
      offset += 2 + length;
    }
    // Copy the tail so the caller's chunk (often a pooled Buffer) is never retained.
    this.#pending = data.slice(offset);
    return frames;
  }

  /** Declares the end of the stream: throws if it stopped inside a frame. */
  finish(): void {
    if (this.#failure) throw this.#failure;
    if (this.#pending.length > 0) {
      const got = this.#pending.length;
      this.#pending = new Uint8Array(0);
      throw new VpcdError('TRUNCATED_FRAME', `vpcd: stream ended inside a frame (${got} byte${got === 1 ? '' : 's'} pending)`);
    }
  }

  #fail(error: VpcdError): never {
    this.#failure = error;
    this.#pending = new Uint8Array(0);
    throw error;
  }
}
