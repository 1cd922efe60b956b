/**
 * Fewest APDUs: the exact transcript of an IMSI read and an AUTHENTICATE on the lab's T=0 virtual USIM.
 * SORACOM's Go client spends 11 APDUs on the first run and 7 on a cached run for the IMSI alone
 * (protocol notes §11): SELECT MF, SELECT EF_DIR, GET RESPONSE, READ RECORD, SELECT ADF, SELECT EF_IMSI,
 * READ BINARY, SELECT ADF, GET RESPONSE, AUTHENTICATE, GET RESPONSE.
 */
import { describe, expect, it } from 'vitest';
import { toHex } from '@krypton-web/krypton-core';
import { freshSqn, labRig, vectorFor } from './lab-kit.test-support.ts';

const SORACOM_FIRST_RUN = 11;
const h = (b: Uint8Array): string => toHex(b).toUpperCase();

describe('APDU count, T=0 card', () => {
  it('first IMSI read + AUTHENTICATE: 4 APDUs; the same again on the session: 3', async () => {
    const rig = await labRig('demo');
    const v1 = await vectorFor(rig.profile, freshSqn(rig.profile, 1));
    expect(await rig.usim.readImsi()).toBe('001010000000001');
    const r1 = await rig.usim.authenticate(v1.rand, v1.autn);
    expect(r1.kind).toBe('success');

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
    expect(rig.count()).toBe(4);
    expect(rig.count()).toBeLessThanOrEqual(5);
    expect(rig.card.apduCount).toBe(4);

    // Same session: the USIM is still selected, so the IMSI is one APDU.
    const v2 = await vectorFor(rig.profile, freshSqn(rig.profile, 2));
    expect(await rig.usim.readImsi()).toBe('001010000000001');
    expect((await rig.usim.authenticate(v2.rand, v2.autn)).kind).toBe('success');
    expect(rig.transcript.slice(first.length)).toEqual([
      '=> 00B0870009',
      '<= 0809101000000000109000',
      `=> 008800812210${h(v2.rand)}10${h(v2.autn)}`,
      '<= 6135',
      '=> 00C0000035',
      `<= DB08${h(v2.res)}10${h(v2.ck)}10${h(v2.ik)}08${h(v2.kc)}9000`,
    ]);
    const second = rig.count() - 4;
    expect(second).toBe(3);
    expect(second).toBeLessThan(4);
    expect(4).toBeLessThan(SORACOM_FIRST_RUN);
  });

  it('with a PIN: PIN_REQUIRED costs the status query; verify then read then authenticate is 6 APDUs', async () => {
    const rig = await labRig('demo-pin');
    await rig.usim.verifyPin('1234');
    expect(await rig.usim.readImsi()).toBe(rig.profile.imsi);
    const v = await vectorFor(rig.profile, freshSqn(rig.profile));
    expect((await rig.usim.authenticate(v.rand, v.autn)).kind).toBe('success');
    // VERIFY status, VERIFY PIN, SELECT, READ BINARY, AUTHENTICATE, GET RESPONSE.
    expect(rig.transcript.filter((l) => l.startsWith('=> ')).map((l) => l.slice(3, 7))).toEqual(['0020', '0020', '00A4', '00B0', '0088', '00C0']);
  });

  it('T=1-style card: 3 APDUs, no GET RESPONSE', async () => {
    const rig = await labRig('demo', { card: { t0Responses: false } });
    await rig.usim.readImsi();
    const v = await vectorFor(rig.profile, freshSqn(rig.profile));
    await rig.usim.authenticate(v.rand, v.autn);
    expect(rig.count()).toBe(3);
  });
});
