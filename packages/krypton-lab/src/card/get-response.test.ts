import { describe, expect, it } from 'vitest';
import { dataOf, demoCard, send, sendAll, swOf } from './card-test-kit.test-support.ts';

describe('GET RESPONSE on the card (TS 102 221 §12.1.1)', () => {
  it('hands out the FCP after 61xx; a short Le gives part of it and 61 with the rest', async () => {
    const { card } = await demoCard('demo');
    expect(await send(card, '00a40004022f00')).toBe('611c');
    const whole = dataOf(await sendAll(card, '00c000001c'));
    await send(card, '00a40004022f00');
    const first = await send(card, '00c0000010');
    expect(swOf(first)).toBe('610c');
    const second = await send(card, '00c000000c');
    expect(swOf(second)).toBe('9000');
    expect(dataOf(first) + dataOf(second)).toBe(whole);
  });

  it('answers 6Cxx for a longer Le or Le=00 and keeps the data for the corrected request', async () => {
    const { card } = await demoCard('demo');
    await send(card, '00a40004022f00');
    expect(await send(card, '00c0000020')).toBe('6c1c');
    expect(await send(card, '00c0000000')).toBe('6c1c');
    expect(swOf(await send(card, '00c000001c'))).toBe('9000');
    expect(await send(card, '00c000001c')).toBe('6f00');
  });

  it('answers 6F00 when nothing is pending, and after any other command in between', async () => {
    const { card } = await demoCard('demo');
    expect(await send(card, '00c0000010')).toBe('6f00');
    await send(card, '00a40004022f00');
    await send(card, '80f2000c00');
    expect(await send(card, '00c000001c')).toBe('6f00');
    await send(card, '00a40004022f00');
    await send(card, '00a4'); // even a malformed APDU ends the wait
    expect(await send(card, '00c000001c')).toBe('6f00');
    await send(card, '00a40004022f00');
    card.reset();
    expect(await send(card, '00c000001c')).toBe('6f00');
  });

  it('keeps the data through a GET RESPONSE with wrong P1-P2 (6B00) or without P3 (6700)', async () => {
    const { card } = await demoCard('demo');
    await send(card, '00a40004022f00');
    expect(await send(card, '00c001001c')).toBe('6b00');
    expect(await send(card, '00c00000')).toBe('6700');
    expect(swOf(await send(card, '00c000001c'))).toBe('9000');
  });

  it('is answered 6F00 when T=0 conventions are off, since nothing is ever held back', async () => {
    const { card } = await demoCard('demo', { t0Responses: false });
    expect(swOf(await send(card, '00a40004022f00'))).toBe('9000');
    expect(await send(card, '00c000001c')).toBe('6f00');
  });
});
