import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { S3Client, GetObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { CognitoIdentityClient, GetCredentialsForIdentityCommand } from '@aws-sdk/client-cognito-identity';
import { fromBase64, toBase64 } from '@krypton-web/krypton-core';
import { VirtualUsim } from '../src/card/index.ts';
import { findSim } from '../src/profiles/index.ts';
import { startLab, type Lab } from '../src/server/lab.ts';
import { signedRequest } from './support/signed-request.test-support.ts';
import { authenticate, readImsi, type Exchange } from './support/usim-driver.test-support.ts';

// The whole loop over real HTTP on loopback: a virtual USIM answers APDUs, the lab's Keys API,
// Provisioning API, Cognito and S3 answer the requests a client makes after it.
let lab: Lab;
beforeAll(async () => {
  lab = await startLab();
});
afterAll(async () => {
  await lab.close();
});

const postJson = (url: string, body: unknown) =>
  fetch(url, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });

async function keyAgreement(card: VirtualUsim, log: Exchange[] = []) {
  const imsi = await readImsi(card, log);
  const calls: string[] = [];
  let start = await postJson(lab.urls.keys, { imsi });
  calls.push(`start ${start.status}`);
  let challenge = (await start.json()) as { keyId: string; rand: string; autn: string };
  let outcome = await authenticate(card, fromBase64(challenge.rand), fromBase64(challenge.autn), log);
  if (outcome.kind === 'sync') {
    start = await postJson(lab.urls.keys, { imsi, rand: challenge.rand, auts: toBase64(outcome.auts) });
    calls.push(`resync ${start.status}`);
    challenge = (await start.json()) as typeof challenge;
    outcome = await authenticate(card, fromBase64(challenge.rand), fromBase64(challenge.autn), log);
  }
  if (outcome.kind !== 'ok') throw new Error(`AUTHENTICATE: ${JSON.stringify(outcome)}`);
  const verify = await postJson(`${lab.urls.keys}/${challenge.keyId}/verify`, { res: toBase64(outcome.res) });
  calls.push(`verify ${verify.status}`);
  return { imsi, keyId: challenge.keyId, ck: outcome.ck, calls };
}

async function provisioning(path: string, key: { keyId: string; ck: Uint8Array }, requestParameters: unknown = null) {
  const req = await signedRequest(JSON.stringify({ keyId: key.keyId, requestParameters }), key.ck);
  return fetch(`${lab.urls.provisioning}/v1/provisioning/${path}`, { method: 'POST', headers: req.headers, body: req.body });
}

describe('key agreement between the virtual USIM and the lab over HTTP', () => {
  it('agrees on CK with start + verify, then signs a provisioning call the lab accepts', async () => {
    const card = await VirtualUsim.create(findSim(lab.profiles, 'demo'));
    const log: Exchange[] = [];
    const key = await keyAgreement(card, log);
    expect(key.imsi).toBe('001010000000001');
    expect(key.calls).toEqual(['start 200', 'verify 200']);
    expect(lab.keys.get(key.keyId)?.ck).toEqual(key.ck);
    const res = await provisioning('soracom/air/subscriber_metadata', key);
    expect(res.status).toBe(200);
    expect(((await res.json()) as { imsi: string }).imsi).toBe(key.imsi);
    // SELECT USIM (61xx + GET RESPONSE), SELECT EF_IMSI, READ BINARY, AUTHENTICATE (6135 + GET RESPONSE).
    const statusWords = log.map((e) => e.response.slice(-4));
    expect(statusWords[0]).toMatch(/^61/);
    expect(statusWords.slice(1)).toEqual(['9000', '9000', '9000', '6135', '9000']);
  });

  it('recovers from a forced SQN desync with one resync round', async () => {
    const card = await VirtualUsim.create(findSim(lab.profiles, 'demo-even'));
    await keyAgreement(card);
    const desync = await postJson(`${lab.urls.control}/desync`, { imsi: card.imsi });
    expect(desync.status).toBe(200);
    const key = await keyAgreement(card);
    expect(key.calls).toEqual(['start 200', 'resync 200', 'verify 200']);
    expect((await provisioning('soracom/air/userdata', key)).status).toBe(200);
  });

  it('resynchronises a card that is ahead of a freshly started HSS (lab restarted, card kept)', async () => {
    const card = await VirtualUsim.create(findSim(lab.profiles, 'demo'));
    const runOn = async (l: Lab) => {
      const imsi = await readImsi(card);
      const start = (await (await postJson(l.urls.keys, { imsi })).json()) as { keyId: string; rand: string; autn: string };
      return { imsi, start, outcome: await authenticate(card, fromBase64(start.rand), fromBase64(start.autn)) };
    };
    const first = await startLab();
    try {
      expect((await runOn(first)).outcome.kind).toBe('ok');
    } finally {
      await first.close();
    }
    const restarted = await startLab();
    try {
      // The restarted HSS issues SEQ 2 under IND 1 again, which the card has already accepted.
      const { imsi, start, outcome } = await runOn(restarted);
      expect(outcome.kind).toBe('sync');
      if (outcome.kind !== 'sync') return;
      const again = (await (await postJson(restarted.urls.keys, { imsi, rand: start.rand, auts: toBase64(outcome.auts) })).json()) as {
        rand: string;
        autn: string;
      };
      expect((await authenticate(card, fromBase64(again.rand), fromBase64(again.autn))).kind).toBe('ok');
    } finally {
      await restarted.close();
    }
  });

  it('gets a MAC failure (98 62) from a SIM the network holds another key for', async () => {
    const card = await VirtualUsim.create(findSim(lab.profiles, 'demo-foreign'));
    const imsi = await readImsi(card);
    const start = (await (await postJson(lab.urls.keys, { imsi })).json()) as { rand: string; autn: string };
    expect(await authenticate(card, fromBase64(start.rand), fromBase64(start.autn))).toEqual({ kind: 'sw', sw: 0x9862 });
  });

  it('refuses to verify a RES from the wrong SIM', async () => {
    const demo = await VirtualUsim.create(findSim(lab.profiles, 'demo'));
    const start = (await (await postJson(lab.urls.keys, { imsi: demo.imsi })).json()) as { keyId: string; rand: string; autn: string };
    const verify = await postJson(`${lab.urls.keys}/${start.keyId}/verify`, { res: toBase64(new Uint8Array(8).fill(1)) });
    expect(verify.status).toBe(401);
  });
});

describe('from the SIM to S3 with the lab credentials', () => {
  it('turns an OpenID token into credentials that list and read the demo bucket, and nothing else', async () => {
    const card = await VirtualUsim.create(findSim(lab.profiles, 'demo'));
    const key = await keyAgreement(card);
    const token = (await (await provisioning('aws/cognito/open_id_tokens', key)).json()) as {
      identityId: string;
      token: string;
      region: string;
    };
    const cognito = new CognitoIdentityClient({ region: token.region, endpoint: lab.urls.cognito });
    const out = await cognito.send(
      new GetCredentialsForIdentityCommand({ IdentityId: token.identityId, Logins: { 'cognito-identity.amazonaws.com': token.token } }),
    );
    const s3 = new S3Client({
      region: lab.region,
      endpoint: lab.urls.s3,
      forcePathStyle: true,
      credentials: {
        accessKeyId: out.Credentials!.AccessKeyId!,
        secretAccessKey: out.Credentials!.SecretKey!,
        sessionToken: out.Credentials!.SessionToken!,
      },
    });
    const list = await s3.send(new ListObjectsV2Command({ Bucket: lab.bucket, Delimiter: '/' }));
    expect(list.CommonPrefixes?.map((p) => p.Prefix)).toContain('firmware/');
    const seeded = lab.s3.objects.find((o) => o.key === 'firmware/v1/firmware.bin')!;
    const got = await s3.send(new GetObjectCommand({ Bucket: lab.bucket, Key: seeded.key, Range: 'bytes=0-15' }));
    expect(got.ContentRange).toBe(`bytes 0-15/${seeded.size}`);

    const forged = new S3Client({
      region: lab.region,
      endpoint: lab.urls.s3,
      forcePathStyle: true,
      credentials: {
        accessKeyId: out.Credentials!.AccessKeyId!,
        secretAccessKey: 'x'.repeat(40),
        sessionToken: out.Credentials!.SessionToken!,
      },
    });
    await expect(forged.send(new ListObjectsV2Command({ Bucket: lab.bucket }))).rejects.toMatchObject({ name: 'SignatureDoesNotMatch' });
    cognito.destroy();
    s3.destroy();
    forged.destroy();
  });
});
