import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { deterministicBytes, InMemoryCredentialStore, startLabS3, type LabS3 } from './index.ts';
import { s3Failure } from './s3-failure.test-support.ts';

const REGION = 'ap-northeast-1';
const GOOD = { accessKeyId: 'ASIAMULTIPART', secretAccessKey: 'good-secret', sessionToken: 'good-token' };
const MiB = 1024 * 1024;

let lab: LabS3;
const dataDir = mkdtempSync(path.join(os.tmpdir(), 'krypton-multipart-'));
const store = new InMemoryCredentialStore();
const s3 = (): S3Client =>
  new S3Client({ endpoint: lab.endpoint, region: REGION, forcePathStyle: true, credentials: GOOD, maxAttempts: 1 });
const md5 = (b: Uint8Array): Buffer => createHash('md5').update(b).digest();

beforeAll(async () => {
  store.add({ ...GOOD, expiration: new Date(Date.now() + 3_600_000) });
  lab = await startLabS3({ credentials: store, seed: { generatedKeys: 0 }, dataDir });
});
afterAll(async () => {
  await lab.close();
  rmSync(dataDir, { recursive: true, force: true });
});
afterEach(() => lab.denyActions([]));

describe('multipart uploads through the gate', () => {
  it('uploads in parts with Content-MD5 each, completes with S3’s multipart ETag, and shows it on HEAD, GET and the listing', async () => {
    const body = deterministicBytes('multipart', 0, 11 * MiB);
    const parts = [body.subarray(0, 5 * MiB), body.subarray(5 * MiB, 10 * MiB), body.subarray(10 * MiB)];
    const key = 'uploads/big.bin';
    const { UploadId } = await s3().send(new CreateMultipartUploadCommand({ Bucket: lab.bucket, Key: key }));
    expect(UploadId).toMatch(/^[0-9a-f]{32}$/);
    const listed = await s3().send(new ListMultipartUploadsCommand({ Bucket: lab.bucket, Prefix: 'uploads/' }));
    expect(listed.Uploads?.map((u) => [u.Key, u.UploadId])).toEqual([[key, UploadId]]);
    const etags: string[] = [];
    for (const [i, part] of parts.entries()) {
      const out = await s3().send(
        new UploadPartCommand({
          Bucket: lab.bucket,
          Key: key,
          UploadId,
          PartNumber: i + 1,
          Body: part,
          ContentMD5: md5(part).toString('base64'),
        }),
      );
      expect(out.ETag).toBe(`"${md5(part).toString('hex')}"`);
      etags.push(out.ETag!);
    }
    const done = await s3().send(
      new CompleteMultipartUploadCommand({
        Bucket: lab.bucket,
        Key: key,
        UploadId,
        MultipartUpload: { Parts: etags.map((ETag, i) => ({ ETag, PartNumber: i + 1 })) },
      }),
    );
    const expected = `"${md5(Buffer.concat(parts.map((p) => md5(p)))).toString('hex')}-3"`;
    expect(done.ETag).toBe(expected);
    expect((await s3().send(new HeadObjectCommand({ Bucket: lab.bucket, Key: key }))).ETag).toBe(expected);
    const got = await s3().send(new GetObjectCommand({ Bucket: lab.bucket, Key: key }));
    expect(got.ETag).toBe(expected);
    expect(md5(await got.Body!.transformToByteArray())).toEqual(md5(body));
    const listing = await s3().send(new ListObjectsV2Command({ Bucket: lab.bucket, Prefix: 'uploads/' }));
    expect(listing.Contents?.map((c) => [c.Key, c.ETag, c.Size])).toEqual([[key, expected, body.length]]);
    expect((await s3().send(new ListMultipartUploadsCommand({ Bucket: lab.bucket }))).Uploads ?? []).toEqual([]);

    // A single PUT over it brings back the plain MD5 ETag.
    const small = deterministicBytes('small', 0, 1000);
    await s3().send(new PutObjectCommand({ Bucket: lab.bucket, Key: key, Body: small, ContentMD5: md5(small).toString('base64') }));
    expect((await s3().send(new HeadObjectCommand({ Bucket: lab.bucket, Key: key }))).ETag).toBe(`"${md5(small).toString('hex')}"`);
  });

  it('refuses a part whose Content-MD5 does not match (BadDigest), a wrong part ETag (InvalidPart) and a small middle part (EntityTooSmall)', async () => {
    const key = 'uploads/checked.bin';
    const { UploadId } = await s3().send(new CreateMultipartUploadCommand({ Bucket: lab.bucket, Key: key }));
    const a = deterministicBytes('a', 0, MiB);
    const bad = await s3Failure(
      s3().send(
        new UploadPartCommand({
          Bucket: lab.bucket,
          Key: key,
          UploadId,
          PartNumber: 1,
          Body: a,
          ContentMD5: md5(Buffer.from('x')).toString('base64'),
        }),
      ),
    );
    expect([bad.name, bad.$metadata.httpStatusCode]).toEqual(['BadDigest', 400]);
    const p1 = await s3().send(new UploadPartCommand({ Bucket: lab.bucket, Key: key, UploadId, PartNumber: 1, Body: a }));
    const p2 = await s3().send(new UploadPartCommand({ Bucket: lab.bucket, Key: key, UploadId, PartNumber: 2, Body: a }));
    const complete = (parts: { ETag: string; PartNumber: number }[]) =>
      s3().send(new CompleteMultipartUploadCommand({ Bucket: lab.bucket, Key: key, UploadId, MultipartUpload: { Parts: parts } }));
    expect((await s3Failure(complete([{ ETag: '"0123"', PartNumber: 1 }]))).name).toBe('InvalidPart');
    expect(
      (
        await s3Failure(
          complete([
            { ETag: p1.ETag!, PartNumber: 1 },
            { ETag: p2.ETag!, PartNumber: 2 },
          ]),
        )
      ).name,
    ).toBe('EntityTooSmall');
    await s3().send(new AbortMultipartUploadCommand({ Bucket: lab.bucket, Key: key, UploadId }));
  });

  it('aborts: the upload leaves the listing, its parts leave the disk, and later calls get NoSuchUpload', async () => {
    const key = 'uploads/aborted.bin';
    const { UploadId } = await s3().send(new CreateMultipartUploadCommand({ Bucket: lab.bucket, Key: key }));
    await s3().send(
      new UploadPartCommand({ Bucket: lab.bucket, Key: key, UploadId, PartNumber: 1, Body: deterministicBytes('p', 0, 1000) }),
    );
    await s3().send(new AbortMultipartUploadCommand({ Bucket: lab.bucket, Key: key, UploadId }));
    expect((await s3().send(new ListMultipartUploadsCommand({ Bucket: lab.bucket }))).Uploads ?? []).toEqual([]);
    const late = await s3Failure(s3().send(new UploadPartCommand({ Bucket: lab.bucket, Key: key, UploadId, PartNumber: 2, Body: 'x' })));
    expect([late.name, late.$metadata.httpStatusCode]).toEqual(['NoSuchUpload', 404]);
    const again = await s3Failure(s3().send(new AbortMultipartUploadCommand({ Bucket: lab.bucket, Key: key, UploadId })));
    expect(again.name).toBe('NoSuchUpload');
    expect(partsOnDisk()).not.toContain(UploadId);
  });

  it('refuses the IAM actions a role lacks with AccessDenied, after authenticating', async () => {
    lab.denyActions(['s3:PutObject']);
    const put = await s3Failure(s3().send(new PutObjectCommand({ Bucket: lab.bucket, Key: 'uploads/x.txt', Body: 'x' })));
    expect([put.name, put.$metadata.httpStatusCode]).toEqual(['AccessDenied', 403]);
    expect((await s3Failure(s3().send(new CreateMultipartUploadCommand({ Bucket: lab.bucket, Key: 'uploads/y.bin' })))).name).toBe(
      'AccessDenied',
    );
    // Reading is still allowed.
    await s3().send(new ListObjectsV2Command({ Bucket: lab.bucket, MaxKeys: 1 }));

    lab.denyActions(['s3:AbortMultipartUpload']);
    const { UploadId } = await s3().send(new CreateMultipartUploadCommand({ Bucket: lab.bucket, Key: 'uploads/z.bin' }));
    expect((await s3Failure(s3().send(new AbortMultipartUploadCommand({ Bucket: lab.bucket, Key: 'uploads/z.bin', UploadId })))).name).toBe(
      'AccessDenied',
    );
    lab.denyActions(['s3:ListBucket']);
    expect((await s3Failure(s3().send(new ListObjectsV2Command({ Bucket: lab.bucket })))).name).toBe('AccessDenied');
    lab.denyActions([]);
    await s3().send(new AbortMultipartUploadCommand({ Bucket: lab.bucket, Key: 'uploads/z.bin', UploadId }));
  });

  it('lets the app’s origin send the multipart calls from a browser (CORS preflight for POST and DELETE)', async () => {
    for (const method of ['POST', 'DELETE', 'PUT']) {
      const res = await fetch(`${lab.endpoint}/${lab.bucket}/uploads/r.bin?uploads`, {
        method: 'OPTIONS',
        headers: {
          origin: 'http://localhost:8787',
          'access-control-request-method': method,
          'access-control-request-headers':
            'content-md5,x-amz-date,x-amz-content-sha256,x-amz-security-token,authorization,amz-sdk-invocation-id',
        },
      });
      // s3rver answers a wildcard origin rule with `*`, as S3 does.
      expect([method, res.status, res.headers.get('access-control-allow-origin')]).toEqual([method, 200, '*']);
      expect(res.headers.get('access-control-allow-methods')).toContain(method);
    }
  });
});

/** Upload ids whose parts s3rver still holds on disk. */
function partsOnDisk(): string[] {
  const dirs = readdirSync(dataDir, { recursive: true }).map(String);
  return dirs.filter((d) => d.includes('._S3rver_uploads')).map((d) => d.split('/').pop() ?? '');
}
