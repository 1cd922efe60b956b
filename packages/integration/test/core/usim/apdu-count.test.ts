/**
 * Fewest APDUs: the exact transcript of an IMSI read and an AUTHENTICATE on the lab's T=0 virtual USIM.
 * SORACOM's Go client spends 11 APDUs on the first run and 7 on a cached run for the IMSI alone
 * (protocol notes §11): SELECT MF, SELECT EF_DIR, GET RESPONSE, READ RECORD, SELECT ADF, SELECT EF_IMSI,
 * READ BINARY, SELECT ADF, GET RESPONSE, AUTHENTICATE, GET RESPONSE.
 */
import { describe, expect, it } from 'vitest';
import { KryptonError, toHex } from '@krypton-web/krypton-core';
import { freshSqn, labRig, vectorFor, type LabRig } from './lab-kit.test-support.ts';

/** SORACOM's Go client on a first run (protocol notes §11; replayed byte for byte in the lab's soracom-go-client test). */
const SORACOM_FIRST_RUN = 11;
const h = (b: Uint8Array): string => toHex(b).toUpperCase();

/**
 * APDUs sent, counted three independent ways that must agree: what crossed the link (the transcript),
 * what the card processed, and what the Usim traced. Returns the count.
 */
function sentApdus(rig: LabRig): number {
  const onLink = rig.transcript.filter((l) => l.startsWith('=> ')).length;
  expect(rig.transcript.filter((l) => l.startsWith('<= ')).length, 'every command on the link got an answer').toBe(onLink);
  expect(rig.card.apduCount, 'the card processed what crossed the link').toBe(onLink);
  expect(rig.events.filter((e) => e.type === 'apdu').length, 'the Usim traced what crossed the link').toBe(onLink);
  return onLink;
}

/** The instruction bytes (CLA INS) of the commands on the link, in order. */
const instructions = (rig: LabRig, from = 0): string[] =>
  rig.transcript
    .slice(from)
    .filter((l) => l.startsWith('=> '))
    .map((l) => l.slice(3, 7));

describe('APDU count, T=0 card', () => {
  it('first IMSI read + AUTHENTICATE: 4 APDUs; the same again on the session: 3', async () => {
    const rig = await labRig('demo');
    const v1 = await vectorFor(rig.profile, freshSqn(rig.profile, 1));
    expect(await rig.usim.readImsi()).toBe('001010000000001');
    const r1 = await rig.usim.authenticate(v1.rand, v1.autn);
    expect(r1).toEqual({ kind: 'success', res: v1.res, ck: v1.ck, ik: v1.ik, kc: v1.kc });

    const first = [
      // SELECT the USIM by its registered AID prefix, no FCP (TS 102 221 §11.1.1, P2=0C).
      '=> 00A4040C07A0000000871002',
      '<= 9000',
      // READ BINARY of EF_IMSI by SFI 07 (P1 = 80|07), exactly 9 bytes.
      '=> 00B0870009',
      '<= 0809101000000000109000',
      // AUTHENTICATE, 3G context; T=0 hands the answer out through 61xx.
      `=> 008800812210${h(v1.rand)}10${h(v1.autn)}`,
      '<= 6135',
      '=> 00C0000035',
      `<= DB08${h(v1.res)}10${h(v1.ck)}10${h(v1.ik)}08${h(v1.kc)}9000`,
    ];
    expect(rig.transcript).toEqual(first);
    const firstRun = sentApdus(rig);
    expect(firstRun).toBe(4);
    expect(firstRun).toBeLessThan(SORACOM_FIRST_RUN);

    // Same session: the USIM is still selected, so the IMSI is one APDU.
    const v2 = await vectorFor(rig.profile, freshSqn(rig.profile, 2));
    expect(await rig.usim.readImsi()).toBe('001010000000001');
    expect(await rig.usim.authenticate(v2.rand, v2.autn)).toEqual({ kind: 'success', res: v2.res, ck: v2.ck, ik: v2.ik, kc: v2.kc });
    expect(rig.transcript.slice(first.length)).toEqual([
      '=> 00B0870009',
      '<= 0809101000000000109000',
      `=> 008800812210${h(v2.rand)}10${h(v2.autn)}`,
      '<= 6135',
      '=> 00C0000035',
      `<= DB08${h(v2.res)}10${h(v2.ck)}10${h(v2.ik)}08${h(v2.kc)}9000`,
    ]);
    const secondRun = sentApdus(rig) - firstRun;
    expect(secondRun).toBe(3);
    expect(secondRun).toBeLessThan(firstRun);
  });

  it('with a PIN: PIN_REQUIRED costs the status query; verify then read then authenticate is 6 APDUs', async () => {
    // Reading the IMSI before the PIN: the READ BINARY is refused (6982), and one VERIFY without data
    // (TS 102 221 §11.1.9.1.2) learns the tries left for the message; nothing more.
    const locked = await labRig('demo-pin');
    const refused = await locked.usim.readImsi().catch((e: unknown) => e);
    expect(KryptonError.is(refused, 'PIN_REQUIRED')).toBe(true);
    expect((refused as KryptonError).details.triesLeft).toBe(3);
    expect(locked.transcript.slice(2)).toEqual(['=> 00B0870009', '<= 6982', '=> 00200001', '<= 63C3']);
    expect(instructions(locked)).toEqual(['00A4', '00B0', '0020']);
    expect(sentApdus(locked)).toBe(3);

    const rig = await labRig('demo-pin');
    await rig.usim.verifyPin('1234');
    expect(await rig.usim.readImsi()).toBe(rig.profile.imsi);
    const v = await vectorFor(rig.profile, freshSqn(rig.profile));
    expect(await rig.usim.authenticate(v.rand, v.autn)).toEqual({ kind: 'success', res: v.res, ck: v.ck, ik: v.ik, kc: v.kc });
    // VERIFY status, VERIFY PIN, SELECT, READ BINARY, AUTHENTICATE, GET RESPONSE.
    expect(instructions(rig)).toEqual(['0020', '0020', '00A4', '00B0', '0088', '00C0']);
    expect(sentApdus(rig)).toBe(6);
  });

  it('T=1-style card: 3 APDUs, no GET RESPONSE', async () => {
    const rig = await labRig('demo', { card: { t0Responses: false } });
    expect(await rig.usim.readImsi()).toBe(rig.profile.imsi);
    const v = await vectorFor(rig.profile, freshSqn(rig.profile));
    expect(await rig.usim.authenticate(v.rand, v.autn)).toEqual({ kind: 'success', res: v.res, ck: v.ck, ik: v.ik, kc: v.kc });
    // The answer comes with the AUTHENTICATE itself: no 61xx, no GET RESPONSE.
    expect(instructions(rig)).toEqual(['00A4', '00B0', '0088']);
    expect(rig.transcript.at(-1)).toBe(`<= DB08${h(v.res)}10${h(v.ck)}10${h(v.ik)}08${h(v.kc)}9000`);
    expect(sentApdus(rig)).toBe(3);
  });
});
