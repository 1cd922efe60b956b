import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { decodeEfImsi, fromHex, toHex } from '@krypton-web/krypton-core';
import { demoCard, send, sendAll } from './card-test-kit.test-support.ts';
import { USIM_AID } from './usim-file-tree.ts';
import type { ApduExchange } from './virtual-usim.ts';

/** Status bytes SW1 this card can answer with, and those that may follow response data. */
const SW1_VALUES = [0x90, 0x61, 0x62, 0x63, 0x67, 0x68, 0x69, 0x6a, 0x6b, 0x6c, 0x6d, 0x6e, 0x6f, 0x98];
const SW1_WITH_DATA = [0x90, 0x61, 0x62];

function expectWellFormed(response: Uint8Array): void {
  expect(response.length).toBeGreaterThanOrEqual(2);
  const sw1 = response[response.length - 2]!;
  expect(SW1_VALUES).toContain(sw1);
  if (response.length > 2) expect(SW1_WITH_DATA).toContain(sw1);
}

describe('class and instruction errors (TS 102 221 §10.1)', () => {
  it.each([
    ['unknown INS', '0012000000', '6d00'],
    ['UPDATE BINARY is not offered', '00d6000001ff', '6d00'],
    ['MANAGE CHANNEL is not offered', '0070000001', '6d00'],
    ['odd INS B1', '00b1000001', '6d00'],
    ['INS 60 (a T=0 procedure byte)', '0060000000', '6d00'],
    ['GSM class A0', 'a0a40000023f00', '6e00'],
    ['SELECT with proprietary class 80', '80a40004023f00', '6e00'],
    ['STATUS with class 00', '00f2000000', '6e00'],
    ['command chaining class 10', '10a40004023f00', '6e00'],
    ['class FF', 'ffa40004023f00', '6e00'],
    ['logical channel 1', '01a40004023f00', '6881'],
    ['logical channel 3', '03a40004023f00', '6881'],
    ['STATUS on channel 2', '82f2000c00', '6881'],
    ['further channel 4 (class 40)', '40a40004023f00', '6881'],
    ['further channel 19 (class CF)', 'cff2000c00', '6881'],
    ['secure messaging bits', '04a40004023f00', '6882'],
    ['unknown INS on channel 1 (class checked first)', '0112000000', '6881'],
  ])('%s → %s', async (_label, apdu, sw) => {
    const { card } = await demoCard('demo');
    expect(await send(card, apdu)).toBe(sw);
  });
});

describe('length errors', () => {
  it.each([
    ['empty', ''],
    ['one byte', '00'],
    ['three bytes', '00a400'],
    ['Lc longer than the body', '00a40004033f00'],
    ['Lc shorter than the body', '00a40004013f00'],
    ['two extra bytes after the body', '00a40004023f000000'],
    ['extended length', '00a4000400000002 3f00'],
  ])('%s → 6700', async (_label, apdu) => {
    const { card } = await demoCard('demo');
    expect(await send(card, apdu)).toBe('6700');
  });
});

describe('power and robustness', () => {
  it('answers 6F00 while powered off and works again after power-on', async () => {
    const { card } = await demoCard('demo');
    expect(card.isPowered).toBe(true);
    card.powerOff();
    expect(card.isPowered).toBe(false);
    expect(await send(card, '00a4000c023f00')).toBe('6f00');
    card.powerOn();
    expect(await send(card, '00a4000c023f00')).toBe('9000');
  });

  it('returns to the MF on reset', async () => {
    const { card } = await demoCard('demo');
    await sendAll(card, `00a4040c10${toHex(USIM_AID)}`, '00a4000c026f07');
    card.reset();
    expect(await send(card, '00b0000009')).toBe('6986');
    expect(await send(card, '00a4000c026f07')).toBe('6a82');
    expect(await send(card, '00a4000c027fff')).toBe('6a82');
  });

  it('answers a non-byte-array input with 6700 instead of throwing', async () => {
    const { card } = await demoCard('demo');
    expect(toHex(await card.transmit(null as unknown as Uint8Array))).toBe('6700');
  });

  it('copies the command at once, so the caller may reuse its buffer', async () => {
    const { card } = await demoCard('demo');
    const buffer = fromHex('00a4000c022fe2');
    const pending = card.transmit(buffer);
    buffer.set(fromHex('00a4000c021234'));
    expect(toHex(await pending)).toBe('9000');
  });

  it('handles APDUs sent without waiting one at a time, in order', async () => {
    const { card, profile } = await demoCard('demo');
    const commands = [`00a4040410${toHex(USIM_AID)}`, '00c0000033', '00a4000c026f07', '00b0000009'].map((h) => card.transmit(fromHex(h)));
    const answers = (await Promise.all(commands)).map(toHex);
    expect(answers[0]).toBe('6133');
    expect(answers[1]!.slice(-4)).toBe('9000');
    expect(answers[2]).toBe('9000');
    expect(decodeEfImsi(fromHex(answers[3]!.slice(0, -4)))).toBe(profile.imsi);
  });

  it('counts APDUs and reports each exchange to the trace hook, whose errors do not matter', async () => {
    const seen: ApduExchange[] = [];
    const { card } = await demoCard('demo', {
      onApdu: (e) => {
        seen.push(e);
        if (e.index === 2) throw new Error('observer bug');
      },
    });
    await sendAll(card, '00a40004023f00', '00c0000026', 'ff');
    card.powerOff();
    await send(card, '80f2000c00');
    expect(card.apduCount).toBe(4);
    expect(seen.map((e) => [e.index, toHex(e.command), toHex(e.response).slice(-4)])).toEqual([
      [1, '00a40004023f00', '6126'],
      [2, '00c0000026', '9000'],
      [3, 'ff', '6700'],
      [4, '80f2000c00', '6f00'],
    ]);
  });

  it('never throws on random APDUs and always answers a well-formed response', async () => {
    const { card } = await demoCard('demo-pin');
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 300 }), async (bytes) => {
        expectWellFormed(await card.transmit(bytes));
      }),
      { numRuns: 500 },
    );
  });

  it('never throws on random APDUs aimed at the implemented commands, and still reads the IMSI afterwards', async () => {
    const { card, profile } = await demoCard('demo');
    const header = fc.tuple(
      fc.constantFrom(0x00, 0x80, 0x01, 0xa0),
      fc.constantFrom(0xa4, 0xf2, 0xb0, 0xb2, 0xc0, 0x20, 0x24, 0x26, 0x28, 0x2c, 0x88),
      fc.integer({ min: 0, max: 255 }),
      fc.integer({ min: 0, max: 255 }),
    );
    const body = fc.oneof(
      fc.constant(new Uint8Array(0)),
      fc.uint8Array({ minLength: 1, maxLength: 1 }),
      fc.uint8Array({ minLength: 1, maxLength: 40 }).map((d) => Uint8Array.of(d.length, ...d)),
    );
    await fc.assert(
      fc.asyncProperty(header, body, async ([cla, ins, p1, p2], rest) => {
        expectWellFormed(await card.transmit(Uint8Array.of(cla, ins, p1, p2, ...rest)));
      }),
      { numRuns: 1500 },
    );
    card.powerOn();
    const imsi = await sendAll(card, `00a4040c10${toHex(USIM_AID)}`, '00a4000c026f07', '00b0000009');
    expect(decodeEfImsi(fromHex(imsi.slice(0, -4)))).toBe(profile.imsi);
  });
});
