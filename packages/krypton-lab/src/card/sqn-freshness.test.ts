import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { IND_COUNT, joinSqn, SEQ_DELTA, SqnFreshness, splitSqn, sqnFromBytes, sqnToBytes } from './sqn-freshness.ts';

describe('SQN = SEQ ‖ IND', () => {
  it('splits and joins 48-bit values', () => {
    expect(splitSqn(0x20)).toEqual({ seq: 1, ind: 0 });
    expect(splitSqn(0x3f)).toEqual({ seq: 1, ind: 31 });
    expect(joinSqn(1, 0)).toBe(0x20);
    expect(sqnFromBytes(Uint8Array.of(0xff, 0xff, 0xff, 0xff, 0xff, 0xff))).toBe(2 ** 48 - 1);
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 48 - 1 }), (n) => {
        expect(sqnFromBytes(sqnToBytes(n))).toBe(n);
        const { seq, ind } = splitSqn(n);
        expect(joinSqn(seq, ind)).toBe(n);
      }),
    );
  });

  it('rejects values outside 48 bits', () => {
    expect(() => sqnToBytes(2 ** 48)).toThrow(RangeError);
    expect(() => sqnToBytes(-1)).toThrow(RangeError);
    expect(() => sqnFromBytes(new Uint8Array(5))).toThrow(RangeError);
  });
});

describe('TS 33.102 Annex C freshness', () => {
  it('starts with every SEQ_MS at the initial SEQ and the initial SQN as the highest', () => {
    const s = SqnFreshness.fromInitialSqn(joinSqn(7, 3));
    expect(s.seqArray).toEqual(new Array(IND_COUNT).fill(7));
    expect(s.highestSqn).toBe(joinSqn(7, 3));
  });

  it('accepts SEQ above SEQ_MS[IND], rejects equal or lower SEQ for that IND', () => {
    const s = SqnFreshness.fromInitialSqn(joinSqn(1, 0));
    expect(s.check(joinSqn(1, 5))).toBe('replayed');
    expect(s.check(joinSqn(2, 5))).toBe('fresh');
    s.accept(joinSqn(5, 5));
    expect(s.check(joinSqn(5, 5))).toBe('replayed');
    expect(s.check(joinSqn(4, 5))).toBe('replayed');
    // Another IND still holds SEQ 1, so an older SEQ is fine there.
    expect(s.check(joinSqn(3, 6))).toBe('fresh');
  });

  it('rejects a jump of more than Δ above the highest SEQ_MS, accepts exactly Δ', () => {
    const s = SqnFreshness.fromInitialSqn(joinSqn(10, 0));
    expect(s.check(joinSqn(10 + SEQ_DELTA, 1))).toBe('fresh');
    expect(s.check(joinSqn(10 + SEQ_DELTA + 1, 1))).toBe('too-far');
  });

  it('moves SQN_MS only when a higher SEQ is accepted, and keeps the IND it came with', () => {
    const s = SqnFreshness.fromInitialSqn(joinSqn(1, 0));
    s.accept(joinSqn(9, 4));
    expect(s.highestSqn).toBe(joinSqn(9, 4));
    s.accept(joinSqn(3, 7));
    expect(s.highestSqn).toBe(joinSqn(9, 4));
    expect(s.seqArray[7]).toBe(3);
  });

  it('restores a saved state and refuses inconsistent ones', () => {
    const s = SqnFreshness.fromInitialSqn(joinSqn(1, 0));
    s.accept(joinSqn(4, 2));
    const copy = SqnFreshness.fromState(s.snapshot());
    expect(copy.seqArray).toEqual(s.seqArray);
    expect(copy.check(joinSqn(4, 2))).toBe('replayed');
    expect(() => SqnFreshness.fromState({ seqMs: [1, 2], highestSqn: 0x20 })).toThrow(RangeError);
    expect(() => SqnFreshness.fromState({ seqMs: new Array(32).fill(3), highestSqn: joinSqn(2, 0) })).toThrow(RangeError);
    expect(() => SqnFreshness.fromState({ seqMs: new Array(32).fill(-1), highestSqn: 0 })).toThrow(RangeError);
  });

  it('agrees with a direct model of the rule on random sequences', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.integer({ min: 0, max: 40 }), fc.integer({ min: 0, max: 31 })), { maxLength: 60 }), (steps) => {
        const s = SqnFreshness.fromInitialSqn(joinSqn(1, 0));
        const model = new Array<number>(32).fill(1);
        for (const [seq, ind] of steps) {
          const fresh = seq > model[ind]! && seq - Math.max(...model) <= SEQ_DELTA;
          expect(s.check(joinSqn(seq, ind)) === 'fresh').toBe(fresh);
          if (fresh) {
            s.accept(joinSqn(seq, ind));
            model[ind] = seq;
          }
        }
        expect(s.seqArray).toEqual(model);
        expect(splitSqn(s.highestSqn).seq).toBe(Math.max(...model));
      }),
    );
  });
});
