/**
 * Sequence numbers as TS 33.102 Annex C structures them: SQN (48 bits) = SEQ (43 bits) ‖ IND (5 bits).
 * 48-bit values fit exactly in a JavaScript number, so plain arithmetic is safe here.
 */
export const IND_BITS = 5;
/** Number of entries in the USIM's SEQ array (2^IND_BITS). */
export const IND_COUNT = 1 << IND_BITS;

/** Reads a 6-byte SQN as a number. */
export function sqnToNumber(sqn: Uint8Array): number {
  if (sqn.length !== 6) throw new RangeError(`SQN must be 6 bytes, got ${sqn.length}`);
  let n = 0;
  for (const b of sqn) n = n * 256 + b;
  return n;
}

/** Writes a number below 2^48 as a 6-byte SQN. */
export function numberToSqn(n: number): Uint8Array<ArrayBuffer> {
  if (!Number.isInteger(n) || n < 0 || n >= 2 ** 48) throw new RangeError(`SQN out of range: ${n}`);
  const out = new Uint8Array(6);
  for (let i = 5; i >= 0; i--) {
    out[i] = n % 256;
    n = Math.floor(n / 256);
  }
  return out;
}

/** Splits an SQN into its SEQ and IND parts. */
export function splitSqn(sqn: number): { seq: number; ind: number } {
  return { seq: Math.floor(sqn / IND_COUNT), ind: sqn % IND_COUNT };
}

/** Joins SEQ and IND into an SQN. */
export function joinSqn(seq: number, ind: number): number {
  return seq * IND_COUNT + ind;
}
