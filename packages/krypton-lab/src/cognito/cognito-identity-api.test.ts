import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CognitoIdentityClient, GetCredentialsForIdentityCommand } from '@aws-sdk/client-cognito-identity';
import { LabClock } from '../server/lab-clock.ts';
import { listenOnLoopback, type Listening } from '../server/listen.ts';
import type { VendedCredentials } from '../s3/credential-store.ts';
import { cognitoIdentityApi } from './cognito-identity-api.ts';
import { IdentityPool } from './identity-pool.ts';

const clock = new LabClock();
const vended: VendedCredentials[] = [];
let pool: IdentityPool;
let server: Listening;
let client: CognitoIdentityClient;

beforeAll(async () => {
  pool = await IdentityPool.create({ clock, onVend: (c) => vended.push(c) });
  server = await listenOnLoopback(cognitoIdentityApi(pool));
  // The real SDK, pointed at the lab: the same call the product makes from the browser.
  client = new CognitoIdentityClient({ region: pool.region, endpoint: server.url });
});
afterAll(async () => {
  client.destroy();
  await server.close();
});

const exchange = (identityId: string, token: string) =>
  client.send(new GetCredentialsForIdentityCommand({ IdentityId: identityId, Logins: { 'cognito-identity.amazonaws.com': token } }));

describe('Cognito Identity emulator through @aws-sdk/client-cognito-identity', () => {
  it('exchanges a token for credentials that last an hour and are recorded for S3', async () => {
    clock.offsetMs = 0;
    const { identityId, token } = await pool.openIdToken('001010000000001');
    const out = await exchange(identityId, token);
    expect(out.IdentityId).toBe(identityId);
    expect(out.Credentials?.AccessKeyId).toMatch(/^ASIA/);
    expect(out.Credentials?.SecretKey).toHaveLength(40);
    expect(out.Credentials?.SessionToken?.length).toBeGreaterThan(100);
    const ttl = out.Credentials!.Expiration!.getTime() - Date.now();
    expect(ttl).toBeGreaterThan(3590_000);
    expect(ttl).toBeLessThanOrEqual(3600_000);
    expect(vended.at(-1)?.accessKeyId).toBe(out.Credentials?.AccessKeyId);
  });

  it('gives the same identity to the same SIM and another to another SIM', async () => {
    expect(await pool.identityIdFor('001010000000001')).toBe(await pool.identityIdFor('001010000000001'));
    expect(await pool.identityIdFor('001010000000001')).not.toBe(await pool.identityIdFor('001010000000002'));
  });

  it('refuses an expired token with NotAuthorizedException', async () => {
    clock.offsetMs = 0;
    const { identityId, token } = await pool.openIdToken('001010000000001');
    clock.offsetMs = (pool.tokenTtlSeconds + 60) * 1000;
    try {
      await expect(exchange(identityId, token)).rejects.toMatchObject({
        name: 'NotAuthorizedException',
        message: expect.stringMatching(/expired/i),
      });
    } finally {
      clock.offsetMs = 0;
    }
  });

  it('refuses a token presented for another identity, a forged signature and a token from another pool', async () => {
    const a = await pool.openIdToken('001010000000001');
    const b = await pool.openIdToken('001010000000002');
    await expect(exchange(b.identityId, a.token)).rejects.toMatchObject({ name: 'NotAuthorizedException' });
    const [h, p, s] = a.token.split('.');
    const forged = `${h}.${p}.${s!.slice(0, -4)}${s!.slice(-4) === 'AAAA' ? 'BBBB' : 'AAAA'}`;
    await expect(exchange(a.identityId, forged)).rejects.toMatchObject({ name: 'NotAuthorizedException' });
    const other = await IdentityPool.create({ clock, onVend: () => undefined });
    const foreign = await other.openIdToken('001010000000001');
    await expect(exchange(a.identityId, foreign.token)).rejects.toMatchObject({ name: 'NotAuthorizedException' });
  });

  it('refuses a malformed identity id and a missing login', async () => {
    const { token } = await pool.openIdToken('001010000000001');
    await expect(exchange('not an id', token)).rejects.toMatchObject({ name: 'ValidationException' });
    await expect(
      client.send(new GetCredentialsForIdentityCommand({ IdentityId: await pool.identityIdFor('1'), Logins: {} })),
    ).rejects.toMatchObject({
      name: 'NotAuthorizedException',
    });
  });

  it('answers browsers: preflight and errors carry CORS headers', async () => {
    const pre = await fetch(server.url, {
      method: 'OPTIONS',
      headers: {
        Origin: 'http://localhost:8787',
        'Access-Control-Request-Method': 'POST',
        'Access-Control-Request-Headers': 'content-type,x-amz-target,x-amz-user-agent',
      },
    });
    expect(pre.status).toBe(200);
    expect(pre.headers.get('access-control-allow-origin')).toBe('*');
    expect(pre.headers.get('access-control-allow-headers')).toContain('x-amz-target');
    const err = await fetch(server.url, {
      method: 'POST',
      headers: { Origin: 'http://localhost:8787', 'X-Amz-Target': 'AWSCognitoIdentityService.GetCredentialsForIdentity' },
      body: '{',
    });
    expect(err.status).toBe(400);
    expect(err.headers.get('access-control-allow-origin')).toBe('*');
    expect(((await err.json()) as Record<string, string>).__type).toBe('SerializationException');
  });

  it('answers an unknown operation with UnknownOperationException', async () => {
    const res = await fetch(server.url, {
      method: 'POST',
      headers: { 'X-Amz-Target': 'AWSCognitoIdentityService.DeleteIdentityPool' },
      body: '{}',
    });
    expect(res.status).toBe(400);
    expect(((await res.json()) as Record<string, string>).__type).toBe('UnknownOperationException');
  });
});
