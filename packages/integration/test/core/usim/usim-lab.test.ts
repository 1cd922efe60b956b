/**
 * The Usim class against the lab's virtual USIM through MemoryCardTransport: the demo SIMs, AKA checked
 * against the lab's Milenage, PIN handling, T=1-style answers, and cards that refuse the shortcuts.
 */
import { describe, expect, it } from 'vitest';
import { demoProfileSet, Milenage, networkKeys } from '@krypton-web/krypton-lab/browser';
import type { MemoryCard } from '@krypton-web/sim-transport';
import { fromHex, toHex, xorBytes } from '@krypton-web/krypton-core';
import { KryptonError, TransportError } from '@krypton-web/krypton-core';
import { Usim } from '@krypton-web/krypton-core';
import { freshSqn, labRig, vectorFor } from './lab-kit.test-support.ts';

/** A card wrapper that answers some commands itself (to simulate cards that refuse a shortcut). */
function refusing(rule: (apdu: Uint8Array) => string | undefined): (card: MemoryCard) => MemoryCard {
  return (card) => ({
    transmit: async (apdu) => {
      const answer = rule(apdu);
      return answer === undefined ? card.transmit(apdu) : fromHex(answer);
    },
  });
}

async function rejection(p: Promise<unknown>): Promise<KryptonError> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(KryptonError);
  return e as KryptonError;
}

/** A PIN block in upper-case hex, as the transcript shows it. */
const hexPin = (digits: string): string =>
  toHex(Uint8Array.from({ length: 8 }, (_, i) => (i < digits.length ? digits.charCodeAt(i) : 0xff))).toUpperCase();

const commands = (transcript: string[]): string[] => transcript.filter((l) => l.startsWith('=> ')).map((l) => l.slice(3));

describe('IMSI and ICCID of every demo SIM', () => {
  for (const sim of demoProfileSet().sims) {
    it(`${sim.name}: ICCID ${sim.iccid}, IMSI ${sim.imsi} (${sim.imsi.length} digits)`, async () => {
      const rig = await labRig(sim.name);
      expect(await rig.usim.readIccid()).toBe(sim.iccid);
      if (sim.name === 'demo-blocked') {
        expect((await rejection(rig.usim.readImsi())).code).toBe('PIN_BLOCKED');
        return;
      }
      if (sim.pin1.enabled) await rig.usim.verifyPin(sim.pin1.code);
      expect(await rig.usim.readImsi()).toBe(sim.imsi);
    });
  }

  it('reads an even-length IMSI and an odd-length one', async () => {
    expect(await (await labRig('demo-even')).usim.readImsi()).toBe('00101000000004');
    expect(await (await labRig('demo')).usim.readImsi()).toBe('001010000000001');
  });
});

describe('AUTHENTICATE (TS 31.102 §7.1.2)', () => {
  it('returns RES, CK, IK and Kc that match the network side (Milenage)', async () => {
    const rig = await labRig('demo');
    const v = await vectorFor(rig.profile, freshSqn(rig.profile));
    const r = await rig.usim.authenticate(v.rand, v.autn);
    expect(r).toEqual({ kind: 'success', res: v.res, ck: v.ck, ik: v.ik, kc: v.kc });
    expect(toHex(rig.card.highestSqn)).toBe(toHex(v.sqn));
  });

  it('reports a replayed AUTN as a sync failure with an AUTS the network can check', async () => {
    const rig = await labRig('demo');
    const v = await vectorFor(rig.profile, freshSqn(rig.profile));
    expect((await rig.usim.authenticate(v.rand, v.autn)).kind).toBe('success');
    const r = await rig.usim.authenticate(v.rand, v.autn);
    if (r.kind !== 'sync-failure') throw new Error(`expected a sync failure, got ${r.kind}`);
    expect(r.auts.length).toBe(14);
    // The network recovers SQN_MS = AUTS[0..6] ⊕ AK* and checks MAC-S = f1*(SQN_MS, RAND, 0000) (TS 33.102 §6.3.5).
    const keys = networkKeys(rig.profile);
    const m = await Milenage.withOpc(keys.k, keys.opc);
    const { akStar } = await m.f2345(v.rand);
    const sqnMs = xorBytes(r.auts.subarray(0, 6), akStar);
    expect(toHex(sqnMs)).toBe(toHex(v.sqn));
    const { macS } = await m.f1(v.rand, sqnMs, new Uint8Array(2));
    expect(toHex(r.auts.subarray(6))).toBe(toHex(macS));
  });

  it('reports demo-foreign as MAC_FAILURE, not retryable', async () => {
    const rig = await labRig('demo-foreign');
    const v = await vectorFor(rig.profile, freshSqn(rig.profile));
    const e = await rejection(rig.usim.authenticate(v.rand, v.autn));
    expect(e.code).toBe('MAC_FAILURE');
    expect(e.details.sw).toBe(0x9862);
    expect(e.message).toMatch(/wrong network or wrong keys/);
    expect(e.message).toMatch(/not retryable/);
  });

  it('refuses RAND or AUTN of the wrong length before sending anything', async () => {
    const rig = await labRig('demo');
    expect((await rejection(rig.usim.authenticate(new Uint8Array(15), new Uint8Array(16)))).code).toBe('BAD_INPUT');
    expect(rig.count()).toBe(0);
  });

  it('works on a card answering at APDU level (T=1 style: data and 9000 at once)', async () => {
    const rig = await labRig('demo', { card: { t0Responses: false } });
    expect(await rig.usim.readImsi()).toBe(rig.profile.imsi);
    const v = await vectorFor(rig.profile, freshSqn(rig.profile));
    expect(await rig.usim.authenticate(v.rand, v.autn)).toEqual({ kind: 'success', res: v.res, ck: v.ck, ik: v.ik, kc: v.kc });
    expect(await rig.usim.readIccid()).toBe(rig.profile.iccid);
    expect(rig.transcript.some((l) => l.startsWith('=> 00C0'))).toBe(false);
    expect(await rig.usim.pinState()).toEqual({ enabled: false, verified: false, triesLeft: undefined });
  });
});

describe('PIN1 (TS 102 221 §11.1.9)', () => {
  it('demo-pin: PIN_REQUIRED with tries, then verifyPin, then success', async () => {
    const rig = await labRig('demo-pin');
    const v = await vectorFor(rig.profile, freshSqn(rig.profile));
    const e = await rejection(rig.usim.authenticate(v.rand, v.autn));
    expect(e.code).toBe('PIN_REQUIRED');
    expect(e.details).toMatchObject({ triesLeft: 3, sw: 0x6982 });
    expect(await rig.usim.pinState()).toEqual({ enabled: true, verified: false, triesLeft: 3 });
    await rig.usim.verifyPin('1234');
    expect(rig.card.pin1Verified).toBe(true);
    expect(await rig.usim.pinState()).toEqual({ enabled: true, verified: true, triesLeft: undefined });
    expect((await rig.usim.authenticate(v.rand, v.autn)).kind).toBe('success');
    expect(await rig.usim.readImsi()).toBe(rig.profile.imsi);
  });

  it('readImsi on a locked card says PIN_REQUIRED with the tries left', async () => {
    const rig = await labRig('demo-pin');
    const e = await rejection(rig.usim.readImsi());
    expect(e.code).toBe('PIN_REQUIRED');
    expect(e.details.triesLeft).toBe(3);
    expect(e.action).toMatch(/PIN/);
  });

  it('a wrong PIN is PIN_WRONG with the tries left; one try left is refused unless allowed', async () => {
    const rig = await labRig('demo-pin');
    const wrong = await rejection(rig.usim.verifyPin('9999'));
    expect(wrong.code).toBe('PIN_WRONG');
    expect(wrong.details.triesLeft).toBe(2);
    expect((await rejection(rig.usim.verifyPin('8888'))).details.triesLeft).toBe(1);
    expect(rig.card.pin1TriesLeft).toBe(1);

    const before = rig.count();
    const refused = await rejection(rig.usim.verifyPin('1234'));
    expect(refused.code).toBe('PIN_LAST_TRY');
    // Only the status query went out: no PIN was sent and the counter is untouched.
    expect(commands(rig.transcript).slice(before)).toEqual(['00200001']);
    expect(rig.card.pin1TriesLeft).toBe(1);

    await rig.usim.verifyPin('1234', { allowLastTry: true });
    expect(rig.card.pin1TriesLeft).toBe(3);
    expect(rig.card.pin1Verified).toBe(true);
  });

  it('spending the last try on a wrong PIN blocks it and reports the PUK tries', async () => {
    const rig = await labRig('demo-pin');
    await rejection(rig.usim.verifyPin('0000'));
    await rejection(rig.usim.verifyPin('0000'));
    const e = await rejection(rig.usim.verifyPin('0000', { allowLastTry: true }));
    expect(e.code).toBe('PIN_BLOCKED');
    expect(e.details.triesLeft).toBe(10);
    expect(await rig.usim.pinState()).toEqual({ enabled: true, verified: false, triesLeft: 0, pukTriesLeft: 10 });
  });

  it('demo-blocked: PIN_BLOCKED everywhere, no PIN sent; the PUK unblocks it', async () => {
    const rig = await labRig('demo-blocked');
    const v = await vectorFor(rig.profile, freshSqn(rig.profile));
    expect((await rejection(rig.usim.authenticate(v.rand, v.autn))).code).toBe('PIN_BLOCKED');
    const before = rig.count();
    const e = await rejection(rig.usim.verifyPin('1234', { allowLastTry: true }));
    expect(e.code).toBe('PIN_BLOCKED');
    expect(e.action).toMatch(/PUK/);
    expect(
      commands(rig.transcript)
        .slice(before)
        .some((c) => c.startsWith('0020000108')),
    ).toBe(false);
    expect(await rig.usim.pinState()).toEqual({ enabled: true, verified: false, triesLeft: 0, pukTriesLeft: 10 });

    const wrongPuk = await rejection(rig.usim.unblockPin('00000000', '4321'));
    expect(wrongPuk).toMatchObject({ code: 'PUK_WRONG', details: { triesLeft: 9 } });
    expect(wrongPuk.message).toMatch(/PUK/);
    await rig.usim.unblockPin('12345678', '4321');
    expect(rig.card.pin1TriesLeft).toBe(3);
    expect((await rig.usim.authenticate(v.rand, v.autn)).kind).toBe('success');
  });

  it('a PUK with one try left is refused unless allowed; a blocked PUK is PUK_BLOCKED', async () => {
    const rig = await labRig('demo-blocked');
    for (let i = 0; i < 9; i++) await rejection(rig.usim.unblockPin('00000000', '4321'));
    expect(rig.card.puk1TriesLeft).toBe(1);
    expect((await rejection(rig.usim.unblockPin('12345678', '4321'))).code).toBe('PUK_LAST_TRY');
    expect(rig.card.puk1TriesLeft).toBe(1);
    expect((await rejection(rig.usim.unblockPin('00000000', '4321', { allowLastTry: true }))).code).toBe('PUK_BLOCKED');
    expect((await rejection(rig.usim.unblockPin('12345678', '4321', { allowLastTry: true }))).code).toBe('PUK_BLOCKED');
  });

  it('sends nothing when the PIN is not needed, and refuses malformed PINs before any APDU', async () => {
    const rig = await labRig('demo');
    await rig.usim.verifyPin('0000');
    expect(commands(rig.transcript)).toEqual(['00200001']);
    for (const bad of ['123', '123456789', '12a4', ' 1234']) {
      expect((await rejection(rig.usim.verifyPin(bad))).code).toBe('BAD_INPUT');
    }
    expect((await rejection(rig.usim.unblockPin('1234567', '1234'))).code).toBe('BAD_INPUT');
    expect(rig.count()).toBe(1);
  });

  it('pinState of a card with PIN1 disabled', async () => {
    const rig = await labRig('demo');
    expect(await rig.usim.pinState()).toEqual({ enabled: false, verified: false, triesLeft: undefined });
  });
});

describe('CHANGE, DISABLE and ENABLE PIN (TS 102 221 §11.1.10–§11.1.12)', () => {
  it('demo-pin: change the PIN; the old one is refused after, the new one verifies after a reset', async () => {
    const rig = await labRig('demo-pin');
    await rig.usim.changePin('1234', '24680');
    expect(rig.card.pin1Verified).toBe(true);
    expect(commands(rig.transcript).filter((c) => c.startsWith('00240001'))).toEqual([`0024000110${hexPin('1234')}${hexPin('24680')}`]);
    rig.card.reset();
    rig.usim.forgetSelection();
    expect((await rejection(rig.usim.verifyPin('1234'))).code).toBe('PIN_WRONG');
    await rig.usim.verifyPin('24680');
    expect(rig.card.pin1TriesLeft).toBe(3);
  });

  it('a wrong old PIN is PIN_WRONG with the tries left; with one left it is refused unless allowed; none left blocks', async () => {
    const rig = await labRig('demo-pin');
    expect(await rejection(rig.usim.changePin('0000', '4321'))).toMatchObject({ code: 'PIN_WRONG', details: { triesLeft: 2 } });
    expect(await rejection(rig.usim.changePin('0000', '4321'))).toMatchObject({ code: 'PIN_WRONG', details: { triesLeft: 1 } });
    const before = rig.count();
    expect((await rejection(rig.usim.changePin('1234', '4321'))).code).toBe('PIN_LAST_TRY');
    expect(commands(rig.transcript).slice(before)).toEqual(['00200001']);
    expect(rig.card.pin1TriesLeft).toBe(1);
    const blocked = await rejection(rig.usim.changePin('0000', '4321', { allowLastTry: true }));
    expect(blocked).toMatchObject({ code: 'PIN_BLOCKED', details: { triesLeft: 10 } });
    expect((await rejection(rig.usim.changePin('1234', '4321', { allowLastTry: true }))).code).toBe('PIN_BLOCKED');
  });

  it('demo-pin: disable then enable; each sends one command, and nothing when already so', async () => {
    const rig = await labRig('demo-pin');
    await rig.usim.verifyPin('1234');
    await rig.usim.setPinEnabled(false, '1234');
    expect(rig.card.pin1Enabled).toBe(false);
    expect(commands(rig.transcript).filter((c) => c.startsWith('0026'))).toEqual([`0026000108${hexPin('1234')}`]);
    expect(await rig.usim.pinState()).toEqual({ enabled: false, verified: false, triesLeft: undefined });
    const before = rig.count();
    await rig.usim.setPinEnabled(false, '1234');
    expect(
      commands(rig.transcript)
        .slice(before)
        .some((c) => c.startsWith('0026')),
    ).toBe(false);
    // A disabled PIN cannot be changed: said before anything is sent.
    expect((await rejection(rig.usim.changePin('1234', '4321'))).code).toBe('PIN_DISABLED');
    expect(commands(rig.transcript).some((c) => c.startsWith('0024'))).toBe(false);

    await rig.usim.setPinEnabled(true, '1234');
    expect(rig.card.pin1Enabled).toBe(true);
    expect(commands(rig.transcript).filter((c) => c.startsWith('0028'))).toEqual([`0028000108${hexPin('1234')}`]);
    expect(await rig.usim.pinState()).toEqual({ enabled: true, verified: true, triesLeft: undefined });
    rig.card.reset();
    rig.usim.forgetSelection();
    expect(await rig.usim.pinState()).toEqual({ enabled: true, verified: false, triesLeft: 3 });
  });

  it('a wrong PIN to enable or disable costs a try; the last one is asked for even when the status says 9000', async () => {
    const rig = await labRig('demo');
    // demo has PIN1 disabled (code 0000 in the lab profile): its status is 9000 and tells no tries.
    expect(await rejection(rig.usim.setPinEnabled(true, '1111'))).toMatchObject({ code: 'PIN_WRONG', details: { triesLeft: 2 } });
    expect(await rejection(rig.usim.setPinEnabled(true, '1111'))).toMatchObject({ code: 'PIN_WRONG', details: { triesLeft: 1 } });
    const before = rig.count();
    expect((await rejection(rig.usim.setPinEnabled(true, '0000'))).code).toBe('PIN_LAST_TRY');
    expect(
      commands(rig.transcript)
        .slice(before)
        .some((c) => c.startsWith('0028')),
    ).toBe(false);
    await rig.usim.setPinEnabled(true, rig.profile.pin1.code, { allowLastTry: true });
    expect(rig.card.pin1Enabled).toBe(true);
    expect(rig.card.pin1TriesLeft).toBe(3);
  });

  it('demo-blocked: change, enable and disable say PIN_BLOCKED with the PUK tries and send no PIN', async () => {
    const rig = await labRig('demo-blocked');
    for (const attempt of [() => rig.usim.changePin('1234', '4321'), () => rig.usim.setPinEnabled(false, '1234')]) {
      expect(await rejection(attempt())).toMatchObject({ code: 'PIN_BLOCKED', details: { triesLeft: 10 } });
    }
    expect(commands(rig.transcript).some((c) => /^002[468]/.test(c))).toBe(false);
    await rig.usim.unblockPin('12345678', '4321');
    await rig.usim.setPinEnabled(false, '4321');
    expect(rig.card.pin1Enabled).toBe(false);
  });

  it('refuses malformed PINs before any APDU', async () => {
    const rig = await labRig('demo-pin');
    expect((await rejection(rig.usim.changePin('1234', '12'))).code).toBe('BAD_INPUT');
    expect((await rejection(rig.usim.changePin('12a4', '1234'))).code).toBe('BAD_INPUT');
    expect((await rejection(rig.usim.setPinEnabled(false, '123456789'))).code).toBe('BAD_INPUT');
    expect(rig.count()).toBe(0);
  });
});

describe('cards that refuse the shortcuts', () => {
  it('falls back to EF_DIR when the partial AID is refused (6A82), and remembers the full AID', async () => {
    const partial = (a: Uint8Array): boolean => a[1] === 0xa4 && a[2] === 0x04 && a[4] === 7;
    const rig = await labRig('demo', { wrap: refusing((a) => (partial(a) ? '6A82' : undefined)) });
    expect(await rig.usim.readImsi()).toBe(rig.profile.imsi);
    expect(commands(rig.transcript)).toEqual([
      '00A4040C07A0000000871002', // refused: 6A82
      '00A40804022F00', // EF_DIR by path from the MF, with FCP → 61xx
      '00C000001C',
      '00B2010426', // record 1, exact length from the FCP
      '00A4040C10A0000000871002FF44FF1289000000FF', // the full AID
      '00B0870009',
    ]);
    expect(toHex(rig.usim.usimAid!)).toBe('a0000000871002ff44ff1289000000ff');
    const v = await vectorFor(rig.profile, freshSqn(rig.profile));
    expect((await rig.usim.authenticate(v.rand, v.autn)).kind).toBe('success');

    // A new session given the remembered AID goes straight to it.
    const next = await labRig('demo', { wrap: refusing((a) => (partial(a) ? '6A82' : undefined)), usim: { usimAid: rig.usim.usimAid! } });
    expect(await next.usim.readImsi()).toBe(rig.profile.imsi);
    expect(commands(next.transcript)).toEqual(['00A4040C10A0000000871002FF44FF1289000000FF', '00B0870009']);
  });

  it('reports NO_USIM when EF_DIR lists no USIM', async () => {
    const rig = await labRig('demo', {
      wrap: refusing((a) => {
        if (a[1] === 0xa4 && a[2] === 0x04) return '6A82';
        if (a[1] === 0xb2) return `${'FF'.repeat(0x26)}9000`;
        return undefined;
      }),
    });
    const e = await rejection(rig.usim.readImsi());
    expect(e.code).toBe('NO_USIM');
    expect(e.action).toMatch(/USIM/);
  });

  it('reports NO_USIM for a card that answers like a 2G SIM (6E00)', async () => {
    const rig = await labRig('demo', { wrap: refusing((a) => (a[0] === 0x00 ? '6E00' : undefined)) });
    expect((await rejection(rig.usim.readImsi())).code).toBe('NO_USIM');
  });

  it('reads EF_IMSI with SELECT when READ BINARY by SFI is refused, and stops trying SFI', async () => {
    const rig = await labRig('demo', { wrap: refusing((a) => (a[1] === 0xb0 && (a[2]! & 0x80) !== 0 ? '6B00' : undefined)) });
    expect(await rig.usim.readImsi()).toBe(rig.profile.imsi);
    expect(commands(rig.transcript)).toEqual(['00A4040C07A0000000871002', '00B0870009', '00A4000C026F07', '00B0000009']);
    const n = rig.count();
    expect(await rig.usim.readImsi()).toBe(rig.profile.imsi);
    expect(commands(rig.transcript).slice(n)).toEqual(['00B0000009']);
    expect(await rig.usim.readIccid()).toBe(rig.profile.iccid);
    expect(commands(rig.transcript).slice(n + 1)).toEqual(['00A4000C023F00', '00A4000C022FE2', '00B000000A']);
  });

  it('selects with P2=04 on a card that refuses P2=0C, and remembers it', async () => {
    const rig = await labRig('demo', { wrap: refusing((a) => (a[1] === 0xa4 && a[3] === 0x0c ? '6A86' : undefined)) });
    expect(await rig.usim.readImsi()).toBe(rig.profile.imsi);
    expect(await rig.usim.readIccid()).toBe(rig.profile.iccid);
    const cmds = commands(rig.transcript);
    expect(cmds.filter((c) => c.startsWith('00A4') && c.slice(6, 8) === '0C')).toHaveLength(1);
    expect(cmds).toContain('00A4000402' + '3F00');
  });
});

describe('selection memory', () => {
  it('recovers when the card was reset behind its back (selection forgotten by the card)', async () => {
    const rig = await labRig('demo');
    expect(await rig.usim.readImsi()).toBe(rig.profile.imsi);
    rig.card.reset();
    const n = rig.count();
    expect(await rig.usim.readImsi()).toBe(rig.profile.imsi);
    // READ BINARY by SFI from the MF fails (6A82), so the USIM is selected again and the read retried.
    expect(commands(rig.transcript).slice(n)).toEqual(['00B0870009', '00A4040C07A0000000871002', '00B0870009']);
    rig.card.reset();
    const v = await vectorFor(rig.profile, freshSqn(rig.profile));
    // The USIM is not active after the reset: AUTHENTICATE answers 6985, the session re-selects and retries.
    expect((await rig.usim.authenticate(v.rand, v.autn)).kind).toBe('success');
  });

  it('forgets the selection on 6F00 and on transport failures, and when told', async () => {
    const rig = await labRig('demo');
    await rig.usim.readImsi();
    rig.card.powerOff();
    expect((await rejection(rig.usim.readImsi())).code).toBe('CARD_ERROR');
    rig.card.powerOn();
    const n = rig.count();
    expect(await rig.usim.readImsi()).toBe(rig.profile.imsi);
    expect(commands(rig.transcript)[n]).toBe('00A4040C07A0000000871002');

    rig.usim.forgetSelection();
    const m = rig.count();
    await rig.usim.readImsi();
    expect(commands(rig.transcript)[m]).toBe('00A4040C07A0000000871002');
  });

  it('does not re-select the USIM to authenticate after reading the ICCID (the application stays active)', async () => {
    const rig = await labRig('demo');
    await rig.usim.readImsi();
    await rig.usim.readIccid();
    const n = rig.count();
    const v = await vectorFor(rig.profile, freshSqn(rig.profile));
    await rig.usim.authenticate(v.rand, v.autn);
    expect(
      commands(rig.transcript)
        .slice(n)
        .map((c) => c.slice(0, 4)),
    ).toEqual(['0088', '00C0']);
  });
});

describe('session rules', () => {
  it('uses the ImsiSource for readImsi when given, with no APDU', async () => {
    const rig = await labRig('demo', { usim: { imsiSource: { readImsi: async () => '440103123456789' } } });
    expect(await rig.usim.readImsi()).toBe('440103123456789');
    expect(rig.count()).toBe(0);
    const bad = await labRig('demo', { usim: { imsiSource: { readImsi: async () => 'ERROR' } } });
    expect((await rejection(bad.usim.readImsi())).code).toBe('MALFORMED_ANSWER');
    const broken = await labRig('demo', {
      usim: { imsiSource: { readImsi: () => Promise.reject(new TransportError('TIMEOUT', 'no answer to AT+CIMI')) } },
    });
    expect((await rejection(broken.usim.readImsi())).code).toBe('TIMEOUT');
  });

  it('runs one operation at a time', async () => {
    const rig = await labRig('demo');
    const first = rig.usim.readImsi();
    expect((await rejection(rig.usim.readIccid())).code).toBe('TRANSPORT_BUSY');
    expect(await first).toBe(rig.profile.imsi);
    expect(await rig.usim.readIccid()).toBe(rig.profile.iccid);
  });

  it('maps a closed link to TRANSPORT_CLOSED', async () => {
    const rig = await labRig('demo');
    await rig.transport.close();
    const e = await rejection(rig.usim.readImsi());
    expect(e.code).toBe('TRANSPORT_CLOSED');
    expect(e.action).toMatch(/reconnect/i);
  });

  it('refuses a remembered AID of an impossible length', () => {
    expect(
      () =>
        new Usim({ kind: 'x', name: 'x', transmit: async () => new Uint8Array(2), close: async () => {} }, { usimAid: new Uint8Array(17) }),
    ).toThrow(KryptonError);
  });
});
