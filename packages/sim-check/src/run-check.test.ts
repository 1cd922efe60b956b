import { describe, expect, it } from 'vitest';
import { runCheck, type CheckKrypton, type CheckSimAccess } from './run-check.ts';

const krypton: CheckKrypton = {
  agreeKey: async () => ({ resynchronised: false }),
  credentials: async () => ({ accessKeyId: 'ASIA', secretAccessKey: 's', sessionToken: 't', expiration: new Date(0) }),
  userData: async () => '{}',
  subscriberMetadata: async () => ({}),
};

describe('one SIM’s check', () => {
  it('a blocked PIN fails the SIM with advice the person can follow: the PUK, in a tool that sends UNBLOCK PIN', async () => {
    const sim: CheckSimAccess = {
      readIccid: async () => '8981100000000000032',
      readImsi: async () => {
        throw new Error('not readable while PIN1 is blocked');
      },
      pinState: async () => ({ enabled: true, verified: false, triesLeft: 0, blocked: true }),
      verifyPin: async () => {
        throw new Error('never tried');
      },
    };
    let asked = false;
    const r = await runCheck({
      batchId: 'b',
      lane: 'R',
      checklist: { credentials: 'openid' },
      sim,
      krypton,
      pin: async () => ((asked = true), '1234'),
    });
    expect(asked).toBe(false);
    expect(r).toMatchObject({ verdict: 'FAIL', failedStep: 'sim', iccid: '8981100000000000032', problem: { code: 'PIN_BLOCKED' } });
    expect(r?.problem?.action).toMatch(/PUK/);
    // The web app has no PUK entry: the advice must not send the person to it.
    expect(r?.problem?.action).not.toMatch(/single-SIM screen/);
    expect(r?.steps.map((s) => [s.step, s.status])).toEqual([
      ['sim', 'fail'],
      ['pin', 'skipped'],
      ['key', 'skipped'],
      ['credentials', 'skipped'],
    ]);
  });
});
