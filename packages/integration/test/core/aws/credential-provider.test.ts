import { ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { startLab, type Lab } from '@krypton-web/krypton-lab';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { KryptonError, TransportError } from '@krypton-web/krypton-core';
import { Tracer, type TraceEvent } from '@krypton-web/krypton-core';
import { IMSI, labSource, rejectionOf, recordingProxy } from './aws-test-kit.test-support.ts';
import {
  fromKrypton,
  type KryptonCredentialEvent,
  type KryptonCredentialProvider,
  type KryptonCredentialProviderOptions,
} from '@krypton-web/krypton-core';

const MIN = 60_000;

let lab: Lab;
const providers: KryptonCredentialProvider[] = [];
const s3Clients: S3Client[] = [];

beforeAll(async () => {
  lab = await startLab();
});
afterAll(async () => {
  await lab.close();
});
afterEach(() => {
  for (const p of providers.splice(0)) p.destroy();
  for (const c of s3Clients.splice(0)) c.destroy();
  lab.faults.update({ latencyMs: 0, errorRate: 0, errorServices: [], errorStatus: 503 });
  lab.clock.offsetMs = 0;
  lab.identityPool.credentialTtlSeconds = 3600;
});

/** A provider on the lab, with a fake clock starting at the real time, recording its trace and UI events. */
function setup(overrides: Partial<KryptonCredentialProviderOptions> = {}) {
  const source = labSource(lab);
  const clock = { t: Date.now() };
  const trace: TraceEvent[] = [];
  const events: KryptonCredentialEvent[] = [];
  const provider = fromKrypton({
    source,
    cognitoEndpoint: lab.urls.cognito,
    now: () => clock.t,
    tracer: new Tracer((e) => trace.push(e)),
    onEvent: (e) => events.push(e),
    ...overrides,
  });
  providers.push(provider);
  // Each successful GetCredentialsForIdentity vends one access key into the lab's store.
  const vendedBefore = lab.credentials.size;
  return { source, clock, trace, events, provider, cognitoCalls: () => lab.credentials.size - vendedBefore };
}

function s3(credentials: KryptonCredentialProvider): S3Client {
  const client = new S3Client({ endpoint: lab.urls.s3, region: lab.region, forcePathStyle: true, credentials, maxAttempts: 1 });
  s3Clients.push(client);
  return client;
}

const list = (client: S3Client) => client.send(new ListObjectsV2Command({ Bucket: lab.bucket, Delimiter: '/' }));

describe('openid mode: Krypton token, then Cognito GetCredentialsForIdentity', () => {
  it('gets credentials S3 accepts (ListObjectsV2 on the lab bucket)', async () => {
    const { provider, source, cognitoCalls } = setup({ now: undefined });
    const out = await list(s3(provider));
    expect(out.Contents?.map((c) => c.Key)).toEqual(['README.txt', 'hello.json']);
    expect(source.calls).toEqual({ openId: 1, session: 0 });
    expect(cognitoCalls()).toBe(1);

    const creds = await provider();
    expect(creds.accessKeyId).toMatch(/^ASIA/);
    expect(creds.identityId).toBe(await lab.identityPool.identityIdFor(IMSI));
    expect(lab.credentials.lookup(creds.accessKeyId)?.secretAccessKey).toBe(creds.secretAccessKey);
    expect(creds.expiration.getTime() - Date.now()).toBeGreaterThan(59 * MIN);
    expect(creds.expiration.getTime() - Date.now()).toBeLessThanOrEqual(60 * MIN + 1000);
    expect(provider.current()).toEqual({
      mode: 'openid',
      identityId: creds.identityId,
      accessKeyId: creds.accessKeyId,
      expiration: creds.expiration,
    });
  });

  it('sends GetCredentialsForIdentity unsigned, with the token under Logins, even when the environment has AWS keys', async () => {
    const proxy = await recordingProxy(lab.urls.cognito);
    const saved = { id: process.env.AWS_ACCESS_KEY_ID, secret: process.env.AWS_SECRET_ACCESS_KEY };
    // Keys the SDK's default chain would find first, were it consulted.
    process.env.AWS_ACCESS_KEY_ID = 'AKIAENVIRONMENTKEY00';
    process.env.AWS_SECRET_ACCESS_KEY = 'environment-secret';
    try {
      const { provider, source } = setup({ cognitoEndpoint: proxy.url });
      await provider();
      expect(proxy.seen).toHaveLength(1);
      const [req] = proxy.seen;
      expect(req!.headers['x-amz-target']).toBe('AWSCognitoIdentityService.GetCredentialsForIdentity');
      expect(req!.headers['authorization']).toBeUndefined();
      expect(req!.headers['x-amz-security-token']).toBeUndefined();
      expect(JSON.parse(req!.body)).toEqual({
        IdentityId: await lab.identityPool.identityIdFor(IMSI),
        Logins: { 'cognito-identity.amazonaws.com': source.secrets[0] },
      });
    } finally {
      restoreEnv('AWS_ACCESS_KEY_ID', saved.id);
      restoreEnv('AWS_SECRET_ACCESS_KEY', saved.secret);
      await proxy.close();
    }
  });

  it("keeps its cache correct when the lab clock is two hours behind (expiry measured against Cognito's Date header)", async () => {
    lab.clock.offsetMs = -120 * MIN;
    const { provider, cognitoCalls } = setup({ now: undefined });
    const first = await provider();
    // Cognito's Expiration is an hour in this machine's past; read against its own clock it has an hour left.
    expect(first.expiration.getTime() - Date.now()).toBeGreaterThan(59 * MIN);
    expect(first.expiration.getTime() - Date.now()).toBeLessThan(61 * MIN);
    expect(await provider()).toBe(first);
    expect(cognitoCalls()).toBe(1);
  });
});

describe('direct mode: Krypton hands out the credentials', () => {
  it('gets credentials S3 accepts, without calling Cognito itself', async () => {
    const { provider, source, trace } = setup({ mode: 'direct', now: undefined, cognitoEndpoint: 'http://127.0.0.1:1' });
    const out = await list(s3(provider));
    expect(out.Contents?.map((c) => c.Key)).toEqual(['README.txt', 'hello.json']);
    expect(source.calls).toEqual({ openId: 0, session: 1 });
    expect(trace.filter((e) => e.type === 'http')).toEqual([]);
    const creds = await provider();
    expect(creds.identityId).toBe(await lab.identityPool.identityIdFor(IMSI));
    expect(creds.secretAccessKey).toBe(source.secrets[0]);
    expect(creds.sessionToken).toBe(source.secrets[1]);
    expect(provider.current()?.mode).toBe('direct');
  });

  it('refuses credentials whose expiration is in seconds instead of milliseconds', async () => {
    const { provider, source } = setup({ mode: 'direct' });
    const real = source.sessionCredentials.bind(source);
    source.sessionCredentials = async () => {
      const a = await real();
      return { ...a, credentials: { ...a.credentials, expiration: Math.floor(a.credentials.expiration / 1000) } };
    };
    const e = await rejectionOf(provider());
    expect(e).toBeInstanceOf(KryptonError);
    expect((e as KryptonError).code).toBe('MALFORMED_ANSWER');
    expect((e as KryptonError).message).toMatch(/already past/);
  });
});

describe('cache and refresh', () => {
  it('serves the cache: one Krypton and one Cognito call for many uses, S3 included', async () => {
    const { provider, source, cognitoCalls, clock } = setup();
    const first = await provider();
    clock.t += 50 * MIN;
    expect(await provider()).toBe(first);
    const client = s3(provider);
    await list(client);
    await list(client);
    expect(source.calls.openId).toBe(1);
    expect(cognitoCalls()).toBe(1);
  });

  it('refreshes within five minutes of expiry, not before (fake clock)', async () => {
    const { provider, source, cognitoCalls, clock, events } = setup();
    const first = await provider();
    const expiry = first.expiration.getTime();
    clock.t = expiry - 5 * MIN - 1000;
    expect(await provider()).toBe(first);
    expect(cognitoCalls()).toBe(1);
    clock.t = expiry - 4 * MIN;
    const second = await provider();
    expect(second.accessKeyId).not.toBe(first.accessKeyId);
    // An hour from the refresh, on the fake clock (Expiration and Date are whole seconds).
    expect(Math.abs(second.expiration.getTime() - (clock.t + 60 * MIN))).toBeLessThanOrEqual(1500);
    expect(source.calls.openId).toBe(2);
    expect(cognitoCalls()).toBe(2);
    expect(events.filter((e) => e.type === 'refreshing').map((e) => e.type === 'refreshing' && e.reason)).toEqual(['initial', 'expiring']);
    expect(await provider()).toBe(second);
  });

  it('honours a custom margin', async () => {
    const { provider, clock, cognitoCalls } = setup({ refreshMarginMs: 20 * MIN });
    const first = await provider();
    clock.t = first.expiration.getTime() - 21 * MIN;
    expect(await provider()).toBe(first);
    clock.t = first.expiration.getTime() - 19 * MIN;
    expect((await provider()).accessKeyId).not.toBe(first.accessKeyId);
    expect(cognitoCalls()).toBe(2);
  });

  it('credentials shorter-lived than the margin are kept for half their life, not refetched on every call', async () => {
    lab.identityPool.credentialTtlSeconds = 240;
    const { provider, clock, cognitoCalls } = setup();
    const first = await provider();
    expect(first.expiration.getTime() - clock.t).toBeLessThanOrEqual(240_000);
    expect(await provider()).toBe(first);
    clock.t = first.expiration.getTime() - 125_000;
    expect(await provider()).toBe(first);
    clock.t = first.expiration.getTime() - 115_000;
    expect(await provider()).not.toBe(first);
    expect(cognitoCalls()).toBe(2);
  });

  it('forceRefresh (as the SDK may pass it) fetches new credentials even when fresh', async () => {
    const { provider, cognitoCalls, events } = setup();
    const first = await provider();
    const forced = await provider({ forceRefresh: true });
    expect(forced.accessKeyId).not.toBe(first.accessKeyId);
    expect(await provider()).toBe(forced);
    expect(cognitoCalls()).toBe(2);
    expect(events.filter((e) => e.type === 'refreshing').map((e) => e.type === 'refreshing' && e.reason)).toEqual(['initial', 'forced']);
  });
});

describe('one refresh at a time', () => {
  it('20 callers at refresh time share exactly one refresh', async () => {
    const { provider, source, clock, cognitoCalls } = setup();
    const first = await provider();
    clock.t = first.expiration.getTime() - 2 * MIN;
    lab.faults.update({ latencyMs: 50 });
    const all = await Promise.all(Array.from({ length: 20 }, () => provider()));
    expect(new Set(all).size).toBe(1);
    expect(all[0]!.accessKeyId).not.toBe(first.accessKeyId);
    expect(source.calls.openId).toBe(2);
    expect(cognitoCalls()).toBe(2);
  });

  it('20 first callers (nothing cached) share one refresh, forced ones included', async () => {
    const { provider, source, cognitoCalls } = setup();
    source.delayMs = 30;
    const all = await Promise.all(Array.from({ length: 20 }, (_, i) => provider(i % 2 ? { forceRefresh: true } : undefined)));
    expect(new Set(all.map((c) => c.accessKeyId)).size).toBe(1);
    expect(source.calls.openId).toBe(1);
    expect(cognitoCalls()).toBe(1);
  });

  it('a failed refresh reaches every waiter, is not cached, and the next call retries', async () => {
    const { provider, source, clock, cognitoCalls, events } = setup({ cognitoMaxAttempts: 1 });
    const first = await provider();
    clock.t = first.expiration.getTime() - MIN;
    lab.faults.update({ errorRate: 1, errorServices: ['cognito'], errorStatus: 503, latencyMs: 30 });
    const results = await Promise.allSettled(Array.from({ length: 20 }, () => provider()));
    const reasons = results.map((r): unknown => (r.status === 'rejected' ? r.reason : r.value));
    expect(new Set(reasons).size).toBe(1);
    const e = reasons[0] as KryptonError;
    expect(e).toBeInstanceOf(KryptonError);
    expect(e.code).toBe('SERVER_ERROR');
    expect(e.details).toMatchObject({ step: 'cognito', status: 503 });
    expect(source.calls.openId).toBe(2);
    // The event carries the failure's facts and advice, so a page's texts can name the status (#16 review).
    expect(events.at(-1)).toEqual({
      type: 'refresh-failed',
      mode: 'openid',
      failure: { code: 'SERVER_ERROR', message: e.message },
      error: { action: e.action, details: e.details },
    });

    lab.faults.update({ errorRate: 0, latencyMs: 0 });
    const next = await provider();
    expect(next.accessKeyId).not.toBe(first.accessKeyId);
    expect(source.calls.openId).toBe(3);
    expect(cognitoCalls()).toBe(2);
  });

  it('passes a KryptonError from the Krypton side through unchanged to every waiter', async () => {
    const { provider, source } = setup();
    const refused = new KryptonError('SIGNATURE_REFUSED', 'Krypton refused the signature', 'Authenticate the SIM again');
    source.failNext = refused;
    source.delayMs = 20;
    const results = await Promise.allSettled([provider(), provider(), provider()]);
    expect(results.map((r): unknown => r.status === 'rejected' && r.reason)).toEqual([refused, refused, refused]);
    expect(source.calls.openId).toBe(1);
    expect((await provider()).accessKeyId).toMatch(/^ASIA/);
  });

  it('passes a SIM link’s coded error (a card pulled out) through unchanged, not as a Krypton server error', async () => {
    const { provider, source } = setup();
    const pulled = new TransportError('NO_CARD', 'The card was removed from the reader');
    source.failNext = pulled;
    await expect(provider()).rejects.toBe(pulled);
    // An uncoded error is still the Krypton client's failure, with advice the page can follow.
    source.failNext = new TypeError('boom');
    const e = (await provider().catch((x: unknown) => x)) as KryptonError;
    expect(e).toBeInstanceOf(KryptonError);
    expect(e.code).toBe('SERVER_ERROR');
    expect(e.action).not.toMatch(/trace/);
  });

  it('invalidate() makes the next call fetch new credentials, and an S3 client picks them up at once', async () => {
    const { provider, source, events } = setup({ now: undefined });
    const client = s3(provider);
    await list(client);
    const old = await provider();
    // Revoked: the S3 gate no longer knows the old key.
    lab.credentials.remove(old.accessKeyId);
    await expect(list(client)).rejects.toMatchObject({ name: 'InvalidAccessKeyId' });
    provider.invalidate();
    expect(provider.current()).toBeUndefined();
    await list(client);
    const fresh = await provider();
    expect(fresh.accessKeyId).not.toBe(old.accessKeyId);
    expect(lab.credentials.lookup(fresh.accessKeyId)).toBeDefined();
    expect(source.calls.openId).toBe(2);
    expect(events.filter((e) => e.type === 'refreshing').map((e) => e.type === 'refreshing' && e.reason)).toEqual([
      'initial',
      'invalidated',
    ]);
  });

  it('invalidate() during a refresh: the old refresh is not cached, and the new one waits for it', async () => {
    const { provider, source } = setup();
    source.delayMs = 50;
    const before = provider();
    await new Promise((r) => setTimeout(r, 10));
    provider.invalidate();
    const after = provider();
    const a = await before;
    // Asked after invalidate(): must not get what the stale refresh brought back.
    const between = provider();
    const b = await after;
    expect(await between).toBe(b);
    expect(a.accessKeyId).not.toBe(b.accessKeyId);
    expect(source.maxActive).toBe(1);
    expect(source.calls.openId).toBe(2);
    expect(await provider()).toBe(b);
  });
});

function restoreEnv(name: string, value: string | undefined): void {
  if (value === undefined) delete process.env[name];
  else process.env[name] = value;
}
