import { describe, expect, it } from 'vitest';
import {
  describeError,
  runCheck,
  type CheckCredentials,
  type CheckKrypton,
  type CheckOptions,
  type CheckPinState,
  type CheckS3,
  type CheckSimAccess,
} from '../src/index.ts';

/** A SIM whose answers the test sets; it counts PIN verifications. */
function fakeSim(over: Partial<{ iccid: string; imsi: string; pin: CheckPinState; pinCode: string }> = {}) {
  const state = { verified: false, verifies: 0 };
  const sim: CheckSimAccess = {
    readIccid: async () => over.iccid ?? '8981100000000000016',
    readImsi: async () => {
      if (over.pin?.enabled && !over.pin.verified && !state.verified)
        throw Object.assign(new Error('PIN needed'), { code: 'PIN_REQUIRED' });
      return over.imsi ?? '001010000000001';
    },
    pinState: async () =>
      over.pin ? { ...over.pin, verified: over.pin.verified || state.verified } : { enabled: false, verified: true, blocked: false },
    verifyPin: async (pin) => {
      state.verifies++;
      if (pin !== (over.pinCode ?? '1234'))
        throw Object.assign(new Error('wrong PIN'), { code: 'PIN_WRONG', action: 'Enter the right PIN', details: { triesLeft: 2 } });
      state.verified = true;
    },
  };
  return { sim, state };
}

const CREDS: CheckCredentials = {
  accessKeyId: 'ASIALAB',
  secretAccessKey: 'secret-never-in-results',
  sessionToken: 'token-never-in-results',
  expiration: new Date(Date.now() + 3600_000),
  identityId: 'ap-northeast-1:0000',
};

function fakeKrypton(over: Partial<CheckKrypton> = {}): CheckKrypton & { calls: string[] } {
  const calls: string[] = [];
  return {
    calls,
    agreeKey: over.agreeKey ?? (async () => (calls.push('key'), { resynchronised: false })),
    credentials: over.credentials ?? (async (mode) => (calls.push(`credentials:${mode}`), CREDS)),
    userData: over.userData ?? (async () => (calls.push('userdata'), '{"s3":{"bucket":"krypton-demo","region":"ap-northeast-1"}}')),
    subscriberMetadata:
      over.subscriberMetadata ?? (async () => (calls.push('metadata'), { groupId: 'lab-group', tags: { name: 'demo', site: 'osaka' } })),
  };
}

function base(over: Partial<CheckOptions> = {}): CheckOptions {
  let t = 1_000_000;
  return {
    batchId: 'b1',
    lane: 'Reader A',
    checklist: { credentials: 'openid' },
    sim: fakeSim().sim,
    krypton: fakeKrypton(),
    now: () => (t += 10),
    newId: () => 'id-1',
    ...over,
  };
}

describe('runCheck', () => {
  it('passes a good SIM, timing every step, and keeps secrets out of the result', async () => {
    const krypton = fakeKrypton();
    let earned: CheckCredentials | undefined;
    const r = (await runCheck(base({ krypton, onCredentials: (c) => (earned = c) })))!;
    expect(r.verdict).toBe('PASS');
    expect(r.iccid).toBe('8981100000000000016');
    expect(r.imsi).toBe('001010000000001');
    expect(r.steps.map((s) => `${s.step}:${s.status}`)).toEqual(['sim:pass', 'key:pass', 'credentials:pass']);
    expect(r.steps.every((s) => s.ms > 0)).toBe(true);
    expect(r.durationMs).toBe(r.finishedAt - r.startedAt);
    expect(krypton.calls).toEqual(['key', 'credentials:openid']);
    expect(earned?.accessKeyId).toBe('ASIALAB');
    expect(JSON.stringify(r)).not.toMatch(/secret-never|token-never/);
  });

  it('fails at the first failing step with its code and action, and skips the rest', async () => {
    const krypton = fakeKrypton({
      agreeKey: async () => {
        throw Object.assign(new Error('MAC failure'), {
          code: 'MAC_FAILURE',
          action: 'This SIM does not belong here',
          details: { sw: 0x9862 },
        });
      },
    });
    const r = (await runCheck(base({ krypton, checklist: { credentials: 'openid', s3: { mode: 'list' } } })))!;
    expect(r.verdict).toBe('FAIL');
    expect(r.failedStep).toBe('key');
    expect(r.problem).toEqual({
      code: 'MAC_FAILURE',
      message: 'MAC failure',
      action: 'This SIM does not belong here',
      details: { sw: 0x9862 },
    });
    expect(r.steps.map((s) => `${s.step}:${s.status}`)).toEqual(['sim:pass', 'key:fail', 'credentials:skipped', 's3:skipped']);
    expect(krypton.calls).toEqual([]);
  });

  it('asks for the PIN of a PIN-enabled SIM, verifies it, then reads the IMSI', async () => {
    const { sim, state } = fakeSim({ pin: { enabled: true, verified: false, triesLeft: 3, blocked: false } });
    const asked: unknown[] = [];
    const r = (await runCheck(base({ sim, pin: async (req) => (asked.push(req), '1234') })))!;
    expect(r.verdict).toBe('PASS');
    expect(asked).toEqual([{ iccid: '8981100000000000016', triesLeft: 3 }]);
    expect(state.verifies).toBe(1);
    expect(r.imsi).toBe('001010000000001');
    expect(r.steps.map((s) => s.step)).toEqual(['sim', 'pin', 'key', 'credentials']);
  });

  it('fails PIN_REQUIRED when no PIN is given, PIN_WRONG when it is wrong, never verifying without one', async () => {
    const noPin = fakeSim({ pin: { enabled: true, verified: false, triesLeft: 3, blocked: false } });
    const r1 = (await runCheck(base({ sim: noPin.sim, pin: async () => undefined })))!;
    expect([r1.verdict, r1.failedStep, r1.problem?.code]).toEqual(['FAIL', 'pin', 'PIN_REQUIRED']);
    expect(noPin.state.verifies).toBe(0);
    const wrong = fakeSim({ pin: { enabled: true, verified: false, triesLeft: 3, blocked: false } });
    const r2 = (await runCheck(base({ sim: wrong.sim, pin: async () => '9999' })))!;
    expect([r2.verdict, r2.failedStep, r2.problem?.code, r2.problem?.details?.triesLeft]).toEqual(['FAIL', 'pin', 'PIN_WRONG', 2]);
  });

  it('fails a blocked SIM with PUK advice without asking for a PIN', async () => {
    const { sim } = fakeSim({ pin: { enabled: true, verified: false, triesLeft: 0, blocked: true } });
    let asked = false;
    const r = (await runCheck(base({ sim, pin: async () => ((asked = true), '1234') })))!;
    expect([r.verdict, r.failedStep, r.problem?.code]).toEqual(['FAIL', 'sim', 'PIN_BLOCKED']);
    expect(r.problem?.action).toMatch(/PUK/);
    // The web app has no PUK entry: the advice must not send the person to it.
    expect(r.problem?.action).not.toMatch(/single-SIM screen/);
    expect(asked).toBe(false);
  });

  it('warns when a PIN-enabled, verified SIM has fewer than three tries left', async () => {
    const { sim } = fakeSim({ pin: { enabled: true, verified: true, triesLeft: 2, blocked: false } });
    const r = (await runCheck(base({ sim })))!;
    expect([r.verdict, r.failedStep, r.problem?.code]).toEqual(['WARN', 'sim', 'PIN_TRIES_LOW']);
    expect(r.steps.map((s) => s.status)).toEqual(['warn', 'pass', 'pass']);
  });

  it('probes S3 in the bucket the group userdata names, and warns when the prefix is empty', async () => {
    const seen: unknown[] = [];
    const s3 = (keyCount: number): CheckS3 => ({
      list: async (c, where) => (
        seen.push({ key: c.accessKeyId, ...where }),
        { keyCount, ...(keyCount ? { firstKey: 'logs/a.txt' } : {}) }
      ),
      head: async () => ({ size: 1 }),
    });
    const checklist = { credentials: 'openid' as const, s3: { mode: 'list' as const, prefix: 'logs/' } };
    const ok = (await runCheck(base({ checklist, s3: s3(3) })))!;
    expect(ok.verdict).toBe('PASS');
    expect(ok.steps.at(-1)?.note).toBe('s3://krypton-demo/logs/: logs/a.txt');
    expect(seen[0]).toEqual({ key: 'ASIALAB', bucket: 'krypton-demo', region: 'ap-northeast-1', prefix: 'logs/' });
    const empty = (await runCheck(base({ checklist, s3: s3(0) })))!;
    expect([empty.verdict, empty.failedStep, empty.problem?.code]).toEqual(['WARN', 's3', 'S3_EMPTY']);
  });

  it('HEADs the named object, and fails with the S3 error when it is missing', async () => {
    const s3: CheckS3 = {
      list: async () => ({ keyCount: 1 }),
      head: async (_c, where) => {
        if (where.key === 'missing.bin') throw Object.assign(new Error('Not found'), { code: 'NO_SUCH_KEY', action: 'Check the key' });
        return { size: 42 };
      },
    };
    const checklist = (key: string) => ({ credentials: 'direct' as const, s3: { mode: 'head' as const, bucket: 'other-bucket', key } });
    const ok = (await runCheck(base({ checklist: checklist('fw.bin'), s3 })))!;
    expect(ok.steps.at(-1)).toMatchObject({ step: 's3', status: 'pass', note: 's3://other-bucket/fw.bin: 42 bytes' });
    const missing = (await runCheck(base({ checklist: checklist('missing.bin'), s3 })))!;
    expect([missing.verdict, missing.failedStep, missing.problem?.code]).toEqual(['FAIL', 's3', 'NO_SUCH_KEY']);
  });

  it('records group and tags, and fails when the expected tag is missing or different', async () => {
    const meta = (tag: { name: string; expected: string }) => ({ credentials: 'off' as const, metadata: { tag } });
    const ok = (await runCheck(base({ checklist: meta({ name: 'site', expected: 'osaka' }) })))!;
    expect(ok.verdict).toBe('PASS');
    expect([ok.groupId, ok.tags]).toEqual(['lab-group', { name: 'demo', site: 'osaka' }]);
    const other = (await runCheck(base({ checklist: meta({ name: 'site', expected: 'tokyo' }) })))!;
    expect([other.verdict, other.problem?.code, other.problem?.details]).toEqual([
      'FAIL',
      'TAG_MISMATCH',
      { expected: 'tokyo', actual: 'osaka' },
    ]);
    const none = (await runCheck(base({ checklist: meta({ name: 'line', expected: '3' }) })))!;
    expect(none.problem?.code).toBe('TAG_MISSING');
  });

  it('stops at once when the card leaves, marking the result interrupted', async () => {
    const abort = new AbortController();
    let release!: () => void;
    const krypton = fakeKrypton({
      agreeKey: () => new Promise((resolve) => (release = () => resolve({ resynchronised: false }))),
    });
    const running = runCheck(base({ krypton, signal: abort.signal, onStep: (s) => s === 'key' && setTimeout(() => abort.abort(), 5) }));
    const r = (await running)!;
    release();
    expect(r.interrupted).toBe(true);
    expect([r.verdict, r.failedStep, r.problem?.code]).toEqual(['FAIL', 'key', 'CARD_REMOVED']);
    expect(r.steps.map((s) => `${s.step}:${s.status}`)).toEqual(['sim:pass', 'key:fail', 'credentials:skipped']);
  });

  it('gives no result when the caller declines a SIM it has checked already, before any PIN or key work', async () => {
    const krypton = fakeKrypton();
    const seen: unknown[] = [];
    const r = await runCheck(base({ krypton, onSimRead: (sim) => (seen.push(sim), false) }));
    expect(r).toBeUndefined();
    expect(seen).toEqual([{ iccid: '8981100000000000016' }]);
    expect(krypton.calls).toEqual([]);
  });
});

describe('describeError: a thrown failure as a check problem', () => {
  it('keeps the CORS configuration its action asks to paste, and drops a malformed one', () => {
    const cors = { origin: 'http://localhost:8787', bucket: 'reports', json: '[{"AllowedMethods":["GET"]}]' };
    const problem = describeError({
      code: 'S3_CORS_MISSING',
      message: 'blocked',
      action: 'Add this CORS configuration',
      details: { bucket: 'reports' },
      cors,
    });
    expect(problem).toEqual({
      code: 'S3_CORS_MISSING',
      message: 'blocked',
      action: 'Add this CORS configuration',
      details: { bucket: 'reports' },
      cors,
    });
    expect(describeError({ code: 'S3_CORS_MISSING', message: 'm', action: 'a', cors: { origin: 1 } }).cors).toBeUndefined();
  });
});
