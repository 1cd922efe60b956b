import { createHash } from 'node:crypto';
import http from 'node:http';
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deterministicBytes, deterministicStream, InMemoryCredentialStore, LARGE_KEY, startLabS3, type LabS3 } from './index.ts';

const SIZE = 96 * 1024 * 1024;
const CREDS = { accessKeyId: 'ASIASTREAM', secretAccessKey: 'stream-secret', sessionToken: 'stream-token' };
let lab: LabS3;

beforeAll(async () => {
  const store = new InMemoryCredentialStore();
  store.add({ ...CREDS, expiration: new Date(Date.now() + 3_600_000) });
  lab = await startLabS3({ credentials: store, seed: { standard: false, largeObjectBytes: SIZE } });
});
afterAll(() => lab.close());

describe('streaming through the gate', () => {
  it('does not read the object ahead of a client that stops reading, then delivers it intact', async () => {
    const s3 = new S3Client({ endpoint: lab.endpoint, region: 'ap-northeast-1', forcePathStyle: true, credentials: CREDS });
    const url = await getSignedUrl(s3, new GetObjectCommand({ Bucket: lab.bucket, Key: LARGE_KEY }), { expiresIn: 300 });
    const before = lab.stats().upstreamBodyBytes;
    const res = await new Promise<http.IncomingMessage>((resolve, reject) => http.get(url, resolve).on('error', reject));
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-length']).toBe(String(SIZE));

    const hash = createHash('sha256');
    const first = await new Promise<Buffer>((resolve) => res.once('data', resolve));
    res.pause();
    hash.update(first);
    // Give a buffering gate every chance to pull the whole object from s3rver meanwhile.
    await new Promise((resolve) => setTimeout(resolve, 500));
    const pulledWhilePaused = lab.stats().upstreamBodyBytes - before;
    expect(pulledWhilePaused).toBeLessThan(SIZE / 3);

    let received = first.length;
    for await (const chunk of res) {
      hash.update(chunk as Buffer);
      received += (chunk as Buffer).length;
    }
    expect(received).toBe(SIZE);
    expect(hash.digest('hex')).toBe(lab.objects.find((o) => o.key === LARGE_KEY)?.sha256);
    expect(lab.stats().upstreamBodyBytes - before).toBe(SIZE);
  });

  it('stops reading from s3rver when the client goes away mid-download', async () => {
    const s3 = new S3Client({ endpoint: lab.endpoint, region: 'ap-northeast-1', forcePathStyle: true, credentials: CREDS });
    const url = await getSignedUrl(s3, new GetObjectCommand({ Bucket: lab.bucket, Key: LARGE_KEY }), { expiresIn: 300 });
    const before = lab.stats().upstreamBodyBytes;
    const req = http.get(url);
    const res = await new Promise<http.IncomingMessage>((resolve) => req.on('response', resolve));
    await new Promise((resolve) => res.once('data', resolve));
    req.destroy();
    await new Promise((resolve) => setTimeout(resolve, 300));
    const afterAbort = lab.stats().upstreamBodyBytes - before;
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(lab.stats().upstreamBodyBytes - before).toBe(afterAbort);
    expect(afterAbort).toBeLessThan(SIZE / 3);
  });
});

describe('deterministic content', () => {
  it('regenerates any byte range exactly as the stream produced it', async () => {
    const chunks: Buffer[] = [];
    for await (const chunk of deterministicStream('label', 3 * 1024 * 1024 + 5)) chunks.push(chunk as Buffer);
    const all = Buffer.concat(chunks);
    expect(all.length).toBe(3 * 1024 * 1024 + 5);
    for (const [start, end] of [
      [0, 1],
      [15, 17],
      [1048570, 1048600],
      [all.length - 7, all.length],
    ] as const) {
      expect(deterministicBytes('label', start, end)).toEqual(all.subarray(start, end));
    }
    expect(deterministicBytes('other', 0, 32)).not.toEqual(all.subarray(0, 32));
  });
});
