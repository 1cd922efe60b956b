import type { Bytes } from './bytes-type.ts';
import { CodecError } from './codec-error.ts';

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const LOOKUP = new Int16Array(128).fill(-1);
for (let i = 0; i < ALPHABET.length; i++) LOOKUP[ALPHABET.charCodeAt(i)] = i;

/** Encodes bytes as standard base64 with padding (RFC 4648 §4), as SORACOM's APIs expect. */
export function toBase64(bytes: Uint8Array): string {
  let out = '';
  let i = 0;
  for (; i + 2 < bytes.length; i += 3) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8) | bytes[i + 2]!;
    out += ALPHABET[n >> 18]! + ALPHABET[(n >> 12) & 63]! + ALPHABET[(n >> 6) & 63]! + ALPHABET[n & 63]!;
  }
  const rest = bytes.length - i;
  if (rest === 1) {
    const n = bytes[i]! << 16;
    out += ALPHABET[n >> 18]! + ALPHABET[(n >> 12) & 63]! + '==';
  } else if (rest === 2) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8);
    out += ALPHABET[n >> 18]! + ALPHABET[(n >> 12) & 63]! + ALPHABET[(n >> 6) & 63]! + '=';
  }
  return out;
}

/** Decodes strict standard base64 with padding; rejects whitespace, URL-safe letters and non-zero pad bits. */
export function fromBase64(text: string, label = 'base64'): Bytes {
  if (text.length % 4 !== 0) throw new CodecError('BAD_BASE64', `${label}: length ${text.length} is not a multiple of 4`);
  const pad = text.endsWith('==') ? 2 : text.endsWith('=') ? 1 : 0;
  const out = new Uint8Array((text.length / 4) * 3 - pad);
  let o = 0;
  for (let i = 0; i < text.length; i += 4) {
    const last = i + 4 === text.length;
    const v = [0, 1, 2, 3].map((k) => {
      const c = text.charCodeAt(i + k);
      if (last && c === 0x3d && k >= 4 - pad) return 0;
      const d = c < 128 ? LOOKUP[c]! : -1;
      if (d < 0) throw new CodecError('BAD_BASE64', `${label}: invalid character at position ${i + k}`);
      return d;
    });
    const n = (v[0]! << 18) | (v[1]! << 12) | (v[2]! << 6) | v[3]!;
    out[o++] = n >> 16;
    if (o < out.length) out[o++] = (n >> 8) & 0xff;
    if (o < out.length) out[o++] = n & 0xff;
    if (last && ((pad === 2 && (n & 0xffff) !== 0) || (pad === 1 && (n & 0xff) !== 0))) {
      throw new CodecError('BAD_BASE64', `${label}: non-canonical padding bits`);
    }
  }
  return out;
}

/** Decodes base64 that must hold exactly `length` bytes. */
export function fromBase64Exact(text: string, length: number, label = 'base64'): Bytes {
  const bytes = fromBase64(text, label);
  if (bytes.length !== length) throw new CodecError('BAD_LENGTH', `${label}: expected ${length} bytes, got ${bytes.length}`);
  return bytes;
}
