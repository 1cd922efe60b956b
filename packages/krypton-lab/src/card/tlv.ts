import { concatBytes } from '@krypton-web/krypton-core';

/**
 * Encodes one BER-TLV object with a one-byte tag and a definite length (ISO/IEC 7816-4 §5.2).
 * The card's templates are small, so lengths above 255 are a programming error.
 */
export function tlv(tag: number, ...values: Uint8Array[]): Uint8Array {
  const value = concatBytes(...values);
  if (value.length > 0xff) throw new RangeError(`TLV ${tag.toString(16)}: ${value.length} bytes do not fit`);
  const head = value.length < 0x80 ? [tag, value.length] : [tag, 0x81, value.length];
  return concatBytes(Uint8Array.from(head), value);
}

/** Encodes a number as big-endian bytes of a fixed width. */
export function uint(value: number, width: number): Uint8Array {
  const out = new Uint8Array(width);
  for (let i = width - 1, v = value; i >= 0; i--, v = Math.floor(v / 256)) out[i] = v & 0xff;
  return out;
}
