import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { fromHex } from '@krypton-web/krypton-core';
import { caseTwoLe, commandData, parseCommandApdu } from './apdu.ts';

describe('parseCommandApdu', () => {
  it.each(['', '00', '00a400'])('rejects %s: shorter than a header', (hex) => {
    expect(parseCommandApdu(fromHex(hex))).toEqual({ ok: false, sw: 0x6700 });
  });

  it('parses a lone non-zero P3 but finds no data field for a command that needs one', () => {
    const parsed = parseCommandApdu(fromHex('00a4000402'));
    if (!parsed.ok) throw new Error('expected ok');
    expect(commandData(parsed.apdu)).toBeUndefined();
  });

  it('reads a case 1 header', () => {
    const parsed = parseCommandApdu(fromHex('80f2000c'));
    expect(parsed).toEqual({ ok: true, apdu: { cla: 0x80, ins: 0xf2, p1: 0, p2: 0x0c, data: new Uint8Array(0) } });
  });

  it('keeps a lone P3 so each command can read it as Le or Lc', () => {
    const parsed = parseCommandApdu(fromHex('00b0000009'));
    if (!parsed.ok) throw new Error('expected ok');
    expect(parsed.apdu.p3).toBe(9);
    expect(caseTwoLe(parsed.apdu)).toBe(9);
    expect(commandData(parsed.apdu)).toBeUndefined();
  });

  it('reads Le = 00 as 256', () => {
    const parsed = parseCommandApdu(fromHex('00c0000000'));
    if (!parsed.ok) throw new Error('expected ok');
    expect(caseTwoLe(parsed.apdu)).toBe(256);
    expect(commandData(parsed.apdu)).toEqual(new Uint8Array(0));
  });

  it('reads case 3 and case 4 forms', () => {
    const c3 = parseCommandApdu(fromHex('00a40004023f00'));
    const c4 = parseCommandApdu(fromHex('00a40004023f0000'));
    expect(c3.ok && c3.apdu.data).toEqual(fromHex('3f00'));
    expect(c3.ok && c3.apdu.trailingLe).toBeUndefined();
    expect(c4.ok && c4.apdu.trailingLe).toBe(0);
    expect(c3.ok && caseTwoLe(c3.apdu)).toBeUndefined();
  });

  it.each(['00a40004023f', '00a40004023f000000', '00a40000003f00'])('rejects %s: Lc disagrees with the body or is extended', (hex) => {
    expect(parseCommandApdu(fromHex(hex))).toEqual({ ok: false, sw: 0x6700 });
  });

  it('never throws and copies the data field', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 270 }), (bytes) => {
        const parsed = parseCommandApdu(bytes);
        if (parsed.ok) {
          expect(parsed.apdu.cla).toBe(bytes[0]);
          if (parsed.apdu.data.length > 0) {
            expect(parsed.apdu.data.buffer).not.toBe(bytes.buffer);
            expect(parsed.apdu.data.length).toBe(bytes[4]);
          }
        } else expect(parsed.sw).toBe(0x6700);
      }),
    );
  });
});
