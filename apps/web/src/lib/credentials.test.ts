import { afterEach, describe, expect, it, vi } from 'vitest';
import type { MaskedCredentials } from '../worker/api.ts';
import { CredentialsState, REVEAL_MS } from './credentials.svelte.ts';
import { failureOf, fakeWorker } from './test-doubles.test-support.ts';

const masked = (akid: string, expiration = Date.now() + 3_600_000): MaskedCredentials => ({
  identityId: 'ap-northeast-1:0000',
  accessKeyId: akid,
  expiration,
  refreshAt: expiration - 300_000,
  secretAccessKeyMasked: '••••',
  sessionTokenMasked: '••••',
  mode: 'openid',
});

afterEach(() => vi.useRealTimers());

describe('CredentialsState', () => {
  it('counts down to expiry', () => {
    const c = new CredentialsState();
    expect(c.remaining(0)).toBeUndefined();
    c.set(masked('ASIA1', 10_000));
    expect(c.remaining(4_000)).toBe(6_000);
    expect(c.remaining(12_000)).toBe(-2_000);
  });

  it('reveals the secrets only on request, and hides them on a timer, on hide, and when the credentials change', async () => {
    vi.useFakeTimers();
    const secrets = { secretAccessKey: 'S3CR3T', sessionToken: 'T0K3N' };
    const w = fakeWorker({ revealCredentials: async () => secrets });
    const c = new CredentialsState();
    c.set(masked('ASIA1'));
    expect(c.revealed).toBeUndefined();
    await c.reveal(w.api);
    expect(c.revealed).toEqual(secrets);
    vi.advanceTimersByTime(REVEAL_MS);
    expect(c.revealed).toBeUndefined();
    await c.reveal(w.api);
    c.hide();
    expect(c.revealed).toBeUndefined();
    await c.reveal(w.api);
    c.onEvent({ type: 'credentials', credentials: masked('ASIA2') });
    expect(c.revealed).toBeUndefined();
  });

  it('renewals from the worker replace the credentials and say when; a failed renewal is kept to show', () => {
    const c = new CredentialsState();
    c.set(masked('ASIA1'));
    c.onEvent({ type: 'credentials-refreshing', reason: 'expiring' });
    expect(c.refreshing).toBe(true);
    c.onEvent({ type: 'credentials', credentials: masked('ASIA2') });
    expect(c.current?.accessKeyId).toBe('ASIA2');
    expect(c.refreshing).toBe(false);
    expect(c.renewedAt).toBeTypeOf('number');
    c.onEvent({ type: 'credentials-failed', failure: failureOf('SERVER_ERROR') });
    expect(c.failure?.code).toBe('SERVER_ERROR');
    expect(c.current?.accessKeyId).toBe('ASIA2');
  });

  it('with no credentials shown, renewal news is ignored: a failed Authenticate is not a failed renewal', () => {
    const c = new CredentialsState();
    c.onEvent({ type: 'credentials-refreshing', reason: 'forced' });
    c.onEvent({ type: 'credentials-failed', failure: failureOf('MAC_FAILURE') });
    expect(c.refreshing).toBe(false);
    expect(c.failure).toBeUndefined();
    c.set(masked('ASIA1'));
    c.onEvent({ type: 'credentials-failed', failure: failureOf('SERVER_ERROR') });
    expect(c.failure?.code).toBe('SERVER_ERROR');
  });

  it('manual renewal', async () => {
    const c = new CredentialsState();
    c.set(masked('ASIA1'));
    await c.refresh(fakeWorker({ refreshCredentials: async () => masked('ASIA3') }).api);
    expect(c.current?.accessKeyId).toBe('ASIA3');
    await c.refresh(fakeWorker({ refreshCredentials: () => Promise.reject(failureOf('NO_CARD')) }).api);
    expect(c.failure?.code).toBe('NO_CARD');
    expect(c.refreshing).toBe(false);
  });
});
