import { describe, expect, it } from 'vitest';
import { fromHex, toHex, xorBytes } from '@krypton-web/krypton-core';
import { Milenage } from '../milenage/index.ts';
import { parseSimProfile, type SimProfile } from '../profiles/index.ts';
import { authenticateApdu, demoCard, networkAutn, send, sqnOf } from './card-test-kit.test-support.ts';
import { USIM_AID } from './usim-file-tree.ts';
import { VirtualUsim } from './virtual-usim.ts';

const SELECT_ADF = `00a4040c10${toHex(USIM_AID)}`;
const RAND = fromHex('0123456789abcdef0123456789abcdef');

/** Runs AUTHENTICATE, checks the T=0 61xx announcement, fetches the data and returns it with its SW. */
async function authenticate(card: VirtualUsim, rand: Uint8Array, autn: Uint8Array): Promise<string> {
  const first = await send(card, authenticateApdu(rand, autn));
  if (!first.startsWith('61')) return first;
  return send(card, `00c00000${first.slice(2)}`);
}

/** Kc = CK1 ⊕ CK2 ⊕ IK1 ⊕ IK2 (TS 33.102 §6.8.1.2 c3), written out here rather than reusing the card's helper. */
function c3(ck: Uint8Array, ik: Uint8Array): string {
  return toHex(xorBytes(xorBytes(ck.slice(0, 8), ck.slice(8)), xorBytes(ik.slice(0, 8), ik.slice(8))));
}

/** Decodes `DC 0E AUTS 9000` with the genuine keys: SQN_MS = (SQN_MS ⊕ AK*) ⊕ AK*, and checks MAC-S = f1*(SQN_MS, RAND, 0000). */
async function decodeAuts(profile: SimProfile, rand: Uint8Array, responseHex: string): Promise<string> {
  expect(responseHex.slice(0, 4)).toBe('dc0e');
  expect(responseHex.slice(-4)).toBe('9000');
  const auts = fromHex(responseHex.slice(4, -4));
  expect(auts.length).toBe(14);
  const m = await Milenage.withOpc(fromHex(profile.k), fromHex(profile.opc));
  const { akStar } = await m.f2345(rand);
  const sqnMs = xorBytes(auts.slice(0, 6), akStar);
  const { macS } = await m.f1(rand, sqnMs, new Uint8Array(2));
  expect(toHex(auts.slice(6))).toBe(toHex(macS));
  return toHex(sqnMs);
}

describe('AUTHENTICATE against TS 35.208 test set 1', () => {
  // K, OPc, RAND, SQN, AMF and the expected outputs are the published test set, not values from our Milenage.
  const profile = parseSimProfile(
    {
      name: 'ts35208-set1',
      imsi: '001010123456789',
      iccid: '8981100000000000099',
      k: '465b5ce8b199b49faa5f0a2ee238a6bc',
      opc: 'cd63cb71954a9f4e48a5994e37a02baf',
      amf: 'b9b9',
      sqn: 'ff9bb4d0b5e7', // one SEQ below the test set's SQN ff9bb4d0b607, same IND
    },
    'test',
  );
  const rand = fromHex('23553cbe9637a89d218ae64dae47bf35');
  // AUTN = (SQN ⊕ AK) ‖ AMF ‖ MAC-A = (ff9bb4d0b607 ⊕ aa689c648370) ‖ b9b9 ‖ 4a9ffac354dfafb3.
  const autn = fromHex('55f328b43577' + 'b9b9' + '4a9ffac354dfafb3');
  const res = 'a54211d5e3ba50bf';
  const ck = fromHex('b40ba9a3c58b2a05bbf0d987b21bf8cb');
  const ik = fromHex('f769bcd751044604127672711c6d3441');

  it('answers 6135, then DB 08 RES 10 CK 10 IK 08 Kc through GET RESPONSE', async () => {
    const card = await VirtualUsim.create(profile);
    await send(card, SELECT_ADF);
    expect(await send(card, authenticateApdu(rand, autn))).toBe('6135');
    const answer = await send(card, '00c0000035');
    expect(answer).toBe('db08' + res + '10' + toHex(ck) + '10' + toHex(ik) + '08' + c3(ck, ik) + '9000');
    expect(toHex(card.highestSqn)).toBe('ff9bb4d0b607');
  });

  it('rejects the same AUTN a second time with DC and an AUTS carrying SQN_MS under AK*', async () => {
    const card = await VirtualUsim.create(profile);
    await send(card, SELECT_ADF);
    await authenticate(card, rand, autn);
    expect(await send(card, authenticateApdu(rand, autn))).toBe('6110');
    const answer = await send(card, '00c0000010');
    // AK* of test set 1 is 451e8beca43b: the first six AUTS bytes are SQN_MS ⊕ AK*.
    expect(answer.slice(4, 16)).toBe(toHex(xorBytes(fromHex('ff9bb4d0b607'), fromHex('451e8beca43b'))));
    expect(await decodeAuts(profile, rand, answer)).toBe('ff9bb4d0b607');
  });
});

describe('AUTHENTICATE on the demo SIMs (TS 31.102 §7.1.2)', () => {
  it('returns RES, CK, IK and Kc equal to what Milenage computes for the network', async () => {
    const { card, profile } = await demoCard('demo');
    const sqn = sqnOf(2, 0);
    await send(card, SELECT_ADF);
    const answer = await authenticate(card, RAND, await networkAutn(profile, RAND, sqn));
    const m = await Milenage.withOpc(fromHex(profile.k), fromHex(profile.opc));
    const expected = await m.compute(RAND, sqn, fromHex(profile.amf));
    expect(answer).toBe(
      'db08' + toHex(expected.res) + '10' + toHex(expected.ck) + '10' + toHex(expected.ik) + '08' + c3(expected.ck, expected.ik) + '9000',
    );
    expect(card.seqArray[0]).toBe(2);
    expect(toHex(card.highestSqn)).toBe(toHex(sqn));
  });

  it('answers DC for the SQN the card starts with, reporting it as SQN_MS', async () => {
    const { card, profile } = await demoCard('demo');
    await send(card, SELECT_ADF);
    const answer = await authenticate(card, RAND, await networkAutn(profile, RAND, fromHex(profile.sqn)));
    expect(await decodeAuts(profile, RAND, answer)).toBe(profile.sqn);
  });

  it('accepts an older SEQ under another IND, but not a SEQ at or below the one stored for its IND', async () => {
    const { card, profile } = await demoCard('demo');
    await send(card, SELECT_ADF);
    const run = async (seq: number, ind: number): Promise<string> =>
      (await authenticate(card, RAND, await networkAutn(profile, RAND, sqnOf(seq, ind)))).slice(0, 2);
    expect(await run(5, 1)).toBe('db');
    expect(await run(3, 2)).toBe('db'); // older than SEQ 5, but IND 2 still holds SEQ 1
    expect(await run(4, 2)).toBe('db');
    expect(await run(4, 2)).toBe('dc'); // replay under IND 2
    expect(await run(3, 1)).toBe('dc'); // IND 1 holds SEQ 5
    expect(card.seqArray.slice(0, 4)).toEqual([1, 5, 4, 1]);
    // SQN_MS stays the highest accepted SEQ with its IND: SEQ 5, IND 1.
    const answer = await authenticate(card, RAND, await networkAutn(profile, RAND, sqnOf(3, 1)));
    expect(await decodeAuts(profile, RAND, answer)).toBe(toHex(sqnOf(5, 1)));
  });

  it('accepts a jump of exactly Δ = 2^28 above the highest SEQ, and refuses one more', async () => {
    const { card, profile } = await demoCard('demo');
    await send(card, SELECT_ADF);
    const tooFar = await authenticate(card, RAND, await networkAutn(profile, RAND, sqnOf(1 + 2 ** 28 + 1, 3)));
    expect(await decodeAuts(profile, RAND, tooFar)).toBe(profile.sqn);
    expect((await authenticate(card, RAND, await networkAutn(profile, RAND, sqnOf(1 + 2 ** 28, 3)))).slice(0, 2)).toBe('db');
  });

  it('answers 9862 when the network holds another K (demo-foreign) and leaves the SQN array alone', async () => {
    const { card, profile } = await demoCard('demo-foreign');
    await send(card, SELECT_ADF);
    expect(await send(card, authenticateApdu(RAND, await networkAutn(profile, RAND, sqnOf(2, 0))))).toBe('9862');
    expect(toHex(card.highestSqn)).toBe(profile.sqn);
    expect(card.seqArray.every((s) => s === 1)).toBe(true);
  });

  it('answers 9862 for a tampered MAC and for a tampered AMF', async () => {
    const { card, profile } = await demoCard('demo');
    await send(card, SELECT_ADF);
    const autn = await networkAutn(profile, RAND, sqnOf(2, 0));
    const badMac = autn.slice();
    badMac[15]! ^= 1;
    const badAmf = autn.slice();
    badAmf[6]! ^= 0x80;
    expect(await send(card, authenticateApdu(RAND, badMac))).toBe('9862');
    expect(await send(card, authenticateApdu(RAND, badAmf))).toBe('9862');
    expect((await authenticate(card, RAND, autn)).slice(0, 2)).toBe('db');
  });

  it('needs PIN1 verified when it is enabled (6982), then works', async () => {
    const { card, profile } = await demoCard('demo-pin');
    await send(card, SELECT_ADF);
    const apdu = authenticateApdu(RAND, await networkAutn(profile, RAND, sqnOf(2, 0)));
    expect(await send(card, apdu)).toBe('6982');
    expect(await send(card, '002000010831323334ffffffff')).toBe('9000');
    expect(await send(card, apdu)).toBe('6135');
  });

  it.each([
    ['after reset (MF current, no application)', [] as string[], '6985'],
    ['after reset, even with an EF of the MF current', ['00a4000c022fe2'], '6985'],
    ['with the USIM selected', [SELECT_ADF], '6135'],
    ['with an EF of the USIM current', [SELECT_ADF, '00a4000c026f07'], '6135'],
    ['with the USIM active and the MF current', [SELECT_ADF, '00a4000c023f00'], '6135'],
    ['with the USIM active and EF_DIR current', [SELECT_ADF, '00a4000c023f00', '00a4000c022f00'], '6135'],
    ['after a reset that ended the USIM session', [SELECT_ADF, 'reset'], '6985'],
  ])('needs the USIM as active application: %s', async (_label, setup, sw) => {
    const { card, profile } = await demoCard('demo');
    for (const step of setup) {
      if (step === 'reset') card.reset();
      else await send(card, step);
    }
    expect(await send(card, authenticateApdu(RAND, await networkAutn(profile, RAND, sqnOf(2, 0))))).toBe(sw);
  });

  it.each([
    ['Lc 21', '0088008121' + '10' + '00'.repeat(16) + '10' + '00'.repeat(15), '6700'],
    ['RAND length byte 0F', '0088008122' + '0f' + '00'.repeat(16) + '10' + '00'.repeat(16), '6700'],
    ['AUTN length byte 0F', '0088008122' + '10' + '00'.repeat(16) + '0f' + '00'.repeat(16), '6700'],
    ['P3 without data', '0088008122', '6700'],
    ['no data at all', '00880081', '6700'],
    ['GSM context with 3G data', '0088008022' + '10' + '00'.repeat(16) + '10' + '00'.repeat(16), '6700'],
    ['P1 01', '0088018122' + '10' + '00'.repeat(16) + '10' + '00'.repeat(16), '6a86'],
    ['P2 82 (VGCS context)', '0088008222' + '10' + '00'.repeat(16) + '10' + '00'.repeat(16), '6a86'],
    ['P2 01 (global reference)', '0088000122' + '10' + '00'.repeat(16) + '10' + '00'.repeat(16), '6a86'],
  ])('rejects a malformed command: %s', async (_label, apdu, sw) => {
    const { card } = await demoCard('demo');
    await send(card, SELECT_ADF);
    expect(await send(card, apdu)).toBe(sw);
  });

  it('accepts the case 4 form with a trailing Le and still answers 6135', async () => {
    const { card, profile } = await demoCard('demo');
    await send(card, SELECT_ADF);
    expect(await send(card, authenticateApdu(RAND, await networkAutn(profile, RAND, sqnOf(2, 0))) + '00')).toBe('6135');
  });

  it('answers 04 SRES 08 Kc in GSM context (P2=80), from RES, CK and IK of Milenage', async () => {
    const { card, profile } = await demoCard('demo');
    await send(card, SELECT_ADF);
    expect(await send(card, '0088008011' + '10' + toHex(RAND))).toBe('610e');
    const m = await Milenage.withOpc(fromHex(profile.k), fromHex(profile.opc));
    const { res, ck, ik } = await m.f2345(RAND);
    const sres = toHex(xorBytes(res.slice(0, 4), res.slice(4)));
    expect(await send(card, '00c000000e')).toBe('04' + sres + '08' + c3(ck, ik) + '9000');
    expect(toHex(card.highestSqn)).toBe(profile.sqn);
  });

  it('answers DB and DC with 9000 directly when T=0 conventions are off', async () => {
    const { card, profile } = await demoCard('demo', { t0Responses: false });
    await send(card, SELECT_ADF);
    const autn = await networkAutn(profile, RAND, sqnOf(2, 0));
    const ok = await send(card, authenticateApdu(RAND, autn));
    expect(ok.slice(0, 4)).toBe('db08');
    expect(ok.length).toBe((0x35 + 2) * 2);
    expect(ok.slice(-4)).toBe('9000');
    expect(await decodeAuts(profile, RAND, await send(card, authenticateApdu(RAND, autn)))).toBe(toHex(sqnOf(2, 0)));
  });

  it('keeps the SQN array across power cycles and through exportState()', async () => {
    const { card, profile } = await demoCard('demo');
    await send(card, SELECT_ADF);
    const autn = await networkAutn(profile, RAND, sqnOf(7, 4));
    expect((await authenticate(card, RAND, autn)).slice(0, 2)).toBe('db');
    card.powerOff();
    card.powerOn();
    await send(card, SELECT_ADF);
    expect((await authenticate(card, RAND, autn)).slice(0, 2)).toBe('dc');
    const again = await VirtualUsim.create(profile, { state: card.exportState() });
    await send(again, SELECT_ADF);
    expect((await authenticate(again, RAND, autn)).slice(0, 2)).toBe('dc');
    expect(again.seqArray[4]).toBe(7);
  });
});
