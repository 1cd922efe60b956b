import { describe, expect, it } from 'vitest';
import { isFailure, type Failure } from './api.ts';
import { cellularLink } from './links/cellular-link.ts';
import { Session } from './session.ts';

// Issue #15 §4 in the worker: the Session API runs UNBLOCK, CHANGE, DISABLE and ENABLE PIN on the lab's
// virtual USIM (the same card code the bridge and the modem emulator carry) and answers the PIN's state after.

async function failureOf(p: Promise<unknown>): Promise<Failure> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(isFailure(e)).toBe(true);
  return e as Failure;
}

describe('PIN commands through the session worker', () => {
  it('demo-blocked: PUK tries counted down, last PUK try refused unless allowed, then unblocked with a new PIN', async () => {
    const session = new Session();
    const sim = await session.openVirtual('demo-blocked');
    expect(sim.pin).toEqual({ enabled: true, verified: false, triesLeft: 0, pukTriesLeft: 10, blocked: true });
    expect(sim.simError?.code).toBe('PIN_BLOCKED');
    const wrong = await failureOf(session.unblockPin('00000000', '4321', false));
    expect(wrong).toMatchObject({ code: 'PUK_WRONG', details: { triesLeft: 9 } });
    expect(JSON.stringify(wrong)).not.toMatch(/00000000|4321/);
    for (let i = 0; i < 8; i++) await failureOf(session.unblockPin('00000000', '4321', false));
    expect((await session.simStatus()).pin?.pukTriesLeft).toBe(1);
    expect((await failureOf(session.unblockPin('12345678', '4321', false))).code).toBe('PUK_LAST_TRY');
    expect(await session.unblockPin('12345678', '4321', true)).toEqual({ enabled: true, verified: true, blocked: false });
    expect((await session.simStatus()).imsi).toBe('001010000000003');
    await session.close();
  });

  it('demo-pin: change, disable, enable; the state after each comes back', async () => {
    const session = new Session();
    await session.openVirtual('demo-pin');
    expect(await failureOf(session.changePin('0000', '2468', false))).toMatchObject({ code: 'PIN_WRONG', details: { triesLeft: 2 } });
    expect(await session.changePin('1234', '2468', false)).toEqual({ enabled: true, verified: true, blocked: false });
    expect(await session.setPinEnabled(false, '2468', false)).toEqual({ enabled: false, verified: false, blocked: false });
    expect((await failureOf(session.changePin('2468', '1357', false))).code).toBe('PIN_DISABLED');
    expect(await session.setPinEnabled(true, '2468', false)).toEqual({ enabled: true, verified: true, blocked: false });
    await session.close();
  });

  it('refuses malformed codes before the SIM, and without a link', async () => {
    const session = new Session();
    expect((await failureOf(session.changePin('1234', '5678', false))).code).toBe('NOT_CONNECTED');
    await session.openVirtual('demo-pin');
    expect((await failureOf(session.unblockPin('1234567', '1234', false))).code).toBe('BAD_PUK_FORMAT');
    expect((await failureOf(session.unblockPin('12345678', '12', false))).code).toBe('BAD_PIN_FORMAT');
    expect((await failureOf(session.setPinEnabled(false, '12a4', false))).code).toBe('BAD_PIN_FORMAT');
    expect((await session.simStatus()).pin).toMatchObject({ enabled: true, triesLeft: 3 });
    await session.close();
  });

  it('the cellular endpoint has no SIM access: every PIN command says why and what to do', async () => {
    const link = cellularLink();
    for (const attempt of [
      () => link.unblockPin('12345678', '1234', false),
      () => link.changePin('1234', '5678', false),
      () => link.setPinEnabled(false, '1234', false),
    ]) {
      const f = await failureOf(attempt());
      expect(f.code).toBe('NO_SIM_ACCESS');
      expect(f.message).toMatch(/PIN cannot be managed/);
      expect(f.action).toMatch(/card reader|USB modem/);
    }
  });
});
