import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { GetObjectCommand, HeadObjectCommand, ListMultipartUploadsCommand, S3Client } from '@aws-sdk/client-s3';
import type { KryptonCredentialProvider } from '@krypton-web/krypton-core';
import { startLab, type Lab } from '@krypton-web/krypton-lab';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Failure, FolderProgress, UploadProgress } from './api.ts';
import { BatchS3 } from './batch-s3.ts';
import { S3Service } from './s3-service.ts';

const CREDS = {
  accessKeyId: 'ASIAUPLOADTEST',
  secretAccessKey: 'upload-secret',
  sessionToken: 'upload-token',
  expiration: new Date(Date.now() + 3_600_000),
};
const MiB = 1024 * 1024;
const md5 = (b: Uint8Array): Buffer => createHash('md5').update(b).digest();

let lab: Lab;
let service: S3Service;
let tmp: string;
let nextId = 1;

/** The credentials as the worker's provider hands them out (here: fixed ones the lab's store knows). */
function fixedProvider(): KryptonCredentialProvider {
  return Object.assign(async () => CREDS, { invalidate: () => undefined, current: () => undefined, destroy: () => undefined });
}

function direct(): S3Client {
  return new S3Client({ endpoint: lab.s3.endpoint, region: lab.region, forcePathStyle: true, credentials: CREDS, maxAttempts: 1 });
}

async function rejection(p: Promise<unknown>): Promise<Failure> {
  try {
    await p;
  } catch (e) {
    return e as Failure;
  }
  throw new Error('it succeeded');
}

function bytesOf(label: string, size: number): Uint8Array {
  const out = new Uint8Array(size);
  let block = createHash('sha256').update(label).digest();
  for (let i = 0; i < size; i += 32) {
    out.set(block.subarray(0, Math.min(32, size - i)), i);
    block = createHash('sha256').update(block).digest();
  }
  return out;
}

async function openUploads(): Promise<string[]> {
  const out = await direct().send(new ListMultipartUploadsCommand({ Bucket: lab.bucket }));
  return (out.Uploads ?? []).map((u) => u.Key ?? '');
}

beforeAll(async () => {
  lab = await startLab();
  lab.credentials.add(CREDS);
  service = new S3Service();
  service.use({ provider: fixedProvider(), endpoint: lab.s3.endpoint, origin: 'http://localhost:8787' });
  tmp = mkdtempSync(path.join(os.tmpdir(), 'krypton-upload-test-'));
}, 60_000);
afterAll(async () => {
  await lab?.close();
  rmSync(tmp, { recursive: true, force: true });
});
afterEach(() => {
  lab.s3.denyActions([]);
  lab.s3.setLatency(0);
});

describe('uploads through the worker’s S3 service, against the lab S3', () => {
  it('puts a small file in one PUT with Content-MD5: the object has its bytes and an MD5 ETag', async () => {
    const body = bytesOf('small', 300_000);
    const progress: UploadProgress[] = [];
    const out = await service.upload(
      { id: nextId++, bucket: lab.bucket, region: lab.region, key: 'uploads/small.bin' },
      new Blob([body as BlobPart]),
      (p) => progress.push(p),
    );
    expect(out).toMatchObject({
      key: 'uploads/small.bin',
      bytes: body.length,
      parts: 0,
      md5: md5(body).toString('hex'),
      etag: `"${md5(body).toString('hex')}"`,
    });
    expect(progress.at(-1)).toMatchObject({ sent: body.length, total: body.length });
    const got = await direct().send(new GetObjectCommand({ Bucket: lab.bucket, Key: 'uploads/small.bin' }));
    expect(md5(await got.Body!.transformToByteArray())).toEqual(md5(body));
  });

  it('puts a large file in parts (each with Content-MD5): the object has its bytes and S3’s multipart ETag; progress climbs to the size', async () => {
    const body = bytesOf('large', 20 * MiB + 5);
    const progress: number[] = [];
    const out = await service.upload(
      { id: nextId++, bucket: lab.bucket, region: lab.region, key: 'uploads/large.bin' },
      new Blob([body as BlobPart]),
      (p) => progress.push(p.sent),
    );
    const parts = [body.subarray(0, 8 * MiB), body.subarray(8 * MiB, 16 * MiB), body.subarray(16 * MiB)];
    const etag = `"${md5(Buffer.concat(parts.map((p) => md5(p)))).toString('hex')}-3"`;
    expect(out).toMatchObject({ bytes: body.length, parts: 3, etag });
    expect(progress).toEqual([...progress].sort((a, b) => a - b));
    expect(progress.at(-1)).toBe(body.length);
    const head = await direct().send(new HeadObjectCommand({ Bucket: lab.bucket, Key: 'uploads/large.bin' }));
    expect([head.ContentLength, head.ETag]).toEqual([body.length, etag]);
    const got = await direct().send(new GetObjectCommand({ Bucket: lab.bucket, Key: 'uploads/large.bin' }));
    expect(md5(await got.Body!.transformToByteArray())).toEqual(md5(body));
    expect(await openUploads()).toEqual([]);
  });

  it('a cancelled multipart upload is aborted: no upload left open, no object, UPLOAD_CANCELLED', async () => {
    lab.s3.setLatency(150);
    const id = nextId++;
    const body = bytesOf('cancelled', 24 * MiB);
    const done = service.upload(
      { id, bucket: lab.bucket, region: lab.region, key: 'uploads/cancelled.bin' },
      new Blob([body as BlobPart]),
      (p) => {
        if (p.sent > 0) service.cancelUpload(id);
      },
    );
    const f = await rejection(done);
    expect(f.code).toBe('UPLOAD_CANCELLED');
    expect(await openUploads()).toEqual([]);
    const missing = await rejection(direct().send(new HeadObjectCommand({ Bucket: lab.bucket, Key: 'uploads/cancelled.bin' })));
    expect((missing as unknown as { name: string }).name).toBe('NotFound');
  });

  it('AccessDenied names the IAM action refused: s3:PutObject for a PUT and for a multipart upload', async () => {
    lab.s3.denyActions(['s3:PutObject']);
    for (const size of [10, 17 * MiB]) {
      const f = await rejection(
        service.upload(
          { id: nextId++, bucket: lab.bucket, region: lab.region, key: `uploads/denied-${size}.bin` },
          new Blob([bytesOf('d', size) as BlobPart]),
          () => undefined,
        ),
      );
      expect([f.code, f.iam?.action, f.iam?.resource]).toEqual([
        'S3_ACCESS_DENIED',
        's3:PutObject',
        `arn:aws:s3:::${lab.bucket}/uploads/denied-${size}.bin`,
      ]);
    }
  });

  it('an upload S3 will not let us abort is reported as left behind, naming s3:AbortMultipartUpload and the upload id', async () => {
    lab.s3.denyActions(['s3:AbortMultipartUpload']);
    lab.s3.setLatency(100);
    const id = nextId++;
    const f = await rejection(
      service.upload(
        { id, bucket: lab.bucket, region: lab.region, key: 'uploads/stuck.bin' },
        new Blob([bytesOf('stuck', 24 * MiB) as BlobPart]),
        (p) => {
          if (p.sent > 0) service.cancelUpload(id);
        },
      ),
    );
    expect([f.code, f.iam?.action]).toEqual(['UPLOAD_ABORT_FAILED', 's3:AbortMultipartUpload']);
    expect(f.details.uploadId).toMatch(/^[0-9a-f]{32}$/);
    expect(f.message).toContain('The upload was cancelled');
    expect(await openUploads()).toEqual(['uploads/stuck.bin']);
    lab.s3.denyActions([]);
    const { AbortMultipartUploadCommand } = await import('@aws-sdk/client-s3');
    await direct().send(new AbortMultipartUploadCommand({ Bucket: lab.bucket, Key: 'uploads/stuck.bin', UploadId: f.details.uploadId }));
  });
});

describe('the Check SIMs report upload takes the same path', () => {
  it('puts the report with Content-MD5 (S3 refuses changed bytes), and a refusal names s3:PutObject', async () => {
    const body = new TextEncoder().encode('\uFEFFtime,lane,ICCID\r\n2026-12-03T14:05:09+09:00,Virtual PCD 00 00,8981100000000000016\r\n');
    const report = new BatchS3(lab.s3.endpoint, 'http://localhost:8787');
    const out = await report.put(CREDS, {
      bucket: lab.bucket,
      region: lab.region,
      key: 'check-reports/unit.csv',
      body,
      contentType: 'text/csv',
    });
    expect(out).toEqual({ md5: md5(body).toString('hex'), etag: `"${md5(body).toString('hex')}"` });
    const got = await direct().send(new GetObjectCommand({ Bucket: lab.bucket, Key: 'check-reports/unit.csv' }));
    expect([got.ContentType, md5(await got.Body!.transformToByteArray())]).toEqual(['text/csv', md5(body)]);
    lab.s3.denyActions(['s3:PutObject']);
    const f = await rejection(
      report.put(CREDS, { bucket: lab.bucket, region: lab.region, key: 'check-reports/denied.csv', body, contentType: 'text/csv' }),
    );
    expect([f.code, f.iam?.action]).toEqual(['S3_ACCESS_DENIED', 's3:PutObject']);
  });
});

describe('folder download as a zip (no directory picker), against the lab S3', () => {
  it('a cancel stops the folder: what was saved before it is listed, the outcome says cancelled', async () => {
    lab.s3.setLatency(300);
    const id = nextId++;
    const out = await service.downloadFolder({ id, bucket: lab.bucket, region: lab.region, prefix: '', concurrency: 1 }, undefined, (p) => {
      if (p.objectsDone >= 1) service.cancelFolder(id);
    });
    expect(out.cancelled).toBe(true);
    expect(out.saved.length).toBeGreaterThanOrEqual(1);
    expect(out.saved.length).toBeLessThan(lab.s3.objects.length);
    expect(out.failed).toEqual([]);
  });

  it('zips every object under the prefix, each checked by MD5; an independent unzip reads the same bytes', async () => {
    const progress: FolderProgress[] = [];
    const out = await service.downloadFolder(
      { id: nextId++, bucket: lab.bucket, region: lab.region, prefix: 'firmware/' },
      undefined,
      (p) => progress.push(p),
    );
    const seeded = lab.s3.objects.filter((o) => o.key.startsWith('firmware/')).sort((a, b) => (a.key < b.key ? -1 : 1));
    expect(out.to).toBe('zip');
    expect(out.failed).toEqual([]);
    expect(out.saved.map((s) => [s.key, s.path, s.bytes, s.check])).toEqual(
      seeded.map((o) => [o.key, o.key.slice('firmware/'.length), o.size, 'md5-match']),
    );
    expect(out.bytes).toBe(seeded.reduce((n, o) => n + o.size, 0));
    expect(progress.at(-1)).toMatchObject({
      objectsDone: seeded.length,
      objectsTotal: seeded.length,
      bytesDone: out.bytes,
      bytesTotal: out.bytes,
    });
    const file = path.join(tmp, 'firmware.zip');
    writeFileSync(file, Buffer.from(await out.blob!.arrayBuffer()));
    expect(execFileSync('unzip', ['-t', file], { encoding: 'utf8' })).toContain('No errors detected');
    const listing = execFileSync(
      'python3',
      [
        '-c',
        'import hashlib,json,sys,zipfile\nz=zipfile.ZipFile(sys.argv[1])\nprint(json.dumps({i.filename: hashlib.sha256(z.read(i)).hexdigest() for i in z.infolist()}))',
        file,
      ],
      { encoding: 'utf8' },
    );
    expect(JSON.parse(listing)).toEqual(Object.fromEntries(seeded.map((o) => [o.key.slice('firmware/'.length), o.sha256])));
  });

  it('lists what could not be saved with the reason: GetObject denied names s3:GetObject; a denied listing fails naming s3:ListBucket', async () => {
    lab.s3.denyActions(['s3:GetObject']);
    const out = await service.downloadFolder(
      { id: nextId++, bucket: lab.bucket, region: lab.region, prefix: 'logs/' },
      undefined,
      () => undefined,
    );
    expect(out.saved).toEqual([]);
    expect(out.failed.map((f) => [f.key, f.failure.code, f.failure.iam?.action])).toEqual(
      lab.s3.objects.filter((o) => o.key.startsWith('logs/')).map((o) => [o.key, 'S3_ACCESS_DENIED', 's3:GetObject']),
    );
    lab.s3.denyActions(['s3:ListBucket']);
    const f = await rejection(
      service.downloadFolder({ id: nextId++, bucket: lab.bucket, region: lab.region, prefix: 'logs/' }, undefined, () => undefined),
    );
    expect([f.code, f.iam?.action]).toEqual(['S3_ACCESS_DENIED', 's3:ListBucket']);
    lab.s3.denyActions([]);
    const empty = await rejection(
      service.downloadFolder({ id: nextId++, bucket: lab.bucket, region: lab.region, prefix: 'nothing-here/' }, undefined, () => undefined),
    );
    expect(empty.code).toBe('FOLDER_EMPTY');
  });
});
