import type { Bytes } from './bytes-type.ts';
/** Concatenates byte arrays into a new one. */
export function concatBytes(...parts: Uint8Array[]): Bytes {
  let length = 0;
  for (const p of parts) length += p.length;
  const out = new Uint8Array(length);
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}

/** Compares two byte arrays in time that depends only on their lengths (for MACs and signatures). */
export function constantTimeEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ b[i]!;
  return diff === 0;
}

/** XORs two arrays of equal length into a new one. */
export function xorBytes(a: Uint8Array, b: Uint8Array): Bytes {
  if (a.length !== b.length) throw new RangeError(`xorBytes: lengths differ (${a.length} and ${b.length})`);
  const out = new Uint8Array(a.length);
  for (let i = 0; i < a.length; i++) out[i] = a[i]! ^ b[i]!;
  return out;
}

/** Overwrites a buffer that held a secret. */
export function wipe(bytes: Uint8Array): void {
  bytes.fill(0);
}

/** Encodes text as UTF-8 bytes. */
export function utf8(text: string): Bytes {
  return new TextEncoder().encode(text);
}
