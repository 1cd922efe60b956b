import { X509Certificate, createHash, createPrivateKey } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { fromBase64, toBase64 } from '@krypton-web/krypton-core';
import { kryptonFixture } from '../../test/support/krypton-fixture.test-support.ts';
import { signedRequest } from '../../test/support/signed-request.test-support.ts';
import { inventoryApplicationKey } from './provisioning-ops.ts';

type Json = Record<string, unknown>;

describe('Provisioning API: every operation with a valid signature', () => {
  it('aws/cognito/open_id_tokens answers region, identityId and a token naming that identity', async () => {
    const f = await kryptonFixture();
    const key = await f.agree();
    const res = await f.call('aws/cognito/open_id_tokens', key);
    expect(res.status).toBe(200);
    const body = (await res.json()) as Json;
    expect(body.region).toBe('ap-northeast-1');
    expect(body.identityId).toMatch(/^ap-northeast-1:[0-9a-f-]{36}$/);
    const [, payload] = (body.token as string).split('.');
    const claims = JSON.parse(Buffer.from(payload!, 'base64url').toString()) as Json;
    expect(claims.sub).toBe(body.identityId);
    expect(claims.aud).toBe(f.identityPool.identityPoolId);
    expect(claims.iss).toBe('https://cognito-identity.amazonaws.com');
  });

  it('aws/cognito/credentials answers credentials with an expiry in milliseconds, and records them for S3', async () => {
    const f = await kryptonFixture();
    const key = await f.agree();
    const body = (await (await f.call('aws/cognito/credentials', key)).json()) as { identityId: string; credentials: Json };
    expect(Object.keys(body.credentials).sort()).toEqual(['accessKeyId', 'expiration', 'secretKey', 'sessionToken']);
    expect(body.credentials.accessKeyId).toMatch(/^ASIA[A-Z2-7]{16}$/);
    const expiration = body.credentials.expiration as number;
    expect(expiration - Date.now()).toBeGreaterThan(3500_000);
    expect(expiration - Date.now()).toBeLessThanOrEqual(3600_000);
    expect(f.vended.map((v) => v.accessKeyId)).toEqual([body.credentials.accessKeyId]);
  });

  it('soracom/air/subscriber_metadata describes the SIM that signed', async () => {
    const f = await kryptonFixture();
    const key = await f.agree('demo-even');
    const body = (await (await f.call('soracom/air/subscriber_metadata', key)).json()) as Json;
    expect(body).toMatchObject({ imsi: key.sim.imsi, msisdn: key.sim.msisdn, groupId: 'lab-group', status: 'active', tags: key.sim.tags });
  });

  it('soracom/air/userdata answers the group userdata exactly as configured', async () => {
    const f = await kryptonFixture();
    const key = await f.agree();
    const res = await f.call('soracom/air/userdata', key);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    expect(await res.text()).toBe(f.profiles.groups[0]!.userdata);
    expect(JSON.parse(await (await f.call('soracom/air/userdata', key)).text())).toMatchObject({ s3: { bucket: 'krypton-demo' } });
  });

  it('aws/iot/bootstrap answers a certificate chained to the root it returns, and the matching RSA key', async () => {
    const f = await kryptonFixture();
    const key = await f.agree();
    const body = (await (await f.call('aws/iot/bootstrap', key, { thingName: 'lab-thing-1' })).json()) as Record<string, string>;
    const cert = new X509Certificate(body.certificate!);
    const root = new X509Certificate(body.rootCaCertificate!);
    expect(cert.verify(root.publicKey)).toBe(true);
    expect(cert.checkIssued(root)).toBe(true);
    const priv = createPrivateKey(body.privateKey!);
    expect(body.privateKey).toMatch(/^-----BEGIN RSA PRIVATE KEY-----/);
    expect(priv.asymmetricKeyDetails?.modulusLength).toBe(2048);
    expect(cert.checkPrivateKey(priv)).toBe(true);
    expect(body.clientId).toBe('lab-thing-1');
    expect(body.host).toMatch(/iot\..+\.amazonaws\.com$/);
  });

  it('soracom/inventory/bootstrap answers nonce and timestamp from which the client derives the application key', async () => {
    const f = await kryptonFixture();
    const key = await f.agree();
    // Go form: the endpoint sits at the top level next to keyId.
    const req = await signedRequest(
      JSON.stringify({ keyId: key.keyId, endpoint: 'coaps://jp.inventory.soracom.io:5684', requestParameters: null }),
      key.ck,
    );
    const res = await f.app.request('/v1/provisioning/soracom/inventory/bootstrap', {
      method: 'POST',
      body: req.body,
      headers: req.headers,
    });
    expect(res.status).toBe(200);
    const now = f.clock.now();
    const body = (await res.json()) as Record<string, string>;
    expect(Object.keys(body).sort()).toEqual(['nonce', 'pskId', 'serverUri', 'timestamp']);
    expect(body.serverUri).toBe('coaps://jp.inventory.soracom.io:5684');
    expect(body.pskId).toBe(`soracom-inventory-lab:${key.sim.imsi}`);
    expect(fromBase64(body.nonce!)).toHaveLength(16);
    // The lab's clock, in milliseconds, at the call.
    expect(body.timestamp).toMatch(/^[0-9]{13}$/);
    expect(Math.abs(Number(body.timestamp) - now)).toBeLessThan(5000);
    // The key a client derives, computed here with node:crypto: first 16 bytes of SHA-256(nonce ‖ timestamp ‖ CK).
    const expected = createHash('sha256')
      .update(Buffer.from(body.nonce!, 'base64'))
      .update(body.timestamp!)
      .update(key.ck)
      .digest()
      .subarray(0, 16);
    expect(Buffer.from(await inventoryApplicationKey(fromBase64(body.nonce!), body.timestamp!, key.ck)).toString('hex')).toBe(
      expected.toString('hex'),
    );
    // A second call hands out a fresh nonce.
    const again = (await (
      await f.app.request('/v1/provisioning/soracom/inventory/bootstrap', { method: 'POST', body: req.body, headers: req.headers })
    ).json()) as Record<string, string>;
    expect(again.nonce).not.toBe(body.nonce);
  });

  it('inventoryApplicationKey matches a vector computed with node:crypto', async () => {
    const nonce = Uint8Array.from({ length: 16 }, (_, i) => i);
    const ck = Uint8Array.from({ length: 16 }, (_, i) => 0xf0 - i);
    const timestamp = '1700000000000';
    const expected = createHash('sha256').update(nonce).update(timestamp).update(ck).digest().subarray(0, 16).toString('hex');
    expect(Buffer.from(await inventoryApplicationKey(nonce, timestamp, ck)).toString('hex')).toBe(expected);
  });

  it('soracom/inventory/bootstrap refuses a call without the endpoint parameter', async () => {
    const f = await kryptonFixture();
    const key = await f.agree();
    const res = await f.call('soracom/inventory/bootstrap', key);
    expect(res.status).toBe(400);
    expect(((await res.json()) as Json).code).toBe('PRV0422');
  });

  it('soracom/arc/bootstrap answers WireGuard keys of 32 bytes and a server endpoint', async () => {
    const f = await kryptonFixture();
    const key = await f.agree();
    const body = (await (await f.call('soracom/arc/bootstrap', key)).json()) as Record<string, string>;
    expect(fromBase64(body.arcClientPeerPrivateKey!)).toHaveLength(32);
    expect(fromBase64(body.arcServerPeerPublicKey!)).toHaveLength(32);
    expect(body.arcServerEndpoint).toMatch(/:\d+$/);
  });

  it('azure/iot/register then azure/iot/registrations/{operationId} reports the assignment', async () => {
    const f = await kryptonFixture();
    const key = await f.agree();
    const reg = (await (await f.call('azure/iot/register', key, { registrationId: 'dev-1' })).json()) as Record<string, string>;
    expect(reg.status).toBe('assigning');
    const status = (await (await f.call(`azure/iot/registrations/${encodeURIComponent(reg.operationId!)}`, key)).json()) as Json;
    expect(status).toMatchObject({ operationId: reg.operationId, status: 'assigned', registrationState: { deviceId: 'dev-1' } });
    expect((await f.call('azure/iot/registrations/unknown-op', key)).status).toBe(404);
  });

  it('accepts the Java body form: envelope fields and parameters merged at the top level', async () => {
    const f = await kryptonFixture();
    const key = await f.agree();
    const timestamp = String(Date.now());
    const body = JSON.stringify({ keyId: key.keyId, keyLength: 16, algorithm: 'SHA-256', timestamp, endpoint: 'coaps://example:5684' });
    const req = await signedRequest(body, key.ck, timestamp);
    const res = await f.app.request('/v1/provisioning/soracom/inventory/bootstrap', {
      method: 'POST',
      body: req.body,
      headers: req.headers,
    });
    expect(res.status).toBe(200);
    expect(((await res.json()) as Json).serverUri).toBe('coaps://example:5684');
  });
});

describe('Provisioning API: refusals', () => {
  it('refuses a signature made with another key', async () => {
    const f = await kryptonFixture();
    const key = await f.agree();
    const res = await f.call('soracom/air/userdata', { keyId: key.keyId, ck: new Uint8Array(16) });
    expect(res.status).toBe(403);
    expect(((await res.json()) as Json).code).toBe('PRV0403');
  });

  it('refuses a body changed after signing, even by one space', async () => {
    const f = await kryptonFixture();
    const key = await f.agree();
    const req = await signedRequest(JSON.stringify({ keyId: key.keyId, requestParameters: null }), key.ck);
    const res = await f.app.request('/v1/provisioning/soracom/air/userdata', {
      method: 'POST',
      body: `${req.body} `,
      headers: req.headers,
    });
    expect(res.status).toBe(403);
  });

  it('refuses a timestamp older than five minutes with a Date-independent code, and accepts one inside the window', async () => {
    const f = await kryptonFixture();
    const key = await f.agree();
    const old = await f.call('soracom/air/userdata', key, null, String(Date.now() - 6 * 60_000));
    expect(old.status).toBe(403);
    expect(((await old.json()) as Json).code).toBe('PRV0408');
    const future = await f.call('soracom/air/userdata', key, null, String(Date.now() + 6 * 60_000));
    expect(future.status).toBe(403);
    expect((await f.call('soracom/air/userdata', key, null, String(Date.now() - 4 * 60_000))).status).toBe(200);
  });

  it('judges the timestamp by the lab clock, so a skewed lab refuses a correct client', async () => {
    const f = await kryptonFixture();
    const key = await f.agree();
    f.clock.offsetMs = 10 * 60_000;
    expect((await f.call('soracom/air/userdata', key)).status).toBe(403);
    expect((await f.call('soracom/air/userdata', key, null, String(f.clock.now()))).status).toBe(200);
  });

  it('refuses an unknown keyId, a key whose RES was never verified, and a forgotten key', async () => {
    const f = await kryptonFixture();
    const unknown = await f.call('soracom/air/userdata', { keyId: 'no-such-key', ck: new Uint8Array(16) });
    expect(unknown.status).toBe(401);
    expect(((await unknown.json()) as Json).code).toBe('PRV0401');

    const start = (await (await f.post('/v1/keys', { imsi: '001010000000001' })).json()) as Record<string, string>;
    await f.post(`/v1/keys/${start.keyId}/verify`, { res: toBase64(new Uint8Array(8)) });
    expect((await f.call('soracom/air/userdata', { keyId: start.keyId!, ck: new Uint8Array(16) })).status).toBe(401);

    const key = await f.agree();
    f.keys.forget(key.sim.imsi);
    expect((await f.call('soracom/air/userdata', key)).status).toBe(401);
  });

  it.each([
    ['no signature', { 'x-soracom-signature': '' }, 400],
    ['a signature that is not base64', { 'x-soracom-signature': 'not base64!' }, 400],
    ['a timestamp in seconds with letters', { 'x-soracom-timestamp': '17e11' }, 400],
    ['another digest algorithm', { 'x-soracom-digest-algorithm': 'MD5' }, 400],
  ])('refuses %s', async (_name, override, status) => {
    const f = await kryptonFixture();
    const key = await f.agree();
    const req = await signedRequest(JSON.stringify({ keyId: key.keyId, requestParameters: null }), key.ck);
    const res = await f.app.request('/v1/provisioning/soracom/air/userdata', {
      method: 'POST',
      body: req.body,
      headers: { ...req.headers, ...override },
    });
    expect(res.status).toBe(status);
  });

  it('answers 404 for an operation that does not exist and 413 for an oversized body', async () => {
    const f = await kryptonFixture();
    const key = await f.agree();
    expect((await f.call('aws/unknown', key)).status).toBe(404);
    const big = await signedRequest(JSON.stringify({ keyId: key.keyId, requestParameters: { pad: 'x'.repeat(70_000) } }), key.ck);
    expect(
      (await f.app.request('/v1/provisioning/soracom/air/userdata', { method: 'POST', body: big.body, headers: big.headers })).status,
    ).toBe(413);
  });
});

describe('Cellular endpoint', () => {
  it('serves unsigned calls for the SIM the line belongs to', async () => {
    const f = await kryptonFixture({ cellularImsi: '001010000000002' });
    const res = await f.cellular.request('/v1/provisioning/soracom/air/subscriber_metadata', {
      method: 'POST',
      body: '{}',
      headers: { 'Content-Type': 'application/json' },
    });
    expect(res.status).toBe(200);
    expect(((await res.json()) as Json).imsi).toBe('001010000000002');
    // Over the line the client holds no CK: the server hands over a fresh key itself (no nonce to derive from).
    const bootstrap = async () =>
      (await (
        await f.cellular.request('/v1/provisioning/soracom/inventory/bootstrap', {
          method: 'POST',
          body: JSON.stringify({ endpoint: 'coaps://x:5684' }),
        })
      ).json()) as Record<string, string>;
    const inv = await bootstrap();
    expect(Object.keys(inv).sort()).toEqual(['applicationKey', 'pskId', 'serverUri']);
    expect(inv).toMatchObject({ serverUri: 'coaps://x:5684', pskId: 'soracom-inventory-lab:001010000000002' });
    expect(fromBase64(inv.applicationKey!)).toHaveLength(16);
    expect((await bootstrap()).applicationKey).not.toBe(inv.applicationKey);
  });

  it('refuses callers that are not on SORACOM Air', async () => {
    const f = await kryptonFixture();
    const res = await f.cellular.request('/v1/provisioning/soracom/air/userdata', { method: 'POST', body: '' });
    expect(res.status).toBe(403);
    expect(((await res.json()) as Json).code).toBe('CEL0403');
  });
});
