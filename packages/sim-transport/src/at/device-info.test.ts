import { describe, expect, it } from 'vitest';
import { identityLine, normaliseIccid, parseIccidLine, parseImei, parseImsi } from './device-info.ts';

describe('identity answers', () => {
  const table: [string[], string, string | undefined][] = [
    [['huawei'], '+CGMI', 'huawei'],
    [['+CGMI: HUAWEI'], '+CGMI', 'HUAWEI'],
    [['+cgmi:"Huawei Technologies Co., Ltd."'], '+CGMI', 'Huawei Technologies Co., Ltd.'],
    [['MS2131'], '+CGMM', 'MS2131'],
    [['+CGMM: E3372'], '+CGMM', 'E3372'],
    [['21.318.01.00.00'], '+CGMR', '21.318.01.00.00'],
    [['+CGMR: 22.200.15.00.00'], '+CGMR', '22.200.15.00.00'],
    [['', '\x01\x02', 'real'], '+CGMR', 'real'],
    [[], '+CGMR', undefined],
    [['x'.repeat(200)], '+CGMR', 'x'.repeat(64)],
  ];
  for (const [lines, name, value] of table)
    it(`${name} ${JSON.stringify(lines).slice(0, 40)} → ${value?.slice(0, 20)}`, () => expect(identityLine(lines, name)).toBe(value));

  it('IMEI: 14 to 17 digits, with or without +CGSN:', () => {
    expect(parseImei(['867123456789012'])).toBe('867123456789012');
    expect(parseImei(['+CGSN: 867123456789012'])).toBe('867123456789012');
    expect(parseImei(['+CGSN: "8671234567890123"'])).toBe('8671234567890123');
    expect(parseImei(['86712345678'])).toBeUndefined();
    expect(parseImei(['not an imei'])).toBeUndefined();
  });

  it('IMSI: 6 to 15 digits, or BAD_RESPONSE', () => {
    expect(parseImsi(['440103123456789'])).toBe('440103123456789');
    expect(parseImsi(['+CIMI: 440103123456789'])).toBe('440103123456789');
    expect(parseImsi(['123456'])).toBe('123456');
    for (const lines of [[], ['12345'], ['4401031234567890'], ['44010312345678X']]) {
      expect(() => parseImsi(lines)).toThrow(expect.objectContaining({ code: 'BAD_RESPONSE' }));
    }
  });
});

describe('ICCID', () => {
  const table: [string, string | undefined][] = [
    ['89811000123456789012', '89811000123456789012'],
    ['8981100012345678901F', '8981100012345678901'],
    ['"8981100012345678901F"', '8981100012345678901'],
    // Firmware that prints EF_ICCID's raw nibbles: swapped pairs, the F inside the last pair.
    ['981801002143658709F1', '8981100012345678901'],
    ['98180100214365870921', '89811000123456789012'],
    ['8981100012345678901f', '8981100012345678901'],
    ['898110001234567890', '898110001234567890'],
    ['89811000123F56789012', undefined],
    ['8981100012345678', undefined],
    ['898110001234567890123', undefined],
    ['', undefined],
  ];
  for (const [text, iccid] of table) it(`${text || '(empty)'} → ${iccid}`, () => expect(normaliseIccid(text)).toBe(iccid));

  it('reads it from ^ICCID:', () => {
    expect(parseIccidLine(['^ICCID: 981801002143658709F1'])).toBe('8981100012345678901');
    expect(parseIccidLine(['^iccid:89811000123456789012'])).toBe('89811000123456789012');
    expect(parseIccidLine(['89811000123456789012'])).toBeUndefined();
  });
});
