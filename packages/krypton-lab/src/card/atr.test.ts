import { describe, expect, it } from 'vitest';
import { fromHex, toHex } from '@krypton-web/krypton-core';
import { parseAtr, usimAtr } from './atr.ts';
import { demoCard } from './card-test-kit.test-support.ts';

describe('USIM ATR', () => {
  it('announces T=0 first, then T=15 global bytes, and carries a TCK that zeroes the XOR of T0..TCK', () => {
    const atr = usimAtr();
    expect(atr[0]).toBe(0x3b);
    const summary = parseAtr(atr)!;
    expect(summary.protocols).toEqual([0, 15]);
    expect(summary.hasTck).toBe(true);
    expect(summary.tckValid).toBe(true);
    expect(atr.slice(1).reduce((x, b) => x ^ b, 0)).toBe(0);
    expect(toHex(atr)).toBe('3b9f96801fc78031a073be2113674b525950544f4e9d');
  });

  it('has 15 historical bytes starting with category indicator 80', () => {
    const summary = parseAtr(usimAtr())!;
    expect(summary.historicalBytes.length).toBe(15);
    expect(summary.historicalBytes[0]).toBe(0x80);
  });

  it('is what the card returns on power-on and reset, as a fresh copy each time', async () => {
    const { card } = await demoCard('demo');
    const a = card.powerOn();
    a[0] = 0;
    expect(toHex(card.reset())).toBe(toHex(usimAtr()));
    expect(toHex(card.atr)).toBe(toHex(usimAtr()));
  });

  it('detects a corrupted byte through the TCK', () => {
    const atr = usimAtr();
    atr[7]! ^= 0x01;
    expect(parseAtr(atr)!.tckValid).toBe(false);
  });

  it.each([
    ['empty', ''],
    ['bad TS', '3a9f96801fc7'],
    ['truncated interface bytes', '3b9f9680'],
    ['missing historical bytes', '3b9f96801fc78031'],
    ['trailing garbage', toHex(usimAtr()) + '00'],
  ])('rejects a malformed ATR (%s)', (_label, hex) => {
    expect(parseAtr(fromHex(hex))).toBeUndefined();
  });

  it('reads a plain T=0 ATR without TCK', () => {
    // TS, T0 = 0x10 (TA1 only, no historical bytes), TA1.
    expect(parseAtr(fromHex('3b1096'))).toEqual({ protocols: [0], historicalBytes: new Uint8Array(0), hasTck: false, tckValid: true });
  });
});
