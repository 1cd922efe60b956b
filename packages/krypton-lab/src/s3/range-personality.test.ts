import { createHash } from 'node:crypto';
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startLab, type Lab } from '../server/lab.ts';
import { LARGE_KEY, type LabS3 } from './index.ts';
import { startLargeObjectS3 } from './large-object-s3.test-support.ts';

const SIZE = 1024 * 1024 + 17;
const CREDS = { accessKeyId: 'ASIARANGE', secretAccessKey: 'range-secret', sessionToken: 'range-token' };
let lab: LabS3;
let s3: S3Client;
let close: () => Promise<void>;

beforeAll(async () => {
  ({ lab, s3, close } = await startLargeObjectS3(SIZE, CREDS));
});
afterAll(() => close());
afterEach(() => {
  lab.ignoreRange({ enabled: false });
});

const seeded = () => lab.objects.find((o) => o.key === LARGE_KEY)!;

/** A ranged GET of the large object through a presigned URL, as the web app's later ranges are read. */
async function ranged(start: number, end: number): Promise<{ status: number; contentRange: string | null; bytes: number; sha256: string }> {
  const url = await getSignedUrl(s3, new GetObjectCommand({ Bucket: lab.bucket, Key: LARGE_KEY }), { expiresIn: 300 });
  const res = await fetch(url, { headers: { range: `bytes=${start}-${end}` } });
  const body = new Uint8Array(await res.arrayBuffer());
  return {
    status: res.status,
    contentRange: res.headers.get('content-range'),
    bytes: body.byteLength,
    sha256: createHash('sha256').update(body).digest('hex'),
  };
}

describe('the S3 personality that ignores Range', () => {
  it('answers a ranged GET with 206 and the range while off', async () => {
    expect(lab.ignoreRangeState()).toEqual({ enabled: false, skip: 0, ignored: 0 });
    const part = await ranged(100, 1099);
    expect(part).toMatchObject({ status: 206, contentRange: `bytes 100-1099/${SIZE}`, bytes: 1000 });
    expect(lab.ignoreRangeState().ignored).toBe(0);
  });

  it('answers a ranged GET with 200 and the whole object, no Content-Range, while on', async () => {
    lab.ignoreRange({ enabled: true });
    const whole = await ranged(100, 1099);
    expect(whole).toEqual({ status: 200, contentRange: null, bytes: SIZE, sha256: seeded().sha256 });
    expect(lab.ignoreRangeState()).toEqual({ enabled: true, skip: 0, ignored: 1 });
    // Turned off, the next range is a range again.
    expect(lab.ignoreRange({ enabled: false })).toMatchObject({ enabled: false });
    expect(await ranged(0, 9)).toMatchObject({ status: 206, bytes: 10 });
  });

  it('lets the first `skip` ranged GETs through untouched; GETs without a Range do not count', async () => {
    const before = lab.ignoreRange({ enabled: true, skip: 2 }).ignored;
    const plain = await fetch(await getSignedUrl(s3, new GetObjectCommand({ Bucket: lab.bucket, Key: LARGE_KEY }), { expiresIn: 300 }));
    expect(plain.status).toBe(200);
    await plain.arrayBuffer();
    expect(lab.ignoreRangeState()).toMatchObject({ skip: 2, ignored: before });
    expect(await ranged(0, 9)).toMatchObject({ status: 206, bytes: 10 });
    expect(await ranged(10, 19)).toMatchObject({ status: 206, bytes: 10 });
    expect(await ranged(20, 29)).toMatchObject({ status: 200, contentRange: null, bytes: SIZE });
    expect(await ranged(30, 39)).toMatchObject({ status: 200, bytes: SIZE });
    expect(lab.ignoreRangeState()).toEqual({ enabled: true, skip: 0, ignored: before + 2 });
  });

  it('refuses bad settings, naming the field, and keeps the ones it had', () => {
    lab.ignoreRange({ enabled: true, skip: 3 });
    expect(() => lab.ignoreRange({ enabled: true, skip: -1 })).toThrow(/skip must be/);
    expect(() => lab.ignoreRange({ enabled: 'yes' as unknown as boolean })).toThrow(/enabled must be/);
    expect(lab.ignoreRangeState()).toMatchObject({ enabled: true, skip: 3 });
  });
});

describe('the lab control API for the Range personality', () => {
  let full: Lab;
  beforeAll(async () => {
    full = await startLab({ s3: { seed: { standard: false }, ignoreRange: { enabled: true, skip: 4 } } });
  });
  afterAll(() => full.close());

  it('starts with the given setting, changes it, and shows it in the state', async () => {
    const post = (body: unknown) =>
      fetch(`${full.urls.control}/s3-ignore-range`, {
        method: 'POST',
        body: JSON.stringify(body),
        headers: { 'content-type': 'application/json' },
      });
    const state = async () => ((await (await fetch(`${full.urls.control}/state`)).json()) as { s3IgnoreRange: unknown }).s3IgnoreRange;
    expect(await state()).toEqual({ enabled: true, skip: 4, ignored: 0 });
    const changed = await post({ enabled: true, skip: 1 });
    expect(changed.status).toBe(200);
    expect(await changed.json()).toEqual({ enabled: true, skip: 1, ignored: 0 });
    expect(full.s3.ignoreRangeState()).toEqual({ enabled: true, skip: 1, ignored: 0 });
    expect((await post({ enabled: false })).status).toBe(200);
    expect(await state()).toEqual({ enabled: false, skip: 0, ignored: 0 });
    const bad = await post({ enabled: true, skip: 'two' });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { message: string }).message).toMatch(/skip/);
    expect((await post({})).status).toBe(400);
    expect((await post({ enabled: true, count: 1 })).status).toBe(400);
    expect(await state()).toEqual({ enabled: false, skip: 0, ignored: 0 });
  });
});
