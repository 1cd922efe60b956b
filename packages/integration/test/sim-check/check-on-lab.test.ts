import { HeadObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { KryptonClient, MemoryKeyCache, simEndpoint, Usim } from '@krypton-web/krypton-core';
import { findSim, startLab, VirtualUsim, type Lab } from '@krypton-web/krypton-lab';
import { kryptonForCheck, runCheck, simForCheck, type CheckS3, type Checklist } from '@krypton-web/sim-check';
import { MemoryCardTransport } from '@krypton-web/sim-transport';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// The check engine on the real pieces: a virtual USIM per SIM, the lab's Keys, Provisioning,
// Cognito and S3 emulators over real HTTP, and the AWS SDK's own S3 client for the probe.
let lab: Lab;
beforeAll(async () => {
  lab = await startLab();
  await lab.ready;
});
afterAll(async () => lab?.close());

const s3: CheckS3 = {
  list: async (credentials, where) => {
    const client = new S3Client({ endpoint: lab.urls.s3, region: where.region, forcePathStyle: true, credentials, maxAttempts: 1 });
    try {
      const out = await client.send(new ListObjectsV2Command({ Bucket: where.bucket, Prefix: where.prefix, MaxKeys: 1 }));
      return { keyCount: out.KeyCount ?? 0, ...(out.Contents?.[0]?.Key ? { firstKey: out.Contents[0].Key } : {}) };
    } finally {
      client.destroy();
    }
  },
  head: async (credentials, where) => {
    const client = new S3Client({ endpoint: lab.urls.s3, region: where.region, forcePathStyle: true, credentials, maxAttempts: 1 });
    try {
      return { size: (await client.send(new HeadObjectCommand({ Bucket: where.bucket, Key: where.key }))).ContentLength ?? 0 };
    } finally {
      client.destroy();
    }
  },
};

async function check(simName: string, checklist: Checklist, pin?: string) {
  const usim = new Usim(new MemoryCardTransport(await VirtualUsim.create(findSim(lab.profiles, simName))));
  const client = new KryptonClient({ endpoint: simEndpoint(lab.urls.provisioning), sim: usim, keyCache: new MemoryKeyCache() });
  return (await runCheck({
    batchId: 'lab',
    lane: 'memory',
    checklist,
    sim: simForCheck(usim),
    krypton: kryptonForCheck(client, { cognitoEndpoint: lab.urls.cognito }),
    s3,
    pin: async () => pin,
  }))!;
}

describe('one SIM’s check against the lab', () => {
  it('passes the demo SIM through key agreement, Cognito, an S3 listing of the userdata bucket and a tag comparison', async () => {
    const r = await check('demo', {
      credentials: 'openid',
      s3: { mode: 'list' },
      metadata: { tag: { name: 'name', expected: 'demo-sim' } },
    });
    expect(r.problem).toBeUndefined();
    expect(r.verdict).toBe('PASS');
    expect([r.iccid, r.imsi, r.groupId]).toEqual(['8981100000000000016', '001010000000001', 'lab-group']);
    expect(r.steps.map((s) => `${s.step}:${s.status}`)).toEqual(['sim:pass', 'key:pass', 'credentials:pass', 's3:pass', 'metadata:pass']);
    expect(r.steps.find((s) => s.step === 's3')?.note).toMatch(new RegExp(`^s3://${lab.bucket}/: `));
  });

  it('gets credentials directly from Krypton and HEADs a seeded object', async () => {
    const listed = await check('demo', { credentials: 'direct', s3: { mode: 'list', prefix: 'firmware/' } });
    const key = listed.steps.find((s) => s.step === 's3')!.note!.split(': ')[1]!;
    const r = await check('demo', { credentials: 'direct', s3: { mode: 'head', bucket: lab.bucket, key } });
    expect(r.verdict).toBe('PASS');
    expect(r.steps.at(-1)?.note).toMatch(/ bytes$/);
  });

  it('fails the foreign SIM at key agreement with the card’s MAC failure', async () => {
    const r = await check('demo-foreign', { credentials: 'openid' });
    expect([r.verdict, r.failedStep, r.problem?.code]).toEqual(['FAIL', 'key', 'MAC_FAILURE']);
  });

  it('verifies the PIN of demo-pin when given, fails it when not, and fails demo-blocked with PUK advice', async () => {
    expect((await check('demo-pin', { credentials: 'openid' }, '1234')).verdict).toBe('PASS');
    const missing = await check('demo-pin', { credentials: 'openid' });
    expect([missing.verdict, missing.failedStep, missing.problem?.code]).toEqual(['FAIL', 'pin', 'PIN_REQUIRED']);
    const blocked = await check('demo-blocked', { credentials: 'openid' }, '1234');
    expect([blocked.verdict, blocked.failedStep, blocked.problem?.code]).toEqual(['FAIL', 'sim', 'PIN_BLOCKED']);
  });

  it('fails a tag that differs from the expected value', async () => {
    const r = await check('demo', { credentials: 'off', metadata: { tag: { name: 'name', expected: 'other' } } });
    expect([r.verdict, r.failedStep, r.problem?.code]).toEqual(['FAIL', 'metadata', 'TAG_MISMATCH']);
  });
});
