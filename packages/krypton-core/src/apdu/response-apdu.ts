import type { Bytes } from '../bytes/index.ts';
import { KryptonError } from '../errors/index.ts';

/** A response APDU split into its data field and status word (ISO 7816-4 §5.1). */
export interface ResponseApdu {
  readonly data: Bytes;
  readonly sw1: number;
  readonly sw2: number;
  /** SW1 << 8 | SW2. */
  readonly sw: number;
}

/** Splits response bytes into data and SW1 SW2; fewer than two bytes is a MALFORMED_ANSWER. */
export function parseResponseApdu(bytes: Uint8Array): ResponseApdu {
  if (bytes.length < 2) {
    throw new KryptonError(
      'MALFORMED_ANSWER',
      `The SIM answered ${bytes.length} byte(s), without a status word.`,
      'Reinsert the card (or reconnect the modem) and try again.',
    );
  }
  const sw1 = bytes[bytes.length - 2]!;
  const sw2 = bytes[bytes.length - 1]!;
  return { data: bytes.slice(0, bytes.length - 2), sw1, sw2, sw: (sw1 << 8) | sw2 };
}

/** A response assembled from data and a status word (what a T=0 exchange returns after GET RESPONSE). */
export function responseApdu(data: Bytes, sw: number): ResponseApdu {
  return { data, sw1: (sw >> 8) & 0xff, sw2: sw & 0xff, sw: sw & 0xffff };
}

/** Encodes a response as data ‖ SW1 ‖ SW2. */
export function encodeResponseApdu(response: ResponseApdu): Bytes {
  const out = new Uint8Array(response.data.length + 2);
  out.set(response.data);
  out[response.data.length] = response.sw1;
  out[response.data.length + 1] = response.sw2;
  return out;
}

/** Whether the status word is a normal ending: `9000`, or `91xx`/`92xx` (TS 102 221 §10.2.1.1). */
export function isNormalEnding(sw: number): boolean {
  return sw === 0x9000 || (sw & 0xff00) === 0x9100 || (sw & 0xff00) === 0x9200;
}
