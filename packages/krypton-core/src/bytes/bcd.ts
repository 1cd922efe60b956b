import type { Bytes } from './bytes-type.ts';
import { CodecError } from './codec-error.ts';

/** Encodes a digit string as swapped-nibble BCD (TS 31.102 EF_ICCID style), padding an odd tail with F. */
export function toSwappedBcd(digits: string, length?: number): Bytes {
  if (!/^[0-9]*$/.test(digits)) throw new CodecError('BAD_BCD', 'BCD: digits only');
  const size = length ?? Math.ceil(digits.length / 2);
  if (digits.length > size * 2) throw new CodecError('BAD_BCD', `BCD: ${digits.length} digits do not fit in ${size} bytes`);
  const out = new Uint8Array(size).fill(0xff);
  for (let i = 0; i < digits.length; i++) {
    const d = digits.charCodeAt(i) - 0x30;
    const byte = i >> 1;
    out[byte] = i % 2 === 0 ? (out[byte]! & 0xf0) | d : (out[byte]! & 0x0f) | (d << 4);
  }
  return out;
}

/** Decodes swapped-nibble BCD digits, stopping at the first F filler; other non-digit nibbles are an error. */
export function fromSwappedBcd(bytes: Uint8Array): string {
  let out = '';
  for (const b of bytes) {
    for (const n of [b & 0x0f, b >> 4]) {
      if (n === 0x0f) return out;
      if (n > 9) throw new CodecError('BAD_BCD', `BCD: nibble ${n.toString(16)} is not a digit`);
      out += String.fromCharCode(0x30 + n);
    }
  }
  return out;
}

/**
 * Encodes an IMSI as the 9-byte content of EF_IMSI (TS 31.102 §4.2.2): a length byte, then the
 * digits in swapped-nibble BCD after a first nibble that carries the parity (9 for odd digit counts).
 */
export function encodeEfImsi(imsi: string): Bytes {
  if (!/^[0-9]{6,15}$/.test(imsi)) throw new CodecError('BAD_BCD', 'IMSI: 6 to 15 digits expected');
  const odd = imsi.length % 2 === 1;
  const nibbles = [odd ? 9 : 1, ...Array.from(imsi, (c) => c.charCodeAt(0) - 0x30)];
  if (nibbles.length % 2 === 1) nibbles.push(0x0f);
  const out = new Uint8Array(9).fill(0xff);
  out[0] = nibbles.length / 2;
  for (let i = 0; i < nibbles.length; i += 2) out[1 + i / 2] = nibbles[i]! | (nibbles[i + 1]! << 4);
  return out;
}

/** Decodes the content of EF_IMSI into its digits, checking the length byte and the parity nibble. */
export function decodeEfImsi(content: Uint8Array): string {
  if (content.length < 2) throw new CodecError('BAD_BCD', 'EF_IMSI: fewer than 2 bytes');
  const len = content[0]!;
  if (len < 1 || len > 8 || len + 1 > content.length) throw new CodecError('BAD_BCD', `EF_IMSI: length byte ${len} is invalid`);
  const nibbles: number[] = [];
  for (let i = 1; i <= len; i++) nibbles.push(content[i]! & 0x0f, content[i]! >> 4);
  const parity = nibbles.shift()!;
  if ((parity & 0x07) !== 0x01) throw new CodecError('BAD_BCD', `EF_IMSI: identity type nibble ${parity.toString(16)} is not an IMSI`);
  const odd = (parity & 0x08) !== 0;
  if (!odd) {
    if (nibbles.pop() !== 0x0f) throw new CodecError('BAD_BCD', 'EF_IMSI: even IMSI without F filler');
  }
  if (nibbles.length === 0) throw new CodecError('BAD_BCD', 'EF_IMSI: no digits');
  let out = '';
  for (const n of nibbles) {
    if (n > 9) throw new CodecError('BAD_BCD', 'EF_IMSI: blank or non-digit content');
    out += String.fromCharCode(0x30 + n);
  }
  return out;
}
