import { ListObjectsV2Command, S3Client, S3ServiceException } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { controlApi } from './control-api.ts';
import { startLab, type Lab } from './lab.ts';

const CREDS = { accessKeyId: 'ASIACONTROLPOLICY', secretAccessKey: 'policy-secret', sessionToken: 'policy-token' };

describe('control API: the S3 policy (`POST /s3-policy`)', () => {
  let lab: Lab;
  beforeAll(async () => {
    lab = await startLab();
    lab.credentials.add({ ...CREDS, expiration: new Date(Date.now() + 3_600_000) });
  });
  afterAll(() => lab?.close());

  it('refuses the listed IAM actions with AccessDenied until they are allowed again, and rejects what is not an action', async () => {
    const app = controlApi(lab);
    const post = (body: unknown) =>
      app.request('/s3-policy', { method: 'POST', body: JSON.stringify(body), headers: { 'content-type': 'application/json' } });
    const s3 = new S3Client({ endpoint: lab.s3.endpoint, region: lab.region, forcePathStyle: true, credentials: CREDS, maxAttempts: 1 });
    const list = () => s3.send(new ListObjectsV2Command({ Bucket: lab.bucket, MaxKeys: 1 }));

    expect(await (await post({ deny: ['s3:ListBucket'] })).json()).toEqual({ deny: ['s3:ListBucket'] });
    const refused = await list().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(refused).toBeInstanceOf(S3ServiceException);
    expect((refused as S3ServiceException).name).toBe('AccessDenied');
    expect((await post({ deny: [] })).status).toBe(200);
    await list();
    expect((await post({ deny: ['PutObject'] })).status).toBe(400);
    expect((await post({ deny: 's3:PutObject' })).status).toBe(400);
  });
});
