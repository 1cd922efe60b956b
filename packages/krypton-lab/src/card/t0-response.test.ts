import { describe, expect, it } from 'vitest';
import { fromHex, toHex } from '@krypton-web/krypton-core';
import { exactLength, getResponse } from './t0-response.ts';

const PENDING = fromHex('0102030405');

describe('GET RESPONSE on T=0', () => {
  it.each([
    // [Le, expected data, expected SW, data left pending]
    [5, '0102030405', 0x9000, undefined],
    [3, '010203', 0x6102, '0405'],
    [1, '01', 0x6104, '02030405'],
    [6, '', 0x6c05, '0102030405'],
    [256, '', 0x6c05, '0102030405'],
  ])('Le=%i gives data %s and SW %s', (le, data, sw, rest) => {
    const r = getResponse(PENDING, le);
    expect(toHex(r.reply.data)).toBe(data);
    expect(r.reply.sw).toBe(sw);
    expect(r.pending === undefined ? undefined : toHex(r.pending)).toBe(rest);
  });

  it('answers 6F00 when no response data is waiting (TS 102 221 §12.1.1.1)', () => {
    expect(getResponse(undefined, 5).reply.sw).toBe(0x6f00);
    expect(getResponse(new Uint8Array(0), 5).reply.sw).toBe(0x6f00);
  });

  it('hands out 256 bytes for Le=00 when at least that much is waiting', () => {
    const big = new Uint8Array(300).map((_, i) => i & 0xff);
    const first = getResponse(big, 256);
    expect(first.reply.data.length).toBe(256);
    expect(first.reply.sw).toBe(0x612c);
    const second = getResponse(first.pending, 0x2c);
    expect(second.reply.sw).toBe(0x9000);
    expect(second.reply.data[0]).toBe(0);
  });
});

describe('exact-length case 2 answers', () => {
  const data = fromHex('aabbcc');
  it.each([
    [3, true, 0x9000, 'aabbcc'],
    [2, true, 0x6c03, ''],
    [4, true, 0x6c03, ''],
    [256, true, 0x6c03, ''],
    [3, false, 0x9000, 'aabbcc'],
    [256, false, 0x9000, 'aabbcc'],
    [2, false, 0x6c03, ''],
  ])('Le=%i on t0=%s gives %s', (le, t0, sw, out) => {
    const r = exactLength(data, le, t0);
    expect(r.sw).toBe(sw);
    expect(toHex(r.data)).toBe(out);
  });
});
