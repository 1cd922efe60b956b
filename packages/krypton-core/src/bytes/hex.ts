import type { Bytes } from './bytes-type.ts';
import { CodecError } from './codec-error.ts';

const HEX_DIGITS = '0123456789abcdef';

/** Encodes bytes as lowercase hexadecimal. */
export function toHex(bytes: Uint8Array): string {
  let out = '';
  for (const b of bytes) out += HEX_DIGITS[b >> 4]! + HEX_DIGITS[b & 0x0f]!;
  return out;
}

/** Decodes strict hexadecimal (even length, 0-9a-fA-F only, no separators) into bytes. */
export function fromHex(hex: string, label = 'hex'): Bytes {
  if (hex.length % 2 !== 0) throw new CodecError('BAD_HEX', `${label}: odd number of hex digits (${hex.length})`);
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) {
    const hi = nibble(hex.charCodeAt(2 * i));
    const lo = nibble(hex.charCodeAt(2 * i + 1));
    if (hi < 0 || lo < 0) throw new CodecError('BAD_HEX', `${label}: not a hex digit at position ${2 * i + (hi < 0 ? 0 : 1)}`);
    out[i] = (hi << 4) | lo;
  }
  return out;
}

/** Decodes hex that must encode exactly `length` bytes. */
export function fromHexExact(hex: string, length: number, label = 'hex'): Bytes {
  const bytes = fromHex(hex, label);
  if (bytes.length !== length) throw new CodecError('BAD_LENGTH', `${label}: expected ${length} bytes, got ${bytes.length}`);
  return bytes;
}

function nibble(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x61 && c <= 0x66) return c - 0x57;
  if (c >= 0x41 && c <= 0x46) return c - 0x37;
  return -1;
}
