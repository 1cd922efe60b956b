/**
 * Sequence number freshness on the USIM, TS 33.102 Annex C.2/C.3 with the profile of Annex C.3.2:
 * SQN (48 bits) = SEQ (43 bits) ‖ IND (5 bits); the USIM keeps one SEQ_MS per IND value (an array of 32)
 * and accepts SQN iff SEQ > SEQ_MS[IND] and SEQ − SEQ_MS ≤ Δ, where SEQ_MS is the highest SEQ accepted
 * so far. The array lets the network use authentication vectors out of order.
 */

/** Bits of IND (Annex C.3.2 example value 5). */
export const IND_BITS = 5;
/** Entries of the SEQ_MS array: one per IND value. */
export const IND_COUNT = 1 << IND_BITS;
/** Δ, the largest accepted jump of SEQ above the highest SEQ_MS (Annex C.2.2, recommended 2^28). */
export const SEQ_DELTA = 2 ** 28;

const SQN_LIMIT = 2 ** 48;

/** Why an SQN was rejected: not above the SEQ stored for its IND, or too far ahead of the highest one. */
export type SqnVerdict = 'fresh' | 'replayed' | 'too-far';

/** The USIM's persistent SQN state: SEQ_MS for every IND and the highest accepted SQN. */
export interface SqnState {
  /** SEQ_MS[0..31]. */
  seqMs: number[];
  /** SQN_MS = highest accepted SEQ ‖ the IND it came with (what AUTS carries, Annex C.3.4). */
  highestSqn: number;
}

/** Reads a 6-byte SQN as a number (exact: 48 bits fit a double). */
export function sqnFromBytes(bytes: Uint8Array): number {
  if (bytes.length !== 6) throw new RangeError(`SQN must be 6 bytes, got ${bytes.length}`);
  return bytes.reduce((n, b) => n * 256 + b, 0);
}

/** Writes an SQN as 6 big-endian bytes. */
export function sqnToBytes(sqn: number): Uint8Array<ArrayBuffer> {
  if (!Number.isInteger(sqn) || sqn < 0 || sqn >= SQN_LIMIT) throw new RangeError(`SQN ${sqn} is not a 48-bit value`);
  const out = new Uint8Array(6);
  for (let i = 5, v = sqn; i >= 0; i--, v = Math.floor(v / 256)) out[i] = v % 256;
  return out;
}

/** Splits an SQN into SEQ and IND. */
export function splitSqn(sqn: number): { seq: number; ind: number } {
  return { seq: Math.floor(sqn / IND_COUNT), ind: sqn % IND_COUNT };
}

/** Joins SEQ and IND into an SQN. */
export function joinSqn(seq: number, ind: number): number {
  return seq * IND_COUNT + ind;
}

/** The SEQ_MS array with Annex C's acceptance rule. */
export class SqnFreshness {
  private readonly seqMs: number[];
  private highest: number;

  private constructor(state: SqnState) {
    this.seqMs = state.seqMs.slice();
    this.highest = state.highestSqn;
  }

  /** Starts from one SQN: every SEQ_MS[i] is its SEQ, and it is the highest accepted SQN. */
  static fromInitialSqn(sqn: number): SqnFreshness {
    const { seq } = splitSqn(sqn);
    return new SqnFreshness({ seqMs: new Array<number>(IND_COUNT).fill(seq), highestSqn: sqn });
  }

  /** Restores a saved state, checking its shape. */
  static fromState(state: SqnState): SqnFreshness {
    if (state.seqMs.length !== IND_COUNT) throw new RangeError(`SEQ_MS array must have ${IND_COUNT} entries`);
    const maxSeq = 2 ** (48 - IND_BITS);
    for (const s of state.seqMs)
      if (!Number.isInteger(s) || s < 0 || s >= maxSeq) throw new RangeError(`SEQ_MS value ${s} is not a 43-bit value`);
    sqnToBytes(state.highestSqn);
    const { seq } = splitSqn(state.highestSqn);
    if (seq !== Math.max(...state.seqMs)) throw new RangeError('highestSqn must carry the highest SEQ_MS');
    return new SqnFreshness(state);
  }

  /** SQN_MS: the highest accepted SEQ with its IND. */
  get highestSqn(): number {
    return this.highest;
  }

  /** A copy of SEQ_MS[0..31]. */
  get seqArray(): number[] {
    return this.seqMs.slice();
  }

  /** A copy of the state, to persist. */
  snapshot(): SqnState {
    return { seqMs: this.seqMs.slice(), highestSqn: this.highest };
  }

  /** Judges an SQN without changing anything (Annex C.2.2). */
  check(sqn: number): SqnVerdict {
    const { seq, ind } = splitSqn(sqn);
    if (seq <= this.seqMs[ind]!) return 'replayed';
    if (seq - splitSqn(this.highest).seq > SEQ_DELTA) return 'too-far';
    return 'fresh';
  }

  /** Records an accepted SQN: SEQ_MS[IND] := SEQ, and SQN_MS moves up if SEQ is the new highest. */
  accept(sqn: number): void {
    const { seq, ind } = splitSqn(sqn);
    this.seqMs[ind] = seq;
    if (seq > splitSqn(this.highest).seq) this.highest = sqn;
  }
}
