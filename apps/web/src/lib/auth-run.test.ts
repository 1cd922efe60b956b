import { describe, expect, it } from 'vitest';
import type { AuthOutcome, MaskedCredentials, SessionEvent } from '../worker/api.ts';
import { AuthRun, cognitoNote } from './auth-run.svelte.ts';
import { formatDateTime } from './format.ts';
import { english as en } from './i18n/english.test-support.ts';
import { interpolate } from './i18n/i18n.svelte.ts';
import { ja } from './i18n/ja.ts';
import { failureOf, fakeWorker } from './test-doubles.test-support.ts';

const credentials: MaskedCredentials = {
  accessKeyId: 'ASIAEXAMPLE',
  expiration: 2e12,
  refreshAt: 2e12 - 300_000,
  secretAccessKeyMasked: '••••',
  sessionTokenMasked: '••••',
  mode: 'openid',
};
const trace = (run: number, event: Extract<SessionEvent, { type: 'trace' }>['event']): SessionEvent => ({ type: 'trace', event, run });

describe('AuthRun: the live timeline of one Authenticate', () => {
  it('shows steps as they start and end, counts APDUs and HTTP requests, and reports the cache', async () => {
    let auth!: AuthRun;
    let seenRunning = false;
    const outcome: AuthOutcome = { key: { fromCache: false, resynchronised: false }, credentials, keyCachePersistent: true };
    const got: AuthOutcome[] = [];
    const w = fakeWorker({
      authenticate: async (run) => {
        auth.onEvent(trace(run, { type: 'step-start', step: 'imsi', at: 1 }));
        auth.onEvent(trace(run, { type: 'apdu', step: 'imsi', command: '00A4', response: '9000', durationMs: 1 }));
        auth.onEvent(trace(run, { type: 'step-end', step: 'imsi', at: 2, durationMs: 3.4, ok: true }));
        auth.onEvent(trace(run, { type: 'step-start', step: 'key-agreement', at: 3 }));
        seenRunning = auth.steps.at(-1)?.status === 'running';
        auth.onEvent(
          trace(run, { type: 'http', step: 'key-agreement', method: 'POST', url: 'http://x/v1/keys', status: 200, durationMs: 20 }),
        );
        auth.onEvent(trace(run, { type: 'step-end', step: 'key-agreement', at: 4, durationMs: 20.6, ok: true }));
        // Another run's events (an automatic refresh) are not this timeline's.
        auth.onEvent(trace(run + 100, { type: 'step-start', step: 'cognito', at: 5 }));
        auth.onEvent({ type: 'trace', event: { type: 'step-start', step: 'cognito', at: 5 } });
        return outcome;
      },
    });
    auth = new AuthRun((o) => got.push(o));
    await auth.run(
      w.api,
      'virtual',
      (() => {
        let t = 0;
        return () => (t += 50);
      })(),
    );
    expect(seenRunning).toBe(true);
    expect(auth.steps).toEqual([
      { step: 'imsi', status: 'ok', durationMs: 3 },
      { step: 'key-agreement', status: 'ok', durationMs: 21 },
    ]);
    expect(auth.apdus).toBe(1);
    expect(auth.http).toBe(1);
    expect(auth.totalMs).toBe(50);
    expect(auth.outcome).toEqual(outcome);
    expect(got).toEqual([outcome]);
    expect(auth.failure).toBeUndefined();
    expect(auth.running).toBe(false);
  });

  it('on failure names the failed step, even when its events arrive after the answer', async () => {
    let runId = 0;
    const w = fakeWorker({
      authenticate: async (run) => {
        runId = run;
        throw failureOf('SERVER_ERROR', { status: 503, step: 'keys.start' });
      },
    });
    const auth = new AuthRun();
    await auth.run(w.api, 'virtual');
    expect(auth.failure?.code).toBe('SERVER_ERROR');
    expect(auth.failedStep).toBeUndefined();
    // Events travel on their own channel and may land after the reply.
    auth.onEvent(trace(runId, { type: 'step-start', step: 'key-agreement', at: 1 }));
    auth.onEvent(
      trace(runId, {
        type: 'step-end',
        step: 'key-agreement',
        at: 2,
        durationMs: 31,
        ok: false,
        failure: { code: 'SERVER_ERROR', message: 'HTTP 503' },
      }),
    );
    expect(auth.failedStep).toEqual({
      step: 'key-agreement',
      status: 'failed',
      durationMs: 31,
      failure: { code: 'SERVER_ERROR', message: 'HTTP 503' },
    });
  });

  it('a new run starts a clean timeline and ignores the previous run’s late events', async () => {
    const runs: number[] = [];
    const w = fakeWorker({ authenticate: async (run) => (runs.push(run), { credentials, keyCachePersistent: true }) });
    const auth = new AuthRun();
    await auth.run(w.api, 'cellular');
    await auth.run(w.api, 'cellular');
    auth.onEvent(trace(runs[0]!, { type: 'step-start', step: 'provisioning', at: 1 }));
    expect(auth.steps).toEqual([]);
    auth.onEvent(trace(runs[1]!, { type: 'step-start', step: 'provisioning', at: 1 }));
    expect(auth.steps).toHaveLength(1);
  });

  it('forgetting the key says so, or shows why it could not', async () => {
    const auth = new AuthRun();
    await auth.forgetKey(fakeWorker({ forgetKey: async () => undefined }).api);
    expect(auth.forgotten).toBe(true);
    await auth.forgetKey(fakeWorker({ forgetKey: () => Promise.reject(failureOf('NOT_CONNECTED')) }).api);
    expect(auth.forgetFailure?.code).toBe('NOT_CONNECTED');
  });

  it('the Cognito step’s note is read into facts, shown in the page’s language and time zone, not UTC ISO', () => {
    // The note as krypton-core's credential provider writes it.
    const note = 'identity ap-northeast-1:1234-abcd, credentials until 2026-12-03T12:05:07.000Z';
    const facts = cognitoNote('cognito', note);
    expect(facts).toEqual({ identityId: 'ap-northeast-1:1234-abcd', expiresAt: Date.UTC(2026, 11, 3, 12, 5, 7) });
    expect(cognitoNote('imsi', note)).toBeUndefined();
    expect(cognitoNote('cognito', 'something else')).toBeUndefined();
    expect(cognitoNote('cognito', 'identity x, credentials until never')).toBeUndefined();
    const time = (locale: string) => formatDateTime(facts!.expiresAt, locale, { timeZone: 'Asia/Tokyo' });
    expect(interpolate(en['auth.note.cognito'], { identity: facts!.identityId, time: time('en') })).toBe(
      'identity ap-northeast-1:1234-abcd, credentials until Dec 3, 2026, 9:05:07 PM',
    );
    expect(interpolate(ja['auth.note.cognito'], { identity: facts!.identityId, time: time('ja') })).toBe(
      'アイデンティティ ID ap-northeast-1:1234-abcd、認証情報の有効期限 2026/12/03 21:05:07',
    );

    const auth = new AuthRun(() => undefined);
    auth.onTrace({ type: 'step-start', step: 'cognito', at: 1 });
    auth.onTrace({ type: 'step-end', step: 'cognito', at: 2, durationMs: 5, ok: true, note });
    expect(auth.steps[0]?.credentials).toEqual(facts);
  });
});

describe('AuthRun: forgetting the cached key', () => {
  it('confirms the forget in place of the last answer, and keeps a failed forget apart from the run’s failure', async () => {
    const outcome: AuthOutcome = { key: { fromCache: true, resynchronised: false }, credentials, keyCachePersistent: true };
    const auth = new AuthRun();
    await auth.run(fakeWorker({ authenticate: async () => outcome }).api, 'virtual');
    expect(auth.forgotten).toBe(false);
    await auth.forgetKey(fakeWorker({ forgetKey: async () => undefined }).api);
    expect(auth.forgotten).toBe(true);
    expect(auth.failure).toBeUndefined();
    await auth.forgetKey(fakeWorker({ forgetKey: () => Promise.reject(failureOf('NOT_CONNECTED')) }).api);
    expect(auth.forgotten).toBe(false);
    expect(auth.forgetFailure?.code).toBe('NOT_CONNECTED');
    expect(auth.failure).toBeUndefined();
    await auth.run(fakeWorker({ authenticate: async () => outcome }).api, 'virtual');
    expect(auth.forgetFailure).toBeUndefined();
  });
});
