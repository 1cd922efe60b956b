import { describe, expect, it } from 'vitest';
import { toHex } from '@krypton-web/krypton-core';
import { demoCard, fcpFields, send, sendAll, dataOf } from './card-test-kit.test-support.ts';
import { encodePinBlock } from './pin.ts';
import { VirtualUsim } from './virtual-usim.ts';
import { USIM_AID } from './usim-file-tree.ts';

const block = (pin: string): string => toHex(encodePinBlock(pin));
const verify = (pin: string, key = '01'): string => `002000${key}08${block(pin)}`;
const change = (oldPin: string, newPin: string): string => `0024000110${block(oldPin)}${block(newPin)}`;
const disable = (pin: string): string => `0026000108${block(pin)}`;
const enable = (pin: string): string => `0028000108${block(pin)}`;
const unblock = (puk: string, newPin: string): string => `002c000110${block(puk)}${block(newPin)}`;
const READ_IMSI = [`00a4040c10${toHex(USIM_AID)}`, '00a4000c026f07', '00b0000009'];

async function readImsiSw(card: VirtualUsim): Promise<string> {
  return (await sendAll(card, ...READ_IMSI)).slice(-4);
}

describe('VERIFY PIN (TS 102 221 §11.1.9)', () => {
  it.each([
    ['empty body: tries left', 'demo-pin', [], '0020000100', '63c3'],
    ['empty body, case 1 form', 'demo-pin', [], '00200001', '63c3'],
    ['empty body when PIN1 is disabled', 'demo', [], '0020000100', '9000'],
    ['empty body after verification', 'demo-pin', [verify('1234')], '0020000100', '9000'],
    ['empty body when blocked', 'demo-blocked', [], '0020000100', '63c0'],
    ['correct PIN', 'demo-pin', [], verify('1234'), '9000'],
    ['wrong PIN', 'demo-pin', [], verify('4321'), '63c2'],
    ['correct PIN while blocked', 'demo-blocked', [], verify('1234'), '6983'],
    ['a PIN for a disabled PIN1', 'demo', [], verify('0000'), '6985'],
    ['PIN2 (key 81, default 0000)', 'demo', [], verify('0000', '81'), '9000'],
    ['key reference 02', 'demo-pin', [], verify('1234', '02'), '6a88'],
    ['key reference 00', 'demo-pin', [], verify('1234', '00'), '6a88'],
    ['key reference 0A (ADM1) is not offered', 'demo-pin', [], verify('1234', '0a'), '6a88'],
    ['P1 01', 'demo-pin', [], `0020010108${block('1234')}`, '6b00'],
    ['three digits', 'demo-pin', [], '0020000108313233ffffffffff', '6a80'],
    ['a letter', 'demo-pin', [], '002000010831323341ffffffff', '6a80'],
    ['digits after the padding', 'demo-pin', [], '002000010831323334ff35ffff', '6a80'],
    ['Lc 4', 'demo-pin', [], '002000010431323334', '6700'],
    ['P3 8 without data', 'demo-pin', [], '0020000108', '6700'],
  ])('%s', async (_label, sim, setup: string[], apdu, sw) => {
    const { card } = await demoCard(sim);
    await sendAll(card, ...setup);
    expect(await send(card, apdu)).toBe(sw);
  });

  it('counts wrong PINs down to a block, after which even the right PIN gets 6983', async () => {
    const { card } = await demoCard('demo-pin');
    expect(await send(card, verify('0000'))).toBe('63c2');
    expect(await send(card, '0020000100')).toBe('63c2');
    expect(await send(card, verify('0000'))).toBe('63c1');
    expect(await send(card, verify('0000'))).toBe('63c0');
    expect(card.pin1TriesLeft).toBe(0);
    expect(await send(card, verify('1234'))).toBe('6983');
    expect(await send(card, verify('0000'))).toBe('6983');
    expect(await readImsiSw(card)).toBe('6982');
  });

  it('resets the counter to 3 on a correct PIN', async () => {
    const { card } = await demoCard('demo-pin');
    await sendAll(card, verify('0000'), verify('0000'));
    expect(card.pin1TriesLeft).toBe(1);
    expect(card.pin1Verified).toBe(false);
    expect(await send(card, verify('1234'))).toBe('9000');
    expect(card.pin1TriesLeft).toBe(3);
    expect(card.pin1Verified).toBe(true);
  });

  it('does not spend a try on a malformed PIN', async () => {
    const { card } = await demoCard('demo-pin');
    await send(card, '002000010831323341ffffffff');
    expect(card.pin1TriesLeft).toBe(3);
  });

  it('keeps counters across power cycles but not the verification', async () => {
    const { card } = await demoCard('demo-pin');
    await sendAll(card, verify('9999'), verify('1234'), verify('9999'));
    card.powerOff();
    card.powerOn();
    expect(await send(card, '0020000100')).toBe('63c2');
    expect(await readImsiSw(card)).toBe('6982');
    await send(card, verify('1234'));
    expect(await readImsiSw(card)).toBe('9000');
    card.reset();
    expect(await readImsiSw(card)).toBe('6982');
  });

  it('clears an earlier verification when a wrong PIN follows', async () => {
    const { card } = await demoCard('demo-pin');
    await sendAll(card, verify('1234'), verify('1111'));
    expect(await readImsiSw(card)).toBe('6982');
  });
});

describe('CHANGE PIN (TS 102 221 §11.1.10)', () => {
  it('replaces the PIN after checking the old one', async () => {
    const { card } = await demoCard('demo-pin');
    expect(await send(card, change('1234', '567890'))).toBe('9000');
    expect(await readImsiSw(card)).toBe('9000'); // the old PIN was presented correctly
    card.powerOn();
    expect(await send(card, verify('1234'))).toBe('63c2');
    expect(await send(card, verify('567890'))).toBe('9000');
  });

  it.each([
    ['wrong old PIN', 'demo-pin', change('1111', '5678'), '63c2'],
    ['malformed new PIN', 'demo-pin', `0024000110${block('1234')}3132ffffffffffff`, '6a80'],
    ['Lc 8', 'demo-pin', `0024000108${block('1234')}`, '6700'],
    ['disabled PIN1', 'demo', change('0000', '1234'), '6985'],
    ['blocked PIN1', 'demo-blocked', change('1234', '5678'), '6983'],
    ['PIN2', 'demo', `0024008110${block('0000')}${block('2222')}`, '9000'],
    ['key 03', 'demo-pin', `0024000310${block('1234')}${block('5678')}`, '6a88'],
  ])('%s', async (_label, sim, apdu, sw) => {
    const { card } = await demoCard(sim);
    expect(await send(card, apdu)).toBe(sw);
  });

  it('blocks after three wrong old PINs', async () => {
    const { card } = await demoCard('demo-pin');
    expect(await sendAll(card, change('0000', '1111'), change('0000', '1111'), change('0000', '1111'))).toBe('63c0');
    expect(await send(card, change('1234', '1111'))).toBe('6983');
  });
});

describe('DISABLE and ENABLE PIN (TS 102 221 §11.1.11, §11.1.12)', () => {
  it('disables PIN1: EF_IMSI is readable without VERIFY, PS_DO bit 8 clears, and it persists', async () => {
    const { card } = await demoCard('demo-pin');
    expect(await send(card, disable('1234'))).toBe('9000');
    expect(card.pin1Enabled).toBe(false);
    card.powerOff();
    card.powerOn();
    expect(await readImsiSw(card)).toBe('9000');
    expect(await send(card, '0020000100')).toBe('9000');
    await send(card, '00a40004023f00');
    expect(fcpFields(dataOf(await send(card, '00c0000026'))).get(0xc6)).toBe('900140830101830181');
  });

  it('enables PIN1 with the right PIN: EF_IMSI then needs VERIFY after a reset', async () => {
    const { card } = await demoCard('demo');
    expect(await send(card, enable('0000'))).toBe('9000');
    expect(card.pin1Enabled).toBe(true);
    expect(await readImsiSw(card)).toBe('9000'); // just presented
    card.powerOn();
    expect(await readImsiSw(card)).toBe('6982');
  });

  it.each([
    ['disable with a wrong PIN', 'demo-pin', disable('9999'), '63c2'],
    ['disable when already disabled', 'demo', disable('0000'), '6985'],
    ['disable when blocked', 'demo-blocked', disable('1234'), '6983'],
    ['enable when already enabled', 'demo-pin', enable('1234'), '6985'],
    ['enable with a wrong PIN', 'demo', enable('1234'), '63c2'],
    ['enable, malformed PIN', 'demo', '002800010830ffffffffffffff', '6a80'],
    ['disable, key 05', 'demo-pin', `0026000508${block('1234')}`, '6a88'],
    ['disable, P1 80 (alternative key) not offered', 'demo-pin', `0026800108${block('1234')}`, '6b00'],
    ['disable, Lc 16', 'demo-pin', `0026000110${block('1234')}${block('1234')}`, '6700'],
  ])('%s', async (_label, sim, apdu, sw) => {
    const { card } = await demoCard(sim);
    expect(await send(card, apdu)).toBe(sw);
  });
});

describe('UNBLOCK PIN (TS 102 221 §11.1.13)', () => {
  it('unblocks demo-blocked with PUK 12345678 and sets the new PIN', async () => {
    const { card } = await demoCard('demo-blocked');
    expect(await send(card, verify('1234'))).toBe('6983');
    expect(await send(card, '002c000100')).toBe('63ca');
    expect(await send(card, unblock('12345678', '2468'))).toBe('9000');
    expect(card.pin1TriesLeft).toBe(3);
    expect(card.puk1TriesLeft).toBe(10);
    expect(await readImsiSw(card)).toBe('9000');
    card.powerOn();
    expect(await send(card, verify('1234'))).toBe('63c2');
    expect(await send(card, verify('2468'))).toBe('9000');
  });

  it('enables a disabled PIN when unblocking it', async () => {
    const { card } = await demoCard('demo');
    expect(await send(card, unblock('12345678', '1357'))).toBe('9000');
    expect(card.pin1Enabled).toBe(true);
  });

  it('counts wrong PUKs 63C9 … 63C0, then 6983 even for the right PUK, across power cycles', async () => {
    const { card } = await demoCard('demo-blocked');
    const answers: string[] = [];
    for (let i = 0; i < 5; i++) answers.push(await send(card, unblock('00000000', '1111')));
    card.powerOff();
    card.powerOn();
    for (let i = 0; i < 5; i++) answers.push(await send(card, unblock('00000000', '1111')));
    expect(answers).toEqual(['63c9', '63c8', '63c7', '63c6', '63c5', '63c4', '63c3', '63c2', '63c1', '63c0']);
    expect(await send(card, unblock('12345678', '1111'))).toBe('6983');
    expect(await send(card, '002c000100')).toBe('63c0');
    expect(card.puk1TriesLeft).toBe(0);
  });

  it.each([
    ['Lc 8', `002c000108${block('12345678')}`, '6700'],
    ['malformed new PIN', `002c000110${block('12345678')}41424344ffffffff`, '6a80'],
    ['malformed PUK', `002c000110ffffffffffffffff${block('1111')}`, '6a80'],
    ['key 02', `002c000210${block('12345678')}${block('1111')}`, '6a88'],
  ])('%s', async (_label, apdu, sw) => {
    const { card } = await demoCard('demo-blocked');
    expect(await send(card, apdu)).toBe(sw);
    expect(card.puk1TriesLeft).toBe(10);
  });
});

describe('persistent state', () => {
  it('carries PIN counters to a new card through exportState()', async () => {
    const { card, profile } = await demoCard('demo-pin');
    await sendAll(card, verify('0000'), disable('1234'));
    const again = await VirtualUsim.create(profile, { state: card.exportState() });
    expect(again.pin1Enabled).toBe(false);
    expect(again.pin1TriesLeft).toBe(3);
    expect(again.exportState()).toEqual(card.exportState());
  });
});
