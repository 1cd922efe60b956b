import { createServer, type Server, type Socket } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { cellularEndpoint, DEFAULT_CELLULAR_TIMEOUT_MS, KryptonClient, KryptonError, simEndpoint } from '@krypton-web/krypton-core';
import type { ServerPersonalitySettings } from '@krypton-web/krypton-lab';
import { rig, startLab, type Lab } from './lab-fixture.test-support.ts';

let lab: Lab;
beforeAll(async () => {
  lab = await startLab();
});
afterAll(async () => {
  await lab.close();
});
afterEach(async () => {
  await control('personality', { reset: true });
  lab.faults.update({ errorRate: 0, errorServices: [] });
});

/** A POST to the lab's control API, as a tool in another process would send it. */
async function control(what: string, body: unknown): Promise<unknown> {
  const res = await fetch(`${lab.urls.control}/${what}`, { method: 'POST', body: JSON.stringify(body) });
  expect(res.status, `${what} ${JSON.stringify(body)}`).toBe(200);
  return res.json();
}

describe('the control API sets server personalities', () => {
  it('shows them in /state, refuses unknown settings and values, and resets to the usual answers', async () => {
    expect(await control('personality', { expiration: 'iso', unknownKeyStatus: 404 })).toMatchObject({
      expiration: 'iso',
      unknownKeyStatus: 404,
    });
    const state = (await (await fetch(`${lab.urls.control}/state`)).json()) as { personality: ServerPersonalitySettings };
    expect(state.personality).toMatchObject({ expiration: 'iso', unknownKeyStatus: 404, keyIds: 'uuid', startStatus: 200 });
    for (const bad of [{ expiration: 'minutes' }, { unknownKeyStatus: 500 }, { colour: 'red' }, { reset: 'yes' }]) {
      const res = await fetch(`${lab.urls.control}/personality`, { method: 'POST', body: JSON.stringify(bad) });
      expect(res.status, JSON.stringify(bad)).toBe(400);
    }
    expect(await control('personality', { reset: true })).toEqual({
      keyIds: 'uuid',
      startStatus: 200,
      verifyStatus: 200,
      provisioningStatus: 200,
      openIdRegion: true,
      expiration: 'ms',
      unknownKeyStatus: 401,
    });
  });
});

describe('the client against every server personality, through real HTTP', () => {
  it('keyIds with ":", "+", "/", "=", "%" and a space travel in the verify path and sign calls', async () => {
    await control('personality', { keyIds: 'special' });
    const r = await rig(lab, 'demo');
    const key = await r.client.authenticate();
    expect(key.keyId).toMatch(/^lab:[0-9a-f-]{36}\+a\/b=c%2F%d e$/);
    expect(lab.keys.get(key.keyId)?.verified).toBe(true);
    expect(await r.client.getSubscriberMetadata()).toMatchObject({ imsi: key.imsi });
  });

  it.each([
    ['startStatus', 201],
    ['startStatus', 401],
    ['verifyStatus', 201],
    ['verifyStatus', 204],
    ['provisioningStatus', 201],
    ['provisioningStatus', 202],
  ] as const)('%s %i is a success (401 on start, as SORACOM answers it)', async (setting, status) => {
    await control('personality', { [setting]: status });
    const r = await rig(lab, 'demo');
    const metadata = await r.client.getSubscriberMetadata();
    expect(metadata).toMatchObject({ imsi: lab.profiles.sims[0]!.imsi });
    const step = { startStatus: 'key-agreement', verifyStatus: 'verify', provisioningStatus: 'provisioning' }[setting];
    expect(r.counts().http).toContain(`${step}:${status}`);
    // Userdata (a text answer) and the credential provider work under the same personality.
    expect(JSON.parse(await r.client.getUserData())).toMatchObject({ s3: { bucket: 'krypton-demo' } });
  });

  it('open_id_tokens without region: the region comes from the identity id, and Cognito takes the token', async () => {
    await control('personality', { openIdRegion: false });
    const r = await rig(lab, 'demo');
    const token = await r.client.generateAmazonCognitoOpenIdToken();
    expect(token.region).toBe(lab.region);
    const provider = r.client.credentialProvider({ cognitoEndpoint: lab.urls.cognito });
    try {
      const credentials = await provider();
      expect(credentials.identityId).toBe(token.identityId);
      expect(credentials.accessKeyId).toMatch(/^ASIA/);
    } finally {
      provider.destroy();
    }
  });

  it.each(['ms', 's', 'iso'] as const)('a credentials expiration in %s becomes epoch milliseconds', async (form) => {
    await control('personality', { expiration: form });
    const r = await rig(lab, 'demo');
    const before = Date.now();
    const answer = await r.client.generateAmazonCognitoSessionCredentials();
    const lifetime = answer.credentials.expiration - before;
    expect(lifetime).toBeGreaterThan(3_590_000);
    expect(lifetime).toBeLessThanOrEqual(3_601_000);
    const provider = r.client.credentialProvider({ mode: 'direct' });
    try {
      const credentials = await provider();
      expect(credentials.expiration.getTime() - before).toBeGreaterThan(3_590_000);
    } finally {
      provider.destroy();
    }
  });

  it.each([400, 401, 403, 404] as const)(
    'a cached key refused with %i: the key is forgotten, the SIM authenticates afresh once, the call succeeds',
    async (status) => {
      await control('personality', { unknownKeyStatus: status });
      const r = await rig(lab, 'demo');
      const first = await r.client.call('getUserData');
      await control('forget-keys', {});
      r.reset();
      const again = await r.client.call('getUserData');
      expect(again.key?.fromCache).toBe(false);
      expect(again.key?.keyId).not.toBe(first.key?.keyId);
      expect(r.counts().http).toEqual([`provisioning:${status}`, 'key-agreement:200', 'verify:200', 'provisioning:200']);
      expect((await r.cache.get(again.key!.imsi))?.keyId).toBe(again.key!.keyId);
    },
  );

  it.each([400, 401, 403, 404] as const)(
    'a fresh key refused with %i is reported at once, with the server code and message',
    async (status) => {
      await control('personality', { unknownKeyStatus: status });
      const r = await rig(lab, 'demo');
      await r.client.call('getUserData');
      await control('forget-keys', {});
      // The refused call after a fresh authentication: the server forgets again before the retry lands.
      let calls = 0;
      const client = new KryptonClient({
        endpoint: simEndpoint(lab.urls.provisioning),
        sim: r.usim,
        keyCache: r.cache,
        fetch: async (url, init) => {
          if (url.includes('/v1/provisioning/')) calls++;
          const res = await fetch(url, init);
          if (url.includes('/verify')) lab.keys.forget();
          return res;
        },
      });
      const e = (await client.call('getUserData').catch((x: unknown) => x)) as KryptonError;
      expect(e).toBeInstanceOf(KryptonError);
      expect(calls).toBe(2);
      expect(e.details).toMatchObject({ status, serverCode: 'PRV0401' });
      expect(e.message).toContain('PRV0401');
      expect(e.message).toContain('authenticate the SIM again');
    },
  );
});

describe("the server's own code and message are in the error text whatever the status", () => {
  it.each([
    [400, 'provisioning'],
    [404, 'provisioning'],
    [409, 'provisioning'],
    [429, 'provisioning'],
    [500, 'provisioning'],
    [503, 'keys'],
  ] as const)('HTTP %i from %s', async (status, service) => {
    lab.faults.update({ errorRate: 1, errorStatus: status, errorServices: [service] });
    const r = await rig(lab, 'demo');
    const e = (await r.client.call('getUserData').catch((x: unknown) => x)) as KryptonError;
    expect(e).toBeInstanceOf(KryptonError);
    expect(e.message).toContain(`HTTP ${status}`);
    expect(e.message).toContain(`LAB0503: Injected fault: the lab answered ${status} on purpose`);
  });
});

describe('operations beyond the Go client', () => {
  it('runs bootstrapAzureIotDevice, operation names in any case, and a provisioning path given by hand', async () => {
    const r = await rig(lab, 'demo');
    const azure = await r.client.bootstrapAzureIotDevice({ registrationId: 'dev-7' });
    expect(azure).toMatchObject({ deviceId: 'dev-7', assignedHub: expect.stringContaining('azure-devices.net') });
    expect(String(azure.certificate)).toMatch(/^-----BEGIN CERTIFICATE-----/);
    expect((await r.client.call('getuserdata')).operation).toBe('getUserData');
    const thing = await r.client.bootstrapAwsIotThing({ thingName: 'sample-thing' });
    const again = await r.client.callPath(`/v1/provisioning/aws/iot/certificates/${String(thing.certificateId)}`);
    expect(JSON.parse(again.body)).toEqual({ certificateId: thing.certificateId, certificate: thing.certificate });
    const ca = await r.client.callPath('aws/iot/ca_certificate');
    expect(JSON.parse(ca.body)).toMatchObject({ certificate: expect.stringMatching(/^-----BEGIN CERTIFICATE-----/) });
  });
});

describe('the cellular endpoint off the SORACOM Air network', () => {
  const held: Server[] = [];
  const sockets: Socket[] = [];
  afterAll(async () => {
    for (const s of sockets) s.destroy();
    await Promise.all(held.map((s) => new Promise((resolve) => s.close(resolve))));
  });

  async function listen(server: Server): Promise<number> {
    held.push(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return (server.address() as { port: number }).port;
  }

  async function offAir(url: string, timeoutMs = 300): Promise<KryptonError> {
    const client = new KryptonClient({ endpoint: cellularEndpoint(url), cellularTimeoutMs: timeoutMs });
    const started = performance.now();
    const e = (await client.getUserData().catch((x: unknown) => x)) as KryptonError;
    expect(performance.now() - started).toBeLessThan(timeoutMs + 2_000);
    expect(e).toBeInstanceOf(KryptonError);
    expect(e.code).toBe('NOT_ON_SORACOM_AIR');
    expect(e.message).toMatch(/^This computer is not online through SORACOM Air/);
    expect(e.action).toMatch(/cellular line \(SORACOM Air/);
    return e;
  }

  it('connection refused', async () => {
    const closed = createServer();
    const port = await listen(closed);
    await new Promise((resolve) => closed.close(resolve));
    held.splice(held.indexOf(closed), 1);
    expect((await offAir(`http://127.0.0.1:${port}`)).message).toContain('could not be reached');
  });

  it('a server that accepts the connection and never answers, within the configured wait', async () => {
    const silent = createServer((socket) => sockets.push(socket));
    const port = await listen(silent);
    expect((await offAir(`http://127.0.0.1:${port}`, 300)).message).toContain('did not answer within 0.3 s');
  });

  it('a name that does not resolve', async () => {
    await offAir('http://krypton.soracom.invalid:8036', 3_000);
  });

  it('waits 5 s by default', () => {
    expect(DEFAULT_CELLULAR_TIMEOUT_MS).toBe(5_000);
  });
});
