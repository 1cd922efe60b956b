import { createHash, X509Certificate } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import {
  fromBase64,
  toBase64,
  toHex,
  cellularEndpoint,
  KryptonClient,
  KryptonError,
  OPERATION_NAMES,
  simEndpoint,
  type FetchLike,
  type OperationName,
} from '@krypton-web/krypton-core';
import { rig, startLab, type Lab } from './lab-fixture.test-support.ts';

let lab: Lab;
beforeAll(async () => {
  lab = await startLab();
});
afterAll(async () => {
  await lab.close();
});
afterEach(() => {
  lab.faults.update({ latencyMs: 0, errorRate: 0, errorServices: [] });
  lab.clock.offsetMs = 0;
  lab.cellularImsi = lab.profiles.sims[0]!.imsi;
});

const PARAMS: Partial<Record<OperationName, Record<string, unknown>>> = {
  bootstrapInventoryDevice: { endpoint: 'coaps://jp.inventory.soracom.io:5684' },
  registerAzureIotDevice: { registrationId: 'device-1' },
};

/** Every HTTP exchange of a client: what it sent and what the lab answered, as text. */
interface Seen {
  url: string;
  request: string;
  status: number;
  answer: string;
}

/** A fetch that records every exchange (the answer is read from a clone: the client reads its own). */
function recordingFetch(): { fetch: FetchLike; seen: Seen[] } {
  const seen: Seen[] = [];
  return {
    seen,
    fetch: async (input, init) => {
      const response = await fetch(input, init);
      seen.push({
        url: input,
        request: typeof init.body === 'string' ? init.body : '',
        status: response.status,
        answer: await response.clone().text(),
      });
      return response;
    },
  };
}

/** The last provisioning call of `path` seen. */
function lastCall(seen: Seen[], path: string): Seen {
  const call = seen.filter((s) => s.url.endsWith(`/v1/provisioning/${path}`)).at(-1);
  expect(call, `a call to ${path}`).toBeDefined();
  return call!;
}

/**
 * The inventory application key, computed here with node:crypto (protocol notes §6): the first 16
 * bytes of SHA-256(nonce bytes ‖ timestamp string ‖ CK), in base64.
 */
function expectedApplicationKey(nonceBase64: string, timestamp: string, ck: Uint8Array): string {
  return createHash('sha256')
    .update(Buffer.from(nonceBase64, 'base64'))
    .update(timestamp, 'utf8')
    .update(ck)
    .digest()
    .subarray(0, 16)
    .toString('base64');
}

/** The CK the lab agreed for the key a signed call named (the network's copy, not the client's). */
function labCkOf(lab: Lab, call: Seen): Uint8Array {
  const keyId = (JSON.parse(call.request) as { keyId: string }).keyId;
  const key = lab.keys.get(keyId);
  expect(key, 'the lab holds the key the client signed with').toBeDefined();
  return key!.ck;
}

/** What `call(op)` must return for the answer the lab sent: JSON as sent, text as sent, the inventory key derived. */
function expectedBody(op: OperationName, call: Seen, ck: Uint8Array): unknown {
  if (op === 'getUserData') return call.answer;
  const sent = JSON.parse(call.answer) as Record<string, string>;
  if (op !== 'bootstrapInventoryDevice') return sent;
  return { applicationKey: expectedApplicationKey(sent.nonce!, sent.timestamp!, ck), pskId: sent.pskId, serverUri: sent.serverUri };
}

async function paramsFor(op: OperationName, client: KryptonClient): Promise<Record<string, unknown>> {
  if (op === 'getAzureIotDeviceRegistrationStatus') {
    const reg = await client.registerAzureIotDevice({ registrationId: 'device-2' });
    return { operationId: reg.operationId };
  }
  return PARAMS[op] ?? {};
}

describe('first run and cached run of every operation, through real HTTP to the lab', () => {
  it.each(OPERATION_NAMES)('%s', async (op) => {
    const recorder = recordingFetch();
    const r = await rig(lab, 'demo', { fetch: recorder.fetch });
    const params = await paramsFor(op, r.client);
    await r.client.forgetKey();
    r.reset();
    const first = await r.client.call(op, params);
    expect(first.key?.fromCache).toBe(false);
    expect(r.counts().http).toEqual(['key-agreement:200', 'verify:200', 'provisioning:200']);
    // The answer the caller gets is the one the lab sent (the inventory key derived from it).
    const sent = recorder.seen.at(-1)!;
    expect(sent.url).toContain('/v1/provisioning/');
    expect(first.body).toEqual(expectedBody(op, sent, labCkOf(lab, sent)));

    r.reset();
    const cached = await r.client.call(op, params);
    expect(cached.key?.fromCache).toBe(true);
    expect(cached.key?.keyId).toBe(first.key?.keyId);
    expect(r.counts().http).toEqual(['provisioning:200']);
    // A cached run reads the IMSI again (the cache is per IMSI) and nothing else from the card.
    expect(r.counts().apdus).toBeLessThanOrEqual(2);
  });

  it('answers each operation in the shape its callers expect', async () => {
    const recorder = recordingFetch();
    const { client } = await rig(lab, 'demo', { fetch: recorder.fetch });
    const token = await client.generateAmazonCognitoOpenIdToken();
    expect(token.identityId).toMatch(/^ap-northeast-1:[0-9a-f-]{36}$/);
    // The token names that identity, and the credentials are for the same one (one SIM, one identity).
    const claims = JSON.parse(Buffer.from(token.token.split('.')[1]!, 'base64url').toString()) as { sub?: string };
    expect(claims.sub).toBe(token.identityId);
    const creds = await client.generateAmazonCognitoSessionCredentials();
    expect(creds.identityId).toBe(token.identityId);
    expect(creds.credentials.expiration).toBeGreaterThan(Date.now());
    expect(lab.credentials.lookup(creds.credentials.accessKeyId)?.secretAccessKey).toBe(creds.credentials.secretKey);
    expect(await client.getSubscriberMetadata()).toMatchObject({ imsi: '001010000000001' });
    expect(JSON.parse(await client.getUserData())).toMatchObject({ s3: { bucket: lab.bucket } });
    const iot = await client.bootstrapAwsIotThing();
    expect(new X509Certificate(iot.certificate as string).subject).toContain('001010000000001');
    expect(iot.clientId).toBe('001010000000001');
    const inv = await client.bootstrapInventoryDevice({ endpoint: 'coaps://example:5684' });
    const sent = lastCall(recorder.seen, 'soracom/inventory/bootstrap');
    const answer = JSON.parse(sent.answer) as { nonce: string; timestamp: string };
    expect(inv).toEqual({
      applicationKey: expectedApplicationKey(answer.nonce, answer.timestamp, labCkOf(lab, sent)),
      pskId: 'soracom-inventory-lab:001010000000001',
      serverUri: 'coaps://example:5684',
    });
    expect(await client.bootstrapArc()).toEqual(JSON.parse(lastCall(recorder.seen, 'soracom/arc/bootstrap').answer));
  });

  it('refuses an unknown operation or a missing required parameter before touching the SIM', async () => {
    const r = await rig(lab, 'demo');
    await expect(r.client.call('nope')).rejects.toMatchObject({ code: 'BAD_INPUT' });
    await expect(r.client.call('bootstrapInventoryDevice', {})).rejects.toMatchObject({ code: 'BAD_INPUT' });
    expect(r.counts().apdus).toBe(0);
  });
});

describe('SIM states', () => {
  it('resolves a forced SQN desync with one resync round', async () => {
    const r = await rig(lab, 'demo-even');
    await r.client.authenticate();
    lab.hss.forceDesync(r.card.imsi);
    r.reset();
    const key = await r.client.authenticate({ fresh: true });
    expect(key.resynchronised).toBe(true);
    expect(r.counts().http).toEqual(['key-agreement:200', 'resync:200', 'verify:200']);
    expect((await r.client.call('getSubscriberMetadata')).key?.fromCache).toBe(true);
  });

  it('asks for the PIN, and authenticates once it is verified', async () => {
    const r = await rig(lab, 'demo-pin');
    const refused = await r.client.authenticate().catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(KryptonError);
    expect((refused as KryptonError).code).toBe('PIN_REQUIRED');
    expect(r.counts().http).toEqual([]);
    await r.usim.verifyPin('1234');
    await expect(r.client.authenticate()).resolves.toMatchObject({ imsi: '001010000000002', fromCache: false });
  });

  it('says a blocked PIN is blocked, and what to do', async () => {
    const r = await rig(lab, 'demo-blocked');
    const e = (await r.client.authenticate().catch((x: unknown) => x)) as KryptonError;
    expect(e.code).toBe('PIN_BLOCKED');
    expect(e.action).toMatch(/PUK/);
  });

  it('reports a MAC failure as not retryable, after one Keys API call', async () => {
    const r = await rig(lab, 'demo-foreign');
    const e = (await r.client.authenticate().catch((x: unknown) => x)) as KryptonError;
    expect(e.code).toBe('MAC_FAILURE');
    expect(r.counts().http).toEqual(['key-agreement:200']);
  });
});

describe('the server side going wrong', () => {
  it('copes with the lab clock 10 minutes ahead: the first run learns the offset from the Keys API', async () => {
    lab.clock.offsetMs = 10 * 60_000;
    const r = await rig(lab, 'demo');
    await r.client.call('getSubscriberMetadata');
    expect(r.counts().http).toEqual(['key-agreement:200', 'verify:200', 'provisioning:200']);
    expect(Math.abs(r.client.serverClockOffsetMs - 600_000)).toBeLessThan(2_000);
  });

  it('copes with the clock skewing after a key was cached: one refused call, one corrected retry', async () => {
    const r = await rig(lab, 'demo');
    await r.client.call('getSubscriberMetadata');
    lab.clock.offsetMs = -10 * 60_000;
    r.reset();
    await r.client.call('getSubscriberMetadata');
    expect(r.counts().http).toEqual(['provisioning:403', 'provisioning:200']);
  });

  it('re-authenticates once when the server has forgotten the cached key', async () => {
    const r = await rig(lab, 'demo');
    await r.client.call('getUserData');
    lab.keys.forget();
    r.reset();
    const again = await r.client.call('getUserData');
    expect(again.key?.fromCache).toBe(false);
    expect(r.counts().http).toEqual(['provisioning:401', 'key-agreement:200', 'verify:200', 'provisioning:200']);
  });

  it('does not loop when a fresh key is refused too', async () => {
    const r = await rig(lab, 'demo', {
      fetch: async (url, init) => {
        const res = await fetch(url, init);
        return url.includes('/v1/provisioning/')
          ? new Response('{"code":"X","message":"refused"}', { status: 403, headers: res.headers })
          : res;
      },
    });
    const e = (await r.client.call('getUserData').catch((x: unknown) => x)) as KryptonError;
    expect(e.code).toBe('SIGNATURE_REFUSED');
    expect(e.details).toMatchObject({ status: 403, serverCode: 'X', serverMessage: 'refused' });
    expect(r.counts().http).toEqual(['key-agreement:200', 'verify:200', 'provisioning:403']);
  });

  it.each([
    [500, 'keys', 'SERVER_ERROR', 'key-agreement'],
    [503, 'provisioning', 'SERVER_ERROR', 'provisioning'],
    [429, 'provisioning', 'SERVER_ERROR', 'provisioning'],
    [404, 'keys', 'KEYS_API_REFUSED', 'key-agreement'],
    [400, 'provisioning', 'OPERATION_REFUSED', 'provisioning'],
    [404, 'provisioning', 'OPERATION_REFUSED', 'provisioning'],
  ] as const)('HTTP %i from %s becomes %s', async (status, service, code, step) => {
    lab.faults.update({ errorRate: 1, errorStatus: status, errorServices: [service] });
    const r = await rig(lab, 'demo');
    const e = (await r.client.call('getUserData').catch((x: unknown) => x)) as KryptonError;
    expect(e).toBeInstanceOf(KryptonError);
    expect(e.code).toBe(code);
    expect(e.details.status).toBe(status);
    expect(e.details.serverCode).toBe('LAB0503');
    expect(r.events.some((ev) => ev.type === 'step-end' && ev.step === step && !ev.ok)).toBe(true);
  });

  it('refuses a SIM the Keys API does not know with its code and message', async () => {
    const stranger = { ...lab.profiles.sims[0]!, name: 'stranger', imsi: '001019999999999' };
    const r = await rig(lab, stranger);
    const e = (await r.client.authenticate().catch((x: unknown) => x)) as KryptonError;
    expect(e.code).toBe('KEYS_API_REFUSED');
    expect(e.details).toMatchObject({ status: 404, serverCode: 'KEY0404' });
  });

  it('reports an unreachable server and a slow one', async () => {
    const dead = await rig(lab, 'demo', { endpoint: simEndpoint('http://127.0.0.1:9') });
    await expect(dead.client.authenticate()).rejects.toMatchObject({ code: 'NETWORK_UNREACHABLE' });
    lab.faults.update({ latencyMs: 400 });
    const slow = await rig(lab, 'demo', { timeoutMs: 100 });
    await expect(slow.client.authenticate()).rejects.toMatchObject({ code: 'TIMEOUT' });
  });

  it('reports malformed answers without crashing', async () => {
    const bodies = [
      '<html>proxy error</html>',
      '{"keyId":"k","rand":"AAAA","autn":"AAAA"}',
      '{"keyId":"bad\\u0000id","rand":"AAAAAAAAAAAAAAAAAAAAAA==","autn":"AAAAAAAAAAAAAAAAAAAAAA=="}',
      '[]',
    ];
    for (const body of bodies) {
      const r = await rig(lab, 'demo', { fetch: async () => new Response(body, { status: 200 }) });
      await expect(r.client.authenticate(), body).rejects.toMatchObject({ code: 'MALFORMED_ANSWER' });
    }
  });

  it('refuses when verify is refused (a RES the server does not accept)', async () => {
    const r = await rig(lab, 'demo');
    const sim = {
      readImsi: () => r.usim.readImsi(),
      authenticate: async (rand: Uint8Array, autn: Uint8Array) => {
        const out = await r.usim.authenticate(rand, autn);
        if (out.kind === 'success') out.res[0]! ^= 0xff;
        return out;
      },
    };
    const client = new KryptonClient({ endpoint: simEndpoint(lab.urls.provisioning), sim });
    await expect(client.authenticate()).rejects.toMatchObject({ code: 'VERIFY_REFUSED', details: { status: 401 } });
  });
});

describe('the cellular endpoint', () => {
  it('calls without a SIM or a signature, for the SIM the line belongs to', async () => {
    const recorder = recordingFetch();
    const client = new KryptonClient({ endpoint: cellularEndpoint(lab.urls.cellular), fetch: recorder.fetch });
    expect(await client.getSubscriberMetadata()).toMatchObject({ imsi: lab.profiles.sims[0]!.imsi });
    const inv = await client.bootstrapInventoryDevice({ endpoint: 'coaps://example:5684' });
    // Over the line there is no CK: the server hands the key over, and the client passes it on unchanged.
    const sent = JSON.parse(lastCall(recorder.seen, 'soracom/inventory/bootstrap').answer) as { applicationKey: string };
    expect(fromBase64(sent.applicationKey)).toHaveLength(16);
    expect(inv).toEqual({
      applicationKey: sent.applicationKey,
      pskId: `soracom-inventory-lab:${lab.profiles.sims[0]!.imsi}`,
      serverUri: 'coaps://example:5684',
    });
    // Nothing was signed: no keyId and no signature left this machine.
    expect(recorder.seen.every((s) => !s.request.includes('keyId'))).toBe(true);
  });

  it('explains a refusal when the machine is not on SORACOM Air', async () => {
    lab.cellularImsi = null;
    const client = new KryptonClient({ endpoint: cellularEndpoint(lab.urls.cellular) });
    await expect(client.getUserData()).rejects.toMatchObject({ code: 'NOT_ON_SORACOM_AIR' });
  });
});

describe('from the SIM to AWS', () => {
  it('gives the AWS SDK credentials that list the demo bucket, authenticating the SIM once', async () => {
    const r = await rig(lab, 'demo');
    const provider = r.client.credentialProvider({ cognitoEndpoint: lab.urls.cognito });
    const s3 = new S3Client({ region: lab.region, endpoint: lab.urls.s3, forcePathStyle: true, credentials: provider });
    const list = await s3.send(new ListObjectsV2Command({ Bucket: lab.bucket }));
    expect(list.KeyCount).toBeGreaterThan(0);
    await s3.send(new ListObjectsV2Command({ Bucket: lab.bucket, Prefix: 'firmware/' }));
    expect(r.events.filter((e) => e.type === 'step-end' && e.step === 'verify')).toHaveLength(1);
    s3.destroy();
  });
});

describe('secrets stay out of the trace', () => {
  it('holds no CK, IK, RES, token or AWS secret anywhere in the events of a full run', async () => {
    const r = await rig(lab, 'demo');
    const provider = r.client.credentialProvider({ cognitoEndpoint: lab.urls.cognito });
    const creds = await provider();
    const serialized = JSON.stringify(r.events).toLowerCase();
    const key = lab.keys.get((await r.client.authenticate()).keyId)!;
    for (const secret of [key.ck, key.xres]) {
      expect(serialized).not.toContain(toHex(secret));
      expect(serialized).not.toContain(toBase64(secret).toLowerCase());
    }
    expect(serialized).not.toContain(creds.secretAccessKey.toLowerCase());
    expect(serialized).not.toContain(creds.sessionToken.toLowerCase());
    expect(r.events.some((e) => e.type === 'apdu')).toBe(true);
  });
});
