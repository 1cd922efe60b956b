import { describe, expect, it } from 'vitest';
import { toHex } from '@krypton-web/krypton-core';
import { dataOf, demoCard, fcpFields, send, sendAll, swOf } from './card-test-kit.test-support.ts';
import { USIM_AID } from './usim-file-tree.ts';

const AID = toHex(USIM_AID);
const SELECT_ADF = `00a4040c10${AID}`;
const ICCID = '981801000000000010f6';
const DIR_RECORD_1 = `61184f10${AID}50045553494d` + 'ff'.repeat(12);
const DIR_RECORD_2 = 'ff'.repeat(38);

describe('READ BINARY (TS 102 221 §11.1.3)', () => {
  it.each([
    ['whole EF_ICCID', ['00a4000c022fe2'], '00b000000a', ICCID + '9000'],
    ['from an offset', ['00a4000c022fe2'], '00b0000203', ICCID.slice(4, 10) + '9000'],
    ['last byte', ['00a4000c022fe2'], '00b0000901', 'f69000'],
    ['more than remains: data and 6282', ['00a4000c022fe2'], '00b000080c', ICCID.slice(16) + '6282'],
    ['Le=00 on T=0: 6C with the exact length', ['00a4000c022fe2'], '00b0000000', '6c0a'],
    ['Le=00 from an offset', ['00a4000c022fe2'], '00b0000400', '6c06'],
    ['offset at the end', ['00a4000c022fe2'], '00b0000a01', '6b00'],
    ['offset far beyond the end', ['00a4000c022fe2'], '00b07fff01', '6b00'],
    ['no EF selected after reset', [], '00b0000001', '6986'],
    ['a DF selected', [SELECT_ADF], '00b0000001', '6986'],
    ['on a linear fixed EF', ['00a4000c022f00'], '00b0000001', '6981'],
    ['EF_IMSI with PIN1 disabled', [SELECT_ADF, '00a4000c026f07'], '00b0000009', '0809101000000000109000'],
    ['EF_AD (MNC length 2)', [SELECT_ADF, '00a4000c026fad'], '00b0000004', '000000029000'],
    ['by SFI 02 (EF_ICCID) from the MF', [], '00b082000a', ICCID + '9000'],
    ['by SFI 07 (EF_IMSI) from the ADF', [SELECT_ADF], '00b0870009', '0809101000000000109000'],
    ['by SFI with an offset in P2', [], '00b0820805', ICCID.slice(16) + '6282'],
    ['by an SFI the current DF lacks', [], '00b0870009', '6a82'],
    ['by SFI with P1 b7..b6 set (RFU)', [], '00b0c2000a', '6b00'],
    ['by SFI of a linear fixed EF', [], '00b09e0001', '6981'],
    ['without P3', ['00a4000c022fe2'], '00b00000', '6700'],
    ['with a data field', ['00a4000c022fe2'], '00b00000021234', '6700'],
  ])('%s', async (_label, setup: string[], apdu, expected) => {
    const { card } = await demoCard('demo');
    await sendAll(card, ...setup);
    expect(await send(card, apdu)).toBe(expected);
  });

  it('makes an EF read by SFI the current EF', async () => {
    const { card } = await demoCard('demo');
    await send(card, '00b0820001');
    expect(await send(card, '00b000000a')).toBe(ICCID + '9000');
  });

  it('reads the 14-digit IMSI of demo-even with parity nibble 1 and an F filler', async () => {
    const { card } = await demoCard('demo-even');
    expect(await sendAll(card, SELECT_ADF, '00a4000c026f07', '00b0000009')).toBe('0801101000000000f49000');
  });

  it('refuses EF_IMSI with 6982 while PIN1 is enabled and not verified, and reads it after VERIFY', async () => {
    const { card } = await demoCard('demo-pin');
    await sendAll(card, SELECT_ADF, '00a4000c026f07');
    expect(await send(card, '00b0000009')).toBe('6982');
    expect(await send(card, '002000010831323334ffffffff')).toBe('9000');
    expect(await send(card, '00b0000009')).toBe('0809101000000000209000');
  });

  it('returns everything with 9000 for Le=00 when T=0 conventions are off', async () => {
    const { card } = await demoCard('demo', { t0Responses: false });
    expect(await sendAll(card, '00a4000c022fe2', '00b0000000')).toBe(ICCID + '9000');
  });
});

describe('READ RECORD (TS 102 221 §11.1.5)', () => {
  it.each([
    ['record 1 of EF_DIR', ['00a4000c022f00'], '00b2010426', DIR_RECORD_1 + '9000'],
    ['record 2 (unused, all FF)', ['00a4000c022f00'], '00b2020426', DIR_RECORD_2 + '9000'],
    ['record 3 does not exist', ['00a4000c022f00'], '00b2030426', '6a83'],
    ['record 0 in absolute mode without a current record', ['00a4000c022f00'], '00b2000426', '6a83'],
    ['Le=00 on T=0', ['00a4000c022f00'], '00b2010400', '6c26'],
    ['Le shorter than the record', ['00a4000c022f00'], '00b2010410', '6c26'],
    ['Le longer than the record', ['00a4000c022f00'], '00b2010430', '6c26'],
    ['on a transparent EF', ['00a4000c022fe2'], '00b2010401', '6981'],
    ['no EF selected', [], '00b2010426', '6986'],
    ['mode 05 (RFU)', ['00a4000c022f00'], '00b2010526', '6a86'],
    ['mode 01 (RFU)', ['00a4000c022f00'], '00b2010126', '6a86'],
    ['SFI 1F (RFU)', ['00a4000c022f00'], '00b201fc26', '6a86'],
    ['by SFI 1E (EF_DIR) from the MF', [], '00b201f426', DIR_RECORD_1 + '9000'],
    ['by an SFI the current DF lacks', [], '00b2013c26', '6a82'],
    [
      'EF_MSISDN with PIN1 disabled',
      [SELECT_ADF, '00a4000c026f40'],
      '00b201041c',
      'ff'.repeat(14) + '0791180000000010ffffffff' + 'ffff' + '9000',
    ],
    ['without P3', ['00a4000c022f00'], '00b20104', '6700'],
  ])('%s', async (_label, setup: string[], apdu, expected) => {
    const { card } = await demoCard('demo');
    await sendAll(card, ...setup);
    expect(await send(card, apdu)).toBe(expected);
  });

  it('walks records with NEXT and PREVIOUS and keeps the pointer through ABSOLUTE reads', async () => {
    const { card } = await demoCard('demo');
    await send(card, '00a4000c022f00');
    expect(await send(card, '00b2000226')).toBe(DIR_RECORD_1 + '9000'); // next → 1
    expect(await send(card, '00b2020426')).toBe(DIR_RECORD_2 + '9000'); // absolute 2, pointer stays at 1
    expect(await send(card, '00b2000426')).toBe(DIR_RECORD_1 + '9000'); // current = 1
    expect(await send(card, '00b2000226')).toBe(DIR_RECORD_2 + '9000'); // next → 2
    expect(await send(card, '00b2000226')).toBe('6a83'); // no record after the last
    expect(await send(card, '00b2000326')).toBe(DIR_RECORD_1 + '9000'); // previous → 1
    expect(await send(card, '00b2000326')).toBe('6a83');
  });

  it('starts PREVIOUS at the last record when no record is current, and resets the pointer on SELECT', async () => {
    const { card } = await demoCard('demo');
    await send(card, '00a4000c022f00');
    expect(await send(card, '00b2000326')).toBe(DIR_RECORD_2 + '9000');
    await send(card, '00a4000c022f00');
    expect(await send(card, '00b2000426')).toBe('6a83');
  });

  it('does not move the pointer when Le is wrong (6Cxx asks for a resend)', async () => {
    const { card } = await demoCard('demo');
    await send(card, '00a4000c022f00');
    expect(await send(card, '00b2000210')).toBe('6c26');
    expect(await send(card, '00b2000226')).toBe(DIR_RECORD_1 + '9000');
  });

  it('refuses EF_MSISDN with 6982 on demo-pin until PIN1 is verified', async () => {
    const { card } = await demoCard('demo-pin');
    await sendAll(card, SELECT_ADF, '00a4000c026f40');
    expect(await send(card, '00b201041c')).toBe('6982');
  });

  it('returns the record for Le=00 when T=0 conventions are off', async () => {
    const { card } = await demoCard('demo', { t0Responses: false });
    expect(await sendAll(card, '00a4000c022f00', '00b2010400')).toBe(DIR_RECORD_1 + '9000');
  });
});

describe('STATUS (TS 102 221 §11.1.2)', () => {
  it.each([
    ['FCP of the MF, Le=00 on T=0', [], '80f2000000', '6c26'],
    ['FCP of the MF, wrong Le', [], '80f2000010', '6c26'],
    ['FCP of the ADF', [SELECT_ADF], '80f2000000', '6c33'],
    ['FCP of the current DF when an EF is selected', [SELECT_ADF, '00a4000c026f07'], '80f2000000', '6c33'],
    ['DF name of the application', [SELECT_ADF], '80f2000112', `8410${AID}9000`],
    ['DF name with no active application', [], '80f2000112', '6985'],
    ['no data, P3=00', [], '80f2000c00', '9000'],
    ['no data, case 1', [], '80f2000c', '9000'],
    ['no data but Le announced', [], '80f2000c05', '6700'],
    ['application initialised (P1=01)', [], '80f2010c00', '9000'],
    ['termination announced (P1=02)', [], '80f2020c00', '9000'],
    ['P1 03', [], '80f2030c00', '6a86'],
    ['P2 02', [], '80f2000200', '6a86'],
    ['FCP without Le', [], '80f20000', '6700'],
    ['with CLA 00', [], '00f2000000', '6e00'],
  ])('%s', async (_label, setup: string[], apdu, expected) => {
    const { card } = await demoCard('demo');
    await sendAll(card, ...setup);
    expect(await send(card, apdu)).toBe(expected);
  });

  it('returns the same FCP as SELECT of the current DF', async () => {
    const { card } = await demoCard('demo');
    await send(card, `00a40404 10 ${AID}`);
    const fromSelect = dataOf(await send(card, '00c0000033'));
    const status = await send(card, '80f2000033');
    expect(swOf(status)).toBe('9000');
    expect(dataOf(status)).toBe(fromSelect);
    expect(fcpFields(dataOf(status)).get(0x84)).toBe(AID);
  });

  it('answers data and 9000 for Le=00 when T=0 conventions are off', async () => {
    const { card } = await demoCard('demo', { t0Responses: false });
    const r = await send(card, '80f2000000');
    expect(swOf(r)).toBe('9000');
    expect(fcpFields(dataOf(r)).get(0x83)).toBe('3f00');
  });
});
