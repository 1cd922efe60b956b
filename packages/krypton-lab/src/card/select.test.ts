import { describe, expect, it } from 'vitest';
import { toHex } from '@krypton-web/krypton-core';
import { dataOf, demoCard, fcpFields, send, sendAll, swOf } from './card-test-kit.test-support.ts';
import { USIM_AID } from './usim-file-tree.ts';

const AID = toHex(USIM_AID);
const SELECT_ADF = `00a40404 10 ${AID}`;
const SELECT_ADF_NO_DATA = `00a4040c 10 ${AID}`;

/** Sends a SELECT with P2=04 and fetches its FCP with GET RESPONSE, checking the 61xx announcement. */
async function selectFcp(card: Awaited<ReturnType<typeof demoCard>>['card'], apdu: string): Promise<Map<number, string>> {
  const first = await send(card, apdu);
  expect(first.slice(0, 2)).toBe('61');
  const fcp = await send(card, `00c00000${first.slice(2)}`);
  expect(swOf(fcp)).toBe('9000');
  return fcpFields(dataOf(fcp));
}

describe('SELECT status words', () => {
  it.each([
    ['MF by id, FCP', [], '00a40004023f00', '6126'],
    ['MF by id, no data', [], '00a4000c023f00', '9000'],
    ['EF_DIR by id', [], '00a40004022f00', '611c'],
    ['EF_ICCID by id', [], '00a40004022fe2', '6119'],
    ['EF_ARR of the MF', [], '00a40004022f06', '611c'],
    ['7FFF before any application is active', [], '00a40004027fff', '6a82'],
    ['USIM by full AID', [], SELECT_ADF, '6133'],
    ['USIM by right-truncated AID (registered prefix)', [], '00a4040407a0000000871002', '6133'],
    ['USIM by RID only', [], '00a4040405a000000087', '6133'],
    ['ISIM AID that is not on the card', [], '00a4040407a0000000871004', '6a82'],
    ['AID longer than 16 bytes', [], `00a4040411${AID}00`, '6700'],
    ['empty AID', [], '00a4040400', '6700'],
    ['EF_IMSI from the MF (not a child)', [], '00a40004026f07', '6a82'],
    ['EF_IMSI in the ADF', [SELECT_ADF_NO_DATA], '00a40004026f07', '6119'],
    ['EF_AD in the ADF', [SELECT_ADF_NO_DATA], '00a40004026fad', '6119'],
    ['EF_MSISDN in the ADF', [SELECT_ADF_NO_DATA], '00a40004026f40', '611b'],
    ['7FFF once the USIM is active', [SELECT_ADF_NO_DATA], '00a40004027fff', '6133'],
    ['7FFF after going back to the MF (application stays active)', [SELECT_ADF_NO_DATA, '00a4000c023f00'], '00a4000c027fff', '9000'],
    ['the MF as parent of the ADF', [SELECT_ADF_NO_DATA], '00a4000c023f00', '9000'],
    ['an EF of the parent DF is not reachable', [SELECT_ADF_NO_DATA, '00a4000c026f07'], '00a4000c022fe2', '6a82'],
    ['unknown file id', [], '00a40004021234', '6a82'],
    ['path from MF to EF_ICCID', [], '00a40804022fe2', '6119'],
    ['path from MF through 7FFF', [SELECT_ADF_NO_DATA, '00a4000c023f00'], '00a40804047fff6f07', '6119'],
    ['path from MF through 7FFF with no active application', [], '00a40804047fff6f07', '6a82'],
    ['path through an EF', [], '00a40804042f006f07', '6a82'],
    ['path from the current DF (ADF)', [SELECT_ADF_NO_DATA], '00a40904026fad', '6119'],
    ['path from the current DF (MF) to an ADF file', [], '00a40904026fad', '6a82'],
    ['path of odd length', [], '00a40804032fe200', '6700'],
    ['file id of one byte', [], '00a40004013f', '6700'],
    ['Lc announcing more data than sent', [], '00a40004023f', '6700'],
    ['P3 without the data', [], '00a4000402', '6700'],
    ['P1 01 (child DF) is not offered', [], '00a40104023f00', '6a86'],
    ['P1 03 (parent) is not offered', [], '00a40304023f00', '6a86'],
    ['P2 00', [], '00a40000023f00', '6a86'],
    ['P2 44 (application termination)', [], '00a40444023f00', '6a86'],
  ])('%s', async (_label, setup: string[], apdu, sw) => {
    const { card } = await demoCard('demo');
    await sendAll(card, ...setup);
    expect(swOf(await send(card, apdu))).toBe(sw);
  });

  it('leaves the selection unchanged when it fails', async () => {
    const { card } = await demoCard('demo');
    await send(card, '00a4000c022fe2');
    expect(await send(card, '00a4000c021234')).toBe('6a82');
    expect(await send(card, '00b000000a')).toBe('981801000000000010f69000');
  });

  it('accepts a case 4 APDU with a trailing Le and still answers 61xx on T=0', async () => {
    const { card } = await demoCard('demo');
    expect(await send(card, '00a40004023f0000')).toBe('6126');
  });
});

describe('FCP templates (TS 102 221 §11.1.1.3)', () => {
  it('describes the MF: DF descriptor, id, UICC characteristics, LCSI, ARR, PIN status template', async () => {
    const { card } = await demoCard('demo');
    const f = await selectFcp(card, '00a40004023f00');
    expect([...f.keys()]).toEqual([0x82, 0x83, 0xa5, 0x8a, 0x8b, 0xc6, 0x81]);
    expect(f.get(0x82)).toBe('7821');
    expect(f.get(0x83)).toBe('3f00');
    expect(f.get(0xa5)).toBe('800171');
    expect(f.get(0x8a)).toBe('05');
    expect(f.get(0x8b)).toBe('2f0603');
    // demo: PIN1 disabled, PIN2 enabled → PS_DO 40.
    expect(f.get(0xc6)).toBe('900140830101830181');
  });

  it('sets PS_DO bit 8 when PIN1 is enabled', async () => {
    const { card } = await demoCard('demo-pin');
    const f = await selectFcp(card, '00a40004023f00');
    expect(f.get(0xc6)).toBe('9001c0830101830181');
  });

  it('describes the USIM ADF with its AID (84) and PIN status template', async () => {
    const { card } = await demoCard('demo-pin');
    const f = await selectFcp(card, SELECT_ADF);
    expect(f.get(0x82)).toBe('7821');
    expect(f.get(0x83)).toBe('7fff');
    expect(f.get(0x84)).toBe(AID);
    expect(f.get(0x8a)).toBe('05');
    expect(f.get(0xc6)).toBe('9001c0830101830181');
  });

  it('describes EF_DIR as linear fixed with record length and count, SFI 1E', async () => {
    const { card } = await demoCard('demo');
    const f = await selectFcp(card, '00a40004022f00');
    expect([...f.keys()]).toEqual([0x82, 0x83, 0x8a, 0x8b, 0x80, 0x88]);
    expect(f.get(0x82)).toBe('4221002602');
    expect(f.get(0x83)).toBe('2f00');
    expect(f.get(0x8b)).toBe('2f0601');
    expect(f.get(0x80)).toBe('004c');
    expect(f.get(0x88)).toBe('f0');
  });

  it.each([
    ['EF_ICCID', [], '2fe2', '4121', '000a', '10', '2f0601'],
    ['EF_IMSI', [SELECT_ADF_NO_DATA], '6f07', '4121', '0009', '38', '6f0602'],
    ['EF_AD', [SELECT_ADF_NO_DATA], '6fad', '4121', '0004', '18', '6f0601'],
    ['EF_MSISDN', [SELECT_ADF_NO_DATA], '6f40', '4221001c01', '001c', '', '6f0602'],
  ])('describes %s', async (_name, setup: string[], fid, descriptor, size, sfi, arr) => {
    const { card } = await demoCard('demo');
    await sendAll(card, ...setup);
    const f = await selectFcp(card, `00a4000402${fid}`);
    expect(f.get(0x82)).toBe(descriptor);
    expect(f.get(0x83)).toBe(fid);
    expect(f.get(0x80)).toBe(size);
    expect(f.get(0x88)).toBe(sfi);
    expect(f.get(0x8b)).toBe(arr);
  });

  it('returns the FCP with 9000 directly when T=0 conventions are off', async () => {
    const { card } = await demoCard('demo', { t0Responses: false });
    const r = await send(card, '00a40004022f00');
    expect(swOf(r)).toBe('9000');
    expect(fcpFields(dataOf(r)).get(0x82)).toBe('4221002602');
  });
});
