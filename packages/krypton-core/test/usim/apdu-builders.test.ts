import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  caseFour,
  caseOne,
  caseThree,
  caseTwo,
  commandApdu,
  encodeResponseApdu,
  isNormalEnding,
  parseResponseApdu,
  withLe,
} from '../../src/apdu/index.ts';
import { fromHex, toHex } from '../../src/bytes/index.ts';
import { KryptonError } from '../../src/errors/index.ts';

const H = { cla: 0x00, ins: 0xb0, p1: 0x87, p2: 0x00 };

function expectCode(fn: () => unknown, code: string): void {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(KryptonError);
    expect((e as KryptonError).code).toBe(code);
    return;
  }
  throw new Error('expected a KryptonError');
}

describe('command builders (ISO 7816-4 §5.1, short form)', () => {
  it('encodes the four cases', () => {
    expect(toHex(caseOne({ cla: 0, ins: 0x20, p1: 0, p2: 1 }))).toBe('00200001');
    expect(toHex(caseTwo(H, 9))).toBe('00b0870009');
    expect(toHex(caseTwo(H, 256))).toBe('00b0870000');
    expect(toHex(caseThree({ cla: 0, ins: 0xa4, p1: 4, p2: 0x0c }, fromHex('a0000000871002')))).toBe('00a4040c07a0000000871002');
    expect(toHex(caseFour({ cla: 0, ins: 0x88, p1: 0, p2: 0x81 }, fromHex('0102'), 256))).toBe('00880081020102' + '00');
  });
  it('picks the case from what is given', () => {
    expect(toHex(commandApdu(H))).toBe('00b08700');
    expect(toHex(commandApdu(H, { le: 10 }))).toBe('00b087000a');
    expect(toHex(commandApdu(H, { data: fromHex('aa') }))).toBe('00b0870001aa');
    expect(toHex(commandApdu(H, { data: fromHex('aa'), le: 2 }))).toBe('00b0870001aa02');
    expect(toHex(commandApdu(H, { data: new Uint8Array(0), le: 2 }))).toBe('00b0870002');
  });
  it('refuses out-of-range headers, data and Le with BAD_INPUT', () => {
    expectCode(() => caseOne({ ...H, p1: 256 }), 'BAD_INPUT');
    expectCode(() => caseOne({ ...H, cla: -1 }), 'BAD_INPUT');
    expectCode(() => caseOne({ ...H, p2: 1.5 }), 'BAD_INPUT');
    expectCode(() => caseOne({ ...H, ins: 0x61 }), 'BAD_INPUT'); // a T=0 procedure byte
    expectCode(() => caseOne({ ...H, ins: 0x9f }), 'BAD_INPUT');
    expectCode(() => caseOne({ ...H, cla: 0xff }), 'BAD_INPUT');
    expectCode(() => caseTwo(H, 0), 'BAD_INPUT');
    expectCode(() => caseTwo(H, 257), 'BAD_INPUT');
    expectCode(() => caseThree(H, new Uint8Array(0)), 'BAD_INPUT');
    expectCode(() => caseThree(H, new Uint8Array(256)), 'BAD_INPUT');
    expect(caseThree(H, new Uint8Array(255)).length).toBe(260);
    expect(caseFour(H, new Uint8Array(255), 256).length).toBe(261);
  });
  it('resends only commands without data with a new Le', () => {
    expect(toHex(withLe(fromHex('00b0870000'), 9))).toBe('00b0870009');
    expect(toHex(withLe(fromHex('80f20000'), 0x1c))).toBe('80f200001c');
    expectCode(() => withLe(fromHex('00a4000c022f00'), 9), 'BAD_INPUT');
  });
  it('builds any valid header into exactly 4, 5, 5+Lc or 6+Lc bytes', () => {
    const byte = fc.integer({ min: 0, max: 255 });
    fc.assert(
      fc.property(
        byte,
        byte.filter((i) => (i & 0xf0) !== 0x60 && (i & 0xf0) !== 0x90),
        byte,
        byte,
        fc.uint8Array({ minLength: 1, maxLength: 255 }),
        fc.integer({ min: 1, max: 256 }),
        (cla, ins, p1, p2, data, le) => {
          fc.pre(cla !== 0xff);
          const h = { cla, ins, p1, p2 };
          const c4 = caseFour(h, data, le);
          expect(c4.length).toBe(6 + data.length);
          expect(c4[4]).toBe(data.length);
          expect(c4[c4.length - 1]).toBe(le & 0xff);
          expect(Array.from(c4.subarray(5, 5 + data.length))).toEqual(Array.from(data));
        },
      ),
    );
  });
});

describe('response parser', () => {
  it('splits data and status word', () => {
    const r = parseResponseApdu(fromHex('0102039000'));
    expect(toHex(r.data)).toBe('010203');
    expect([r.sw1, r.sw2, r.sw]).toEqual([0x90, 0x00, 0x9000]);
    expect(toHex(encodeResponseApdu(r))).toBe('0102039000');
    expect(parseResponseApdu(fromHex('6a82')).data.length).toBe(0);
  });
  it('rejects answers without a status word as MALFORMED_ANSWER', () => {
    expectCode(() => parseResponseApdu(new Uint8Array(0)), 'MALFORMED_ANSWER');
    expectCode(() => parseResponseApdu(fromHex('90')), 'MALFORMED_ANSWER');
  });
  it('copies the data so later changes to the input cannot alter it', () => {
    const raw = fromHex('aabb9000');
    const r = parseResponseApdu(raw);
    raw.fill(0);
    expect(toHex(r.data)).toBe('aabb');
  });
  it('knows the normal endings of TS 102 221 §10.2.1.1', () => {
    expect([0x9000, 0x9110, 0x9200].map(isNormalEnding)).toEqual([true, true, true]);
    expect([0x6282, 0x6a82, 0x9862, 0x6100].map(isNormalEnding)).toEqual([false, false, false, false]);
  });
});
