import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { fromHex, toHex } from '@krypton-web/krypton-core';
import { Milenage, deriveOpc, kcFromCkIk, sresFromRes, type MilenageOutput } from './milenage.ts';
import { TS_35_208_TEST_SETS, TS_55_205_GSM_VECTORS, type MilenageTestSet } from './milenage-vectors.test-support.ts';

/** Which published field each computed output is checked against. */
const OUTPUT_FIELDS = [
  ['macA', 'f1'],
  ['macS', 'f1Star'],
  ['res', 'f2'],
  ['ck', 'f3'],
  ['ik', 'f4'],
  ['ak', 'f5'],
  ['akStar', 'f5Star'],
] as const satisfies ReadonlyArray<readonly [keyof MilenageOutput, keyof MilenageTestSet]>;

const FIELD_LENGTHS = {
  k: 16,
  rand: 16,
  sqn: 6,
  amf: 2,
  op: 16,
  opc: 16,
  f1: 8,
  f1Star: 8,
  f2: 8,
  f3: 16,
  f4: 16,
  f5: 6,
  f5Star: 6,
} as const satisfies Record<Exclude<keyof MilenageTestSet, 'set'>, number>;

const inputs = (t: MilenageTestSet) => [fromHex(t.rand), fromHex(t.sqn), fromHex(t.amf)] as const;

/** Outputs keyed like MilenageOutput, whatever Uint8Array flavour a function declares. */
type Outputs = Record<keyof MilenageOutput, Uint8Array>;

function expectPublished(t: MilenageTestSet, out: Outputs, via: string): void {
  for (const [output, field] of OUTPUT_FIELDS) {
    expect(toHex(out[output]), `set ${t.set} ${field} via ${via}`).toBe(t[field]);
  }
}

function hexOf(out: Outputs): Record<string, string> {
  return Object.fromEntries(Object.entries(out).map(([name, bytes]) => [name, toHex(bytes)]));
}

/** c3 by definition (TS 33.102 §6.8.1.2): Kc = CK1 ⊕ CK2 ⊕ IK1 ⊕ IK2 over the 64-bit halves. */
function kcByDefinition(ck: Uint8Array, ik: Uint8Array): Uint8Array {
  return Uint8Array.from({ length: 8 }, (_, i) => ck[i]! ^ ck[8 + i]! ^ ik[i]! ^ ik[8 + i]!);
}

/** c2 by definition for a 64-bit RES: SRES = RES1 ⊕ RES2 over the 32-bit halves. */
function sresByDefinition(res: Uint8Array): Uint8Array {
  return Uint8Array.from({ length: 4 }, (_, i) => res[i]! ^ res[4 + i]!);
}

/** Copies bytes into the middle of a larger, non-zero buffer and returns a view on them. */
function offsetView(bytes: Uint8Array): Uint8Array {
  const backing = new Uint8Array(bytes.length + 11).fill(0xa5);
  backing.set(bytes, 5);
  return backing.subarray(5, 5 + bytes.length);
}

describe('Milenage against 3GPP TS 35.208 §4.3 test sets 1–6', () => {
  it('walks every test set: OP gives OPc, and f1, f1*, f2, f3, f4, f5, f5* match', async () => {
    expect(TS_35_208_TEST_SETS.map((t) => t.set)).toEqual([1, 2, 3, 4, 5, 6]);
    for (const t of TS_35_208_TEST_SETS) {
      const k = fromHex(t.k);
      const [rand, sqn, amf] = inputs(t);

      expect(toHex(await deriveOpc(k, fromHex(t.op))), `set ${t.set} OPc from OP`).toBe(t.opc);

      const fromOp = await Milenage.withOp(k, fromHex(t.op));
      expect(toHex(fromOp.opc), `set ${t.set} OPc of withOp`).toBe(t.opc);
      expectPublished(t, await fromOp.compute(rand, sqn, amf), 'withOp');

      const fromOpc = await Milenage.withOpc(k, fromHex(t.opc));
      expect(toHex(fromOpc.opc), `set ${t.set} OPc of withOpc`).toBe(t.opc);
      expectPublished(t, await fromOpc.compute(rand, sqn, amf), 'withOpc');

      const { macA, macS } = await fromOpc.f1(rand, sqn, amf);
      expect([toHex(macA), toHex(macS)], `set ${t.set} f1() alone`).toEqual([t.f1, t.f1Star]);
      const f2345 = await fromOpc.f2345(rand);
      expect(hexOf({ macA, macS, ...f2345 }), `set ${t.set} f2345() alone`).toEqual(hexOf(await fromOpc.compute(rand, sqn, amf)));
    }
  });

  it('holds well-formed data with no set repeating another set’s inputs (the known copy error)', () => {
    for (const t of TS_35_208_TEST_SETS) {
      for (const [field, length] of Object.entries(FIELD_LENGTHS)) {
        const value = t[field as keyof typeof FIELD_LENGTHS];
        expect(value, `set ${t.set} ${field}`).toMatch(/^[0-9a-f]*$/);
        expect(value.length / 2, `set ${t.set} ${field} length`).toBe(length);
      }
    }
    for (const field of ['k', 'rand', 'sqn', 'op', 'opc', 'f1', 'f2', 'f3'] as const) {
      const values = TS_35_208_TEST_SETS.map((t) => t[field]);
      expect(new Set(values).size, `distinct ${field} across sets`).toBe(values.length);
    }
  });

  it.each(TS_35_208_TEST_SETS)('set $set: computes the published OPc and outputs', async (t) => {
    const k = fromHex(t.k);
    expect(toHex(await deriveOpc(k, fromHex(t.op)))).toBe(t.opc);
    const out = await (await Milenage.withOpc(k, fromHex(t.opc))).compute(...inputs(t));
    expect(hexOf(out)).toEqual({
      macA: t.f1,
      macS: t.f1Star,
      res: t.f2,
      ck: t.f3,
      ik: t.f4,
      ak: t.f5,
      akStar: t.f5Star,
    });
  });

  it('gives the same results from withOp and withOpc for every set', async () => {
    for (const t of TS_35_208_TEST_SETS) {
      const k = fromHex(t.k);
      const [fromOp, fromOpc] = await Promise.all([Milenage.withOp(k, fromHex(t.op)), Milenage.withOpc(k, fromHex(t.opc))]);
      expect(toHex(fromOp.opc), `set ${t.set}`).toBe(toHex(fromOpc.opc));
      const [a, b] = await Promise.all([fromOp.compute(...inputs(t)), fromOpc.compute(...inputs(t))]);
      expect(hexOf(a), `set ${t.set}`).toEqual(hexOf(b));
    }
  });

  it('gives the published results when every set is computed concurrently', async () => {
    const instances = await Promise.all(TS_35_208_TEST_SETS.map((t) => Milenage.withOp(fromHex(t.k), fromHex(t.op))));
    // Three rounds of compute, f1 and f2345 for all six sets, all in flight at once.
    const rounds = await Promise.all(
      [0, 1, 2].map(() =>
        Promise.all(
          TS_35_208_TEST_SETS.map(async (t, i) => {
            const m = instances[i]!;
            const [rand, sqn, amf] = inputs(t);
            const [full, f1, f2345] = await Promise.all([m.compute(rand, sqn, amf), m.f1(rand, sqn, amf), m.f2345(rand)]);
            return { t, full, split: { ...f1, ...f2345 } };
          }),
        ),
      ),
    );
    for (const round of rounds) {
      for (const { t, full, split } of round) {
        expectPublished(t, full, 'concurrent compute');
        expectPublished(t, split, 'concurrent f1 + f2345');
      }
    }
  });

  it('gives one instance the same results concurrently as sequentially', async () => {
    const set1 = TS_35_208_TEST_SETS[0]!;
    const m = await Milenage.withOpc(fromHex(set1.k), fromHex(set1.opc));
    const sequential: Record<string, string>[] = [];
    for (const t of TS_35_208_TEST_SETS) sequential.push(hexOf(await m.compute(...inputs(t))));
    const concurrent = await Promise.all(TS_35_208_TEST_SETS.map(async (t) => hexOf(await m.compute(...inputs(t)))));
    expect(concurrent).toEqual(sequential);
    expect(concurrent[0]).toEqual(hexOf(await m.compute(...inputs(set1))));
    // Different challenges must give different results under the same key.
    expect(new Set(concurrent.map((r) => r.res)).size).toBe(TS_35_208_TEST_SETS.length);
  });

  it('accepts inputs that are views at an offset into larger buffers', async () => {
    for (const t of TS_35_208_TEST_SETS) {
      const fromOp = await Milenage.withOp(offsetView(fromHex(t.k)), offsetView(fromHex(t.op)));
      expect(toHex(fromOp.opc), `set ${t.set}`).toBe(t.opc);
      const fromOpc = await Milenage.withOpc(offsetView(fromHex(t.k)), offsetView(fromHex(t.opc)));
      const [rand, sqn, amf] = inputs(t).map(offsetView) as [Uint8Array, Uint8Array, Uint8Array];
      expectPublished(t, await fromOp.compute(rand, sqn, amf), 'views, withOp');
      expectPublished(t, await fromOpc.compute(rand, sqn, amf), 'views, withOpc');
    }
  });

  it('keeps its own copy of OPc and returns fresh output buffers', async () => {
    const t = TS_35_208_TEST_SETS[2]!;
    const opc = fromHex(t.opc);
    const m = await Milenage.withOpc(fromHex(t.k), opc);
    opc.fill(0);
    const first = await m.compute(...inputs(t));
    expectPublished(t, first, 'after the caller wiped its OPc');
    for (const bytes of Object.values(first) as Uint8Array[]) bytes.fill(0xff);
    expectPublished(t, await m.compute(...inputs(t)), 'after the caller overwrote earlier outputs');
  });
});

describe('GSM conversion functions c2 and c3 (TS 33.102 §6.8.1.2)', () => {
  it('derives Kc = CK1 ⊕ CK2 ⊕ IK1 ⊕ IK2 (c3)', () => {
    // Worked by hand: ffff…ff ⊕ 0000…00 ⊕ 01234567…cdef ⊕ 0000…00.
    expect(toHex(kcFromCkIk(fromHex('ffffffffffffffff0000000000000000'), fromHex('0123456789abcdef0000000000000000')))).toBe(
      'fedcba9876543210',
    );
    expect(toHex(kcFromCkIk(fromHex('00000000000000000123456789abcdef'), fromHex('0000000000000000ffffffffffffffff')))).toBe(
      'fedcba9876543210',
    );
    for (const t of TS_35_208_TEST_SETS) {
      const [ck, ik] = [fromHex(t.f3), fromHex(t.f4)];
      expect(toHex(kcFromCkIk(ck, ik)), `set ${t.set}`).toBe(toHex(kcByDefinition(ck, ik)));
    }
  });

  it('derives SRES = RES1 ⊕ RES2 for an 8-byte RES (c2)', () => {
    expect(toHex(sresFromRes(fromHex('deadbeef00000000')))).toBe('deadbeef');
    expect(toHex(sresFromRes(fromHex('ffffffffdeadbeef')))).toBe('21524110');
    expect(toHex(sresFromRes(fromHex('0123456701234567')))).toBe('00000000');
    for (const t of TS_35_208_TEST_SETS) {
      const res = fromHex(t.f2);
      expect(toHex(sresFromRes(res)), `set ${t.set}`).toBe(toHex(sresByDefinition(res)));
    }
  });

  it('matches the SRES and Kc that TS 55.205 publishes for these sets', async () => {
    expect(TS_55_205_GSM_VECTORS.map((v) => v.set)).toEqual([1, 3, 4, 5, 6]);
    for (const v of TS_55_205_GSM_VECTORS) {
      const t = TS_35_208_TEST_SETS.find((s) => s.set === v.set)!;
      expect(toHex(sresFromRes(fromHex(t.f2))), `set ${t.set} SRES`).toBe(v.sres);
      expect(toHex(kcFromCkIk(fromHex(t.f3), fromHex(t.f4))), `set ${t.set} Kc`).toBe(v.kc);
      // And end to end from K and OPc.
      const { res, ck, ik } = await (await Milenage.withOpc(fromHex(t.k), fromHex(t.opc))).f2345(fromHex(t.rand));
      expect([toHex(sresFromRes(res)), toHex(kcFromCkIk(ck, ik))], `set ${t.set} from f2345`).toEqual([v.sres, v.kc]);
    }
  });

  it('agrees with the definitions for arbitrary inputs and leaves them untouched', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 16, maxLength: 16 }),
        fc.uint8Array({ minLength: 16, maxLength: 16 }),
        fc.uint8Array({ minLength: 8, maxLength: 8 }),
        (ck, ik, res) => {
          const before = [toHex(ck), toHex(ik), toHex(res)];
          expect(kcFromCkIk(ck, ik)).toEqual(kcByDefinition(ck, ik));
          expect(kcFromCkIk(ik, ck)).toEqual(kcByDefinition(ck, ik));
          expect(sresFromRes(res)).toEqual(sresByDefinition(res));
          expect([toHex(ck), toHex(ik), toHex(res)]).toEqual(before);
        },
      ),
    );
  });
});

describe('input lengths', () => {
  const t = TS_35_208_TEST_SETS[0]!;
  const k = fromHex(t.k);
  const [rand, sqn, amf] = inputs(t);
  const bytes = (n: number) => new Uint8Array(n);

  it('rejects K, OP and OPc of the wrong length with RangeError', async () => {
    for (const n of [0, 15, 17, 32]) {
      await expect(Milenage.withOp(bytes(n), fromHex(t.op)), `K ${n} bytes`).rejects.toThrow(RangeError);
      await expect(Milenage.withOpc(bytes(n), fromHex(t.opc)), `K ${n} bytes`).rejects.toThrow(RangeError);
      await expect(Milenage.withOp(k, bytes(n)), `OP ${n} bytes`).rejects.toThrow(RangeError);
      await expect(Milenage.withOpc(k, bytes(n)), `OPc ${n} bytes`).rejects.toThrow(RangeError);
      await expect(deriveOpc(k, bytes(n)), `deriveOpc OP ${n} bytes`).rejects.toThrow(RangeError);
    }
  });

  it('rejects RAND, SQN and AMF of the wrong length with RangeError', async () => {
    const m = await Milenage.withOpc(k, fromHex(t.opc));
    for (const n of [0, 15, 17]) {
      await expect(m.compute(bytes(n), sqn, amf), `compute RAND ${n}`).rejects.toThrow(RangeError);
      await expect(m.f1(bytes(n), sqn, amf), `f1 RAND ${n}`).rejects.toThrow(RangeError);
      await expect(m.f2345(bytes(n)), `f2345 RAND ${n}`).rejects.toThrow(RangeError);
    }
    for (const n of [0, 5, 7]) {
      await expect(m.compute(rand, bytes(n), amf), `compute SQN ${n}`).rejects.toThrow(RangeError);
      await expect(m.f1(rand, bytes(n), amf), `f1 SQN ${n}`).rejects.toThrow(RangeError);
    }
    for (const n of [0, 1, 3]) {
      await expect(m.compute(rand, sqn, bytes(n)), `compute AMF ${n}`).rejects.toThrow(RangeError);
      await expect(m.f1(rand, sqn, bytes(n)), `f1 AMF ${n}`).rejects.toThrow(RangeError);
    }
    // A rejected call leaves the instance usable.
    expectPublished(t, await m.compute(rand, sqn, amf), 'after rejected calls');
  });

  it('rejects CK, IK and RES of the wrong length with RangeError', () => {
    const ck = fromHex(t.f3);
    const ik = fromHex(t.f4);
    for (const n of [0, 8, 15, 17, 32]) {
      expect(() => kcFromCkIk(bytes(n), ik), `CK ${n} bytes`).toThrow(RangeError);
      expect(() => kcFromCkIk(ck, bytes(n)), `IK ${n} bytes`).toThrow(RangeError);
    }
    for (const n of [0, 4, 7, 9, 16]) {
      expect(() => sresFromRes(bytes(n)), `RES ${n} bytes`).toThrow(RangeError);
    }
  });
});

describe('buffers the caller reuses', () => {
  it('reads SQN and AMF before yielding, so a caller may reuse its buffers at once', async () => {
    const set = TS_35_208_TEST_SETS[0]!;
    const m = await Milenage.withOpc(fromHex(set.k), fromHex(set.opc));
    const sqn = fromHex(set.sqn);
    const amf = fromHex(set.amf);
    const pending = m.compute(fromHex(set.rand), sqn, amf);
    sqn.fill(0);
    amf.fill(0);
    expect(toHex((await pending).macA)).toBe(set.f1);
  });
});
