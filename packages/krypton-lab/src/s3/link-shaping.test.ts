import { GetObjectCommand, HeadObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startLab, type Lab } from '../server/lab.ts';
import { LARGE_KEY, type LabS3 } from './index.ts';
import { startLargeObjectS3 } from './large-object-s3.test-support.ts';

const MiB = 1024 * 1024;
const SIZE = 6 * MiB;
const CREDS = { accessKeyId: 'ASIASHAPE', secretAccessKey: 'shape-secret', sessionToken: 'shape-token' };
let lab: LabS3;
let s3: S3Client;
let close: () => Promise<void>;

beforeAll(async () => {
  ({ lab, s3, close } = await startLargeObjectS3(SIZE, CREDS));
});
afterAll(() => close());
afterEach(() => {
  lab.link.update({ bytesPerSecond: 0, rttMs: 0 });
  lab.link.armDrop(0, 0);
});

const url = (extra: { IfMatch?: string } = {}) =>
  getSignedUrl(s3, new GetObjectCommand({ Bucket: lab.bucket, Key: LARGE_KEY, ...extra }), { expiresIn: 300 });

/** Reads a body to its end (or its cut), with the bytes and seconds it took. */
async function drain(res: Response): Promise<{ bytes: number; seconds: number; error?: unknown }> {
  const t0 = performance.now();
  let bytes = 0;
  const reader = res.body!.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      bytes += value.byteLength;
    }
  } catch (error) {
    return { bytes, seconds: (performance.now() - t0) / 1000, error };
  }
  return { bytes, seconds: (performance.now() - t0) / 1000 };
}

describe('the S3 link shaping', () => {
  it('caps each connection at the set rate, and two connections carry twice as much', async () => {
    // A low cap, so that a loaded machine still reaches it: 3 MiB at 2 MiB/s take 1.5 s.
    const cap = 2 * MiB;
    const range = { headers: { range: `bytes=0-${3 * MiB - 1}` } };
    lab.link.update({ bytesPerSecond: cap });
    const one = await drain(await fetch(await url(), range));
    expect(one.bytes).toBe(3 * MiB);
    const rate = one.bytes / one.seconds;
    expect(rate).toBeLessThan(cap * 1.1);
    expect(rate).toBeGreaterThan(cap * 0.75);

    const t0 = performance.now();
    const both = await Promise.all([fetch(await url(), range).then(drain), fetch(await url(), range).then(drain)]);
    const seconds = (performance.now() - t0) / 1000;
    expect(both.map((b) => b.bytes)).toEqual([3 * MiB, 3 * MiB]);
    for (const b of both) expect(b.bytes / b.seconds).toBeLessThan(cap * 1.1);
    // Per connection, not shared: two at once take about as long as one.
    expect((6 * MiB) / seconds).toBeGreaterThan(2 * cap * 0.75);
  });

  it('adds the round trip to every request, and reads it back in the state', async () => {
    const head = async () => {
      const t0 = performance.now();
      await s3.send(new HeadObjectCommand({ Bucket: lab.bucket, Key: LARGE_KEY }));
      return performance.now() - t0;
    };
    await head();
    const plain = Math.min(await head(), await head(), await head());
    lab.link.update({ rttMs: 400 });
    const shaped = Math.min(await head(), await head(), await head());
    // The best of three on each side, and a round trip far above the noise of a shared 2-core machine.
    expect(shaped).toBeGreaterThanOrEqual(400);
    expect(shaped - plain).toBeGreaterThan(300);
    expect(shaped - plain).toBeLessThan(800);
    expect(lab.link.snapshot()).toMatchObject({ rttMs: 400, bytesPerSecond: 0 });
  });

  it('cuts a download after the set number of bytes, once, then serves the next one whole', async () => {
    lab.link.armDrop(1 * MiB, 1, 1);
    const skipped = await drain(await fetch(await url()));
    expect(skipped).toMatchObject({ bytes: SIZE });
    const cut = await drain(await fetch(await url()));
    expect(cut.error).toBeDefined();
    expect(cut.bytes).toBe(1 * MiB);
    expect(lab.link.snapshot()).toMatchObject({ dropped: 1, dropsArmed: 0 });
    const whole = await drain(await fetch(await url()));
    expect(whole).toMatchObject({ bytes: SIZE });
    expect(whole.error).toBeUndefined();
  });

  it('answers If-Match as S3 does: the same ETag reads, another one is refused with 412', async () => {
    const etag = lab.objects.find((o) => o.key === LARGE_KEY)!.etag;
    const same = await fetch(await url({ IfMatch: etag }), { headers: { range: 'bytes=0-99', 'if-match': etag } });
    expect(same.status).toBe(206);
    expect((await same.arrayBuffer()).byteLength).toBe(100);
    const wrong = '"0123456789abcdef0123456789abcdef"';
    const other = await fetch(await url({ IfMatch: wrong }), { headers: { range: 'bytes=0-99', 'if-match': wrong } });
    expect(other.status).toBe(412);
    expect(await other.text()).toContain('<Code>PreconditionFailed</Code>');
  });

  it('refuses out-of-range settings, naming the field', () => {
    expect(() => lab.link.update({ rttMs: -1 })).toThrow(/rttMs must be/);
    expect(() => lab.link.update({ bytesPerSecond: Number.NaN })).toThrow(/bytesPerSecond must be/);
  });
});

describe('the lab control API for the S3 link', () => {
  let full: Lab;
  beforeAll(async () => {
    full = await startLab({ s3: { seed: { standard: false }, link: { rttMs: 5 } } });
  });
  afterAll(() => full.close());

  it('starts with the given shaping, changes it, arms a drop, and shows all of it in the state', async () => {
    const post = (path: string, body: unknown) =>
      fetch(`${full.urls.control}${path}`, { method: 'POST', body: JSON.stringify(body), headers: { 'content-type': 'application/json' } });
    const state = async () => ((await (await fetch(`${full.urls.control}/state`)).json()) as { s3Link: unknown }).s3Link;
    expect(await state()).toMatchObject({ bytesPerSecond: 0, rttMs: 5, dropsArmed: 0 });
    expect((await post('/s3-link', { bytesPerSecond: 20 * MiB, rttMs: 50 })).status).toBe(200);
    expect((await post('/s3-drop', { afterBytes: 4096, count: 2, skip: 1 })).status).toBe(200);
    expect(await state()).toEqual({ bytesPerSecond: 20 * MiB, rttMs: 50, dropsArmed: 2, dropAfterBytes: 4096, dropSkip: 1, dropped: 0 });
    const bad = await post('/s3-link', { rttMs: 'slow' });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { message: string }).message).toMatch(/rttMs/);
    expect((await post('/s3-link', { mbps: 1 })).status).toBe(400);
    expect((await post('/s3-drop', {})).status).toBe(400);
  });
});
