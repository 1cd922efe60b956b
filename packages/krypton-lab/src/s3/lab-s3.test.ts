import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import {
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  paginateListObjectsV2,
  PutObjectCommand,
  S3Client,
  S3ServiceException,
} from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { signHeader } from './client-signer.test-support.ts';
import { BINARY_KEY, deterministicBytes, InMemoryCredentialStore, NO_CORS_BUCKET, startLabS3, type LabS3 } from './index.ts';
import { s3Failure } from './s3-failure.test-support.ts';

const REGION = 'ap-northeast-1';
const ORIGIN = 'http://localhost:5173';
const GOOD = { accessKeyId: 'ASIAGOODKEY', secretAccessKey: 'good-secret', sessionToken: 'good-token' };
const EXPIRED = { accessKeyId: 'ASIAEXPIRED', secretAccessKey: 'old-secret', sessionToken: 'old-token' };
const GENERATED = 1500;

let lab: LabS3;
const store = new InMemoryCredentialStore();

function client(credentials: { accessKeyId: string; secretAccessKey: string; sessionToken?: string }, maxAttempts = 1): S3Client {
  return new S3Client({ endpoint: lab.endpoint, region: REGION, forcePathStyle: true, credentials, maxAttempts });
}

beforeAll(async () => {
  store.add({ ...GOOD, expiration: new Date(Date.now() + 3_600_000) });
  store.add({ ...EXPIRED, expiration: new Date(Date.now() - 1000) });
  lab = await startLabS3({ credentials: store, seed: { generatedKeys: GENERATED } });
});
afterAll(() => lab.close());
afterEach(() => {
  lab.setClockOffset(0);
  lab.setLatency(0);
});

describe('lab S3 start-up', () => {
  it('listens on 127.0.0.1 only and reports the seeded objects with their digests', () => {
    expect(lab.endpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(lab.backendUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(lab.bucket).toBe('krypton-demo');
    const binary = lab.objects.find((o) => o.key === BINARY_KEY);
    expect(binary).toMatchObject({ size: 3 * 1024 * 1024, contentLabel: BINARY_KEY });
    expect(binary?.etag).toBe(`"${binary?.md5}"`);
    expect(lab.objects.filter((o) => o.key.startsWith('generated/'))).toHaveLength(GENERATED);
  });
});

describe('ListObjectsV2 through the gate', () => {
  it('lists top-level keys and folders with a delimiter', async () => {
    const out = await client(GOOD).send(new ListObjectsV2Command({ Bucket: lab.bucket, Delimiter: '/' }));
    expect(out.Contents?.map((c) => c.Key)).toEqual(['README.txt', 'hello.json']);
    expect(out.CommonPrefixes?.map((p) => p.Prefix)).toEqual(['docs/', 'firmware/', 'generated/', 'logs/']);
    expect(out.KeyCount).toBe(6);
    expect(out.IsTruncated).toBe(false);
  });

  it('lists nested prefixes in S3 key order', async () => {
    const s3 = client(GOOD);
    const firmware = await s3.send(new ListObjectsV2Command({ Bucket: lab.bucket, Prefix: 'firmware/', Delimiter: '/' }));
    expect(firmware.CommonPrefixes?.map((p) => p.Prefix)).toEqual(['firmware/v1.1/', 'firmware/v1/', 'firmware/v2/']);
    const logs = await s3.send(new ListObjectsV2Command({ Bucket: lab.bucket, Prefix: 'logs/2026/11/' }));
    const seeded = lab.objects.filter((o) => o.key.startsWith('logs/2026/11/'));
    expect(logs.Contents?.map((c) => [c.Key, c.Size, c.ETag])).toEqual(seeded.map((o) => [o.key, o.size, o.etag]));
    expect(seeded.map((o) => o.key)).toEqual(['logs/2026/11/01.log', 'logs/2026/11/02.log']);
  });

  it('pages through more than 1000 keys with continuation tokens (s3rver alone fails here)', async () => {
    const pages: number[] = [];
    const keys: string[] = [];
    for await (const page of paginateListObjectsV2({ client: client(GOOD) }, { Bucket: lab.bucket, Prefix: 'generated/' })) {
      pages.push(page.KeyCount ?? -1);
      keys.push(...(page.Contents ?? []).map((c) => c.Key ?? ''));
    }
    expect(pages).toEqual([1000, GENERATED - 1000]);
    expect(keys).toEqual(Array.from({ length: GENERATED }, (_, i) => `generated/item-${String(i).padStart(5, '0')}.txt`));
  });

  it('pages with a small max-keys across keys and folders without losing or repeating entries', async () => {
    const entries: string[] = [];
    let token: string | undefined;
    let pages = 0;
    do {
      const out = await client(GOOD).send(
        new ListObjectsV2Command({ Bucket: lab.bucket, Delimiter: '/', MaxKeys: 4, ContinuationToken: token }),
      );
      expect((out.Contents?.length ?? 0) + (out.CommonPrefixes?.length ?? 0)).toBeLessThanOrEqual(4);
      entries.push(...(out.Contents ?? []).map((c) => c.Key ?? ''), ...(out.CommonPrefixes ?? []).map((p) => p.Prefix ?? ''));
      token = out.NextContinuationToken;
      pages++;
    } while (token !== undefined);
    expect(pages).toBe(2);
    expect(entries.sort()).toEqual(['README.txt', 'docs/', 'firmware/', 'generated/', 'hello.json', 'logs/']);
  });

  it('refuses a forged continuation token as S3 does', async () => {
    const err = await s3Failure(client(GOOD).send(new ListObjectsV2Command({ Bucket: lab.bucket, ContinuationToken: 'Zm9yZ2Vk' })));
    expect([err.name, err.$metadata.httpStatusCode]).toEqual(['InvalidArgument', 400]);
  });
});

describe('GetObject and HeadObject through the gate', () => {
  it('returns the whole binary object with the seeded hash and ETag', async () => {
    const seeded = lab.objects.find((o) => o.key === BINARY_KEY);
    const out = await client(GOOD).send(new GetObjectCommand({ Bucket: lab.bucket, Key: BINARY_KEY }));
    const bytes = await out.Body?.transformToByteArray();
    expect(
      createHash('sha256')
        .update(bytes ?? new Uint8Array())
        .digest('hex'),
    ).toBe(seeded?.sha256);
    expect(out.ETag).toBe(seeded?.etag);
    expect(out.ContentLength).toBe(seeded?.size);
    expect(out.ContentType).toBe('application/octet-stream');
  });

  it('returns 206 with the right bytes and Content-Range for a Range request', async () => {
    const out = await client(GOOD).send(new GetObjectCommand({ Bucket: lab.bucket, Key: BINARY_KEY, Range: 'bytes=1000000-1000099' }));
    expect(out.$metadata.httpStatusCode).toBe(206);
    expect(out.ContentRange).toBe(`bytes 1000000-1000099/${3 * 1024 * 1024}`);
    expect(Buffer.from((await out.Body?.transformToByteArray()) ?? [])).toEqual(deterministicBytes(BINARY_KEY, 1000000, 1000100));
  });

  it('serves open-ended and suffix ranges as S3 does', async () => {
    const size = 3 * 1024 * 1024;
    const open = await client(GOOD).send(new GetObjectCommand({ Bucket: lab.bucket, Key: BINARY_KEY, Range: `bytes=${size - 10}-` }));
    expect(open.ContentRange).toBe(`bytes ${size - 10}-${size - 1}/${size}`);
    const suffix = await client(GOOD).send(new GetObjectCommand({ Bucket: lab.bucket, Key: BINARY_KEY, Range: 'bytes=-16' }));
    expect(suffix.ContentRange).toBe(`bytes ${size - 16}-${size - 1}/${size}`);
    expect(Buffer.from((await suffix.Body?.transformToByteArray()) ?? [])).toEqual(deterministicBytes(BINARY_KEY, size - 16, size));
  });

  it('reads a key that needs percent-encoding (space, parentheses, non-ASCII)', async () => {
    const out = await client(GOOD).send(new GetObjectCommand({ Bucket: lab.bucket, Key: 'docs/naïve file (1).txt' }));
    expect(await out.Body?.transformToString()).toBe('A key that needs percent-encoding.\n');
  });

  it('answers HeadObject with size, type and ETag', async () => {
    const seeded = lab.objects.find((o) => o.key === 'hello.json');
    const out = await client(GOOD).send(new HeadObjectCommand({ Bucket: lab.bucket, Key: 'hello.json' }));
    expect([out.ContentLength, out.ContentType, out.ETag]).toEqual([seeded?.size, 'application/json', seeded?.etag]);
    expect(out.LastModified).toBeInstanceOf(Date);
  });

  it("passes s3rver's own errors through (NoSuchKey)", async () => {
    const err = await s3Failure(client(GOOD).send(new GetObjectCommand({ Bucket: lab.bucket, Key: 'nope.txt' })));
    expect([err.name, err.$metadata.httpStatusCode]).toEqual(['NoSuchKey', 404]);
  });
});

describe("authentication failures, with S3's codes and statuses", () => {
  const get = (s3: S3Client) => s3.send(new GetObjectCommand({ Bucket: lab.bucket, Key: 'hello.json' }));

  it.each([
    ['an unknown access key', { accessKeyId: 'ASIAUNKNOWN', secretAccessKey: 'x', sessionToken: 'y' }, 'InvalidAccessKeyId', 403],
    ['a forged secret', { ...GOOD, secretAccessKey: 'forged' }, 'SignatureDoesNotMatch', 403],
    ['a wrong session token', { ...GOOD, sessionToken: 'someone-elses-token' }, 'InvalidToken', 400],
    ['a missing session token', { accessKeyId: GOOD.accessKeyId, secretAccessKey: GOOD.secretAccessKey }, 'InvalidAccessKeyId', 403],
    ['expired credentials', EXPIRED, 'ExpiredToken', 400],
  ])('refuses %s', async (_label, credentials, code, status) => {
    const err = await s3Failure(get(client(credentials)));
    expect([err.name, (err as S3ServiceException & { Code?: string }).Code, err.$metadata.httpStatusCode]).toEqual([code, code, status]);
  });

  it('refuses a request from a clock skewed by more than 15 minutes', async () => {
    lab.setClockOffset(20 * 60_000);
    const err = await s3Failure(get(client(GOOD)));
    expect([err.name, err.$metadata.httpStatusCode]).toEqual(['RequestTimeTooSkewed', 403]);
    expect(err.message).toBe('The difference between the request time and the current time is too large.');
  });

  it('sends its own clock in Date, so an SDK allowed to retry corrects the skew', async () => {
    lab.setClockOffset(-20 * 60_000);
    const out = await client(GOOD, 3).send(new HeadObjectCommand({ Bucket: lab.bucket, Key: 'hello.json' }));
    expect(out.$metadata.attempts).toBe(2);
  });

  it('refuses HeadObject too, with the status only (HEAD responses carry no body)', async () => {
    const err = await s3Failure(
      client({ ...GOOD, secretAccessKey: 'forged' }).send(new HeadObjectCommand({ Bucket: lab.bucket, Key: 'hello.json' })),
    );
    expect(err.$metadata.httpStatusCode).toBe(403);
  });

  it('denies anonymous requests with an S3 XML body', async () => {
    const res = await fetch(`${lab.endpoint}/${lab.bucket}/hello.json`);
    expect(res.status).toBe(403);
    expect(res.headers.get('content-type')).toBe('application/xml');
    expect(await res.text()).toMatch(
      /<Error><Code>AccessDenied<\/Code><Message>Access Denied<\/Message><RequestId>[0-9A-F]{16}<\/RequestId><HostId>/,
    );
  });

  it('refuses a payload hash that does not match the (empty) body', async () => {
    const signed = await signHeader({ path: `/${lab.bucket}/hello.json`, host: new URL(lab.endpoint).host }, GOOD, {
      payloadHash: createHash('sha256').update('x').digest('hex'),
    });
    const res = await fetch(`${lab.endpoint}${signed.rawPath}`, { headers: signed.headers });
    expect(res.status).toBe(400);
    expect(await res.text()).toContain('<Code>XAmzContentSHA256Mismatch</Code>');
  });

  it('refuses dot segments that would lead s3rver outside its data directory', async () => {
    const { request } = await import('node:http');
    for (const path of [`/${lab.bucket}/..%2F..%2Fsecret`, '/../krypton-demo/hello.json', `/${lab.bucket}/a/%2E%2E/b`]) {
      const status = await new Promise<[number | undefined, string]>((resolve, reject) => {
        // Options rather than a URL string: new URL() would resolve the dot segments client-side.
        request({ host: '127.0.0.1', port: new URL(lab.endpoint).port, path }, (res) => {
          let body = '';
          res.on('data', (c: Buffer) => (body += c.toString()));
          res.on('end', () => resolve([res.statusCode, body]));
        })
          .on('error', reject)
          .end();
      });
      expect(status[0]).toBe(400);
      expect(status[1]).toContain('<Code>InvalidURI</Code>');
    }
  });

  it('answers writes with 405 MethodNotAllowed after authenticating them', async () => {
    const put = await s3Failure(client(GOOD).send(new PutObjectCommand({ Bucket: lab.bucket, Key: 'new.txt', Body: 'x' })));
    expect([put.name, put.$metadata.httpStatusCode]).toEqual(['MethodNotAllowed', 405]);
    const del = await s3Failure(client(GOOD).send(new DeleteObjectCommand({ Bucket: lab.bucket, Key: 'hello.json' })));
    expect([del.name, del.$metadata.httpStatusCode]).toEqual(['MethodNotAllowed', 405]);
    const forged = await s3Failure(
      client({ ...GOOD, secretAccessKey: 'forged' }).send(new PutObjectCommand({ Bucket: lab.bucket, Key: 'new.txt', Body: 'x' })),
    );
    expect(forged.name).toBe('SignatureDoesNotMatch');
  });
});

describe('Check SIMs report uploads', () => {
  it('takes a PUT under check-reports/ and checks its Content-MD5 as S3 does', async () => {
    const body = Buffer.from('\uFEFFtime,lane,ICCID\r\n2026-12-03T14:05:09+09:00,Virtual PCD 00 00,8981100000000000016\r\n');
    const md5 = createHash('md5').update(body).digest();
    const key = 'check-reports/krypton-check-20261203-140509-abcd1234.csv';
    const put = await client(GOOD).send(
      new PutObjectCommand({ Bucket: lab.bucket, Key: key, Body: body, ContentMD5: md5.toString('base64'), ContentType: 'text/csv' }),
    );
    expect(put.ETag).toBe(`"${md5.toString('hex')}"`);
    const got = await client(GOOD).send(new GetObjectCommand({ Bucket: lab.bucket, Key: key }));
    expect(Buffer.from(await got.Body!.transformToByteArray())).toEqual(body);

    const wrong = await s3Failure(
      client(GOOD).send(
        new PutObjectCommand({ Bucket: lab.bucket, Key: 'check-reports/b.csv', Body: 'x', ContentMD5: md5.toString('base64') }),
      ),
    );
    expect([wrong.name, wrong.$metadata.httpStatusCode]).toEqual(['BadDigest', 400]);
    const malformed = await s3Failure(
      client(GOOD).send(new PutObjectCommand({ Bucket: lab.bucket, Key: 'check-reports/c.csv', Body: 'x', ContentMD5: 'nope' })),
    );
    expect(malformed.name).toBe('InvalidDigest');
    // Outside the report folder, and the folder itself, stay read-only.
    for (const other of ['hello.json', 'check-reports/', 'logs/check-reports/x.csv']) {
      const refused = await s3Failure(client(GOOD).send(new PutObjectCommand({ Bucket: lab.bucket, Key: other, Body: 'x' })));
      expect(refused.name).toBe('MethodNotAllowed');
    }
    const forged = await s3Failure(
      client({ ...GOOD, secretAccessKey: 'forged' }).send(
        new PutObjectCommand({ Bucket: lab.bucket, Key: 'check-reports/d.csv', Body: 'x' }),
      ),
    );
    expect(forged.name).toBe('SignatureDoesNotMatch');
  });

  it('lets the app’s origin PUT a report from a browser (CORS preflight)', async () => {
    const res = await fetch(`${lab.endpoint}/${lab.bucket}/check-reports/r.csv`, {
      method: 'OPTIONS',
      headers: {
        origin: 'http://localhost:8787',
        'access-control-request-method': 'PUT',
        'access-control-request-headers': 'content-md5,content-type,x-amz-date,x-amz-content-sha256,x-amz-security-token,authorization',
      },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('access-control-allow-methods')).toContain('PUT');
  });
});

describe('presigned URLs', () => {
  it('serves a presigned GET to plain fetch, with response header overrides', async () => {
    const url = await getSignedUrl(
      client(GOOD),
      new GetObjectCommand({ Bucket: lab.bucket, Key: 'hello.json', ResponseContentDisposition: 'attachment; filename="hello.json"' }),
      { expiresIn: 60 },
    );
    const res = await fetch(url);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-disposition')).toBe('attachment; filename="hello.json"');
    expect(await res.text()).toBe('{"hello":"krypton","from":"lab"}\n');
  });

  it('refuses an expired presigned URL with AccessDenied "Request has expired"', async () => {
    const url = await getSignedUrl(client(GOOD), new GetObjectCommand({ Bucket: lab.bucket, Key: 'hello.json' }), { expiresIn: 60 });
    lab.setClockOffset(61_000);
    const res = await fetch(url);
    expect(res.status).toBe(403);
    const body = await res.text();
    expect(body).toContain('<Code>AccessDenied</Code><Message>Request has expired</Message><X-Amz-Expires>60</X-Amz-Expires>');
  });

  it('refuses a presigned URL whose path was changed', async () => {
    const url = await getSignedUrl(client(GOOD), new GetObjectCommand({ Bucket: lab.bucket, Key: 'hello.json' }), { expiresIn: 60 });
    const res = await fetch(url.replace('hello.json', 'README.txt'));
    expect(res.status).toBe(403);
    expect(await res.text()).toContain('<Code>SignatureDoesNotMatch</Code>');
  });
});

describe('CORS', () => {
  const preflight = (bucket: string, origin: string) =>
    fetch(`${lab.endpoint}/${bucket}/hello.json`, {
      method: 'OPTIONS',
      headers: {
        origin,
        'access-control-request-method': 'GET',
        'access-control-request-headers': 'authorization,x-amz-date,x-amz-content-sha256,x-amz-security-token,range',
      },
    });

  it('answers a preflight from an allowed origin on the demo bucket, unauthenticated', async () => {
    const res = await preflight(lab.bucket, ORIGIN);
    expect(res.status).toBe(200);
    expect(res.headers.get('access-control-allow-origin')).not.toBeNull();
    expect(res.headers.get('access-control-allow-methods')).toContain('GET');
    expect(res.headers.get('access-control-allow-headers')).toContain('x-amz-security-token');
  });

  it('gives no CORS headers to a preflight on the bucket without CORS, nor from a foreign origin', async () => {
    for (const res of [await preflight(NO_CORS_BUCKET, ORIGIN), await preflight(lab.bucket, 'https://evil.example')]) {
      expect(res.status).toBe(403);
      expect(res.headers.get('access-control-allow-origin')).toBeNull();
    }
  });

  it('puts Access-Control-Allow-Origin and exposes ETag on a GET from an allowed origin', async () => {
    const url = await getSignedUrl(client(GOOD), new GetObjectCommand({ Bucket: lab.bucket, Key: 'hello.json' }), { expiresIn: 60 });
    const res = await fetch(url, { headers: { origin: ORIGIN } });
    expect(res.status).toBe(200);
    expect(res.headers.get('access-control-allow-origin')).toBe(ORIGIN);
    expect(res.headers.get('access-control-expose-headers')?.split(/,\s*/)).toEqual(
      expect.arrayContaining(['ETag', 'Content-Length', 'Content-Range', 'Last-Modified']),
    );
  });

  it("puts the CORS headers on the gate's own 403 too, so a page can read the refusal", async () => {
    const url = await getSignedUrl(
      client({ ...GOOD, secretAccessKey: 'forged' }),
      new GetObjectCommand({ Bucket: lab.bucket, Key: 'hello.json' }),
      { expiresIn: 60 },
    );
    const res = await fetch(url, { headers: { origin: ORIGIN } });
    expect(res.status).toBe(403);
    expect(res.headers.get('access-control-allow-origin')).toBe(ORIGIN);
    const anonymousOnNoCors = await fetch(`${lab.endpoint}/${NO_CORS_BUCKET}/x`, { headers: { origin: ORIGIN } });
    expect(anonymousOnNoCors.status).toBe(403);
    expect(anonymousOnNoCors.headers.get('access-control-allow-origin')).toBeNull();
  });
});

describe('fault hooks', () => {
  it('adds latency to every request', async () => {
    lab.setLatency(200);
    const started = performance.now();
    await client(GOOD).send(new HeadObjectCommand({ Bucket: lab.bucket, Key: 'hello.json' }));
    expect(performance.now() - started).toBeGreaterThanOrEqual(195);
  });
});

describe('lifecycle and shared lab knobs', () => {
  it('reads time from a shared clock and honours shared faults', async () => {
    const faults = {
      latencyMs: 0,
      errorStatus: 503,
      fail: false,
      shouldFail(): boolean {
        return this.fail;
      },
    };
    const small = await startLabS3({
      credentials: store,
      seed: false,
      faults,
      clock: { now: () => Date.now() + 30 * 60_000 },
      region: null,
    });
    const sdk = () =>
      new S3Client({ endpoint: small.endpoint, region: 'eu-west-1', forcePathStyle: true, credentials: GOOD, maxAttempts: 1 });
    try {
      // The shared clock runs 30 minutes ahead: a request signed with the machine clock is skewed.
      expect((await s3Failure(sdk().send(new ListObjectsV2Command({ Bucket: small.bucket })))).name).toBe('RequestTimeTooSkewed');
      small.setClockOffset(-30 * 60_000);
      // A fresh client (the first one learnt the skew from Date); region: null accepts any scope region.
      expect((await sdk().send(new ListObjectsV2Command({ Bucket: small.bucket }))).KeyCount).toBe(0);
      faults.fail = true;
      const injected = await s3Failure(sdk().send(new ListObjectsV2Command({ Bucket: small.bucket })));
      expect([injected.name, injected.$metadata.httpStatusCode]).toEqual(['SlowDown', 503]);
    } finally {
      await small.close();
    }
    await small.close(); // idempotent
  });

  it('deletes the temporary directory but keeps a given one', async () => {
    const { mkdtemp, rm, readdir } = await import('node:fs/promises');
    const { tmpdir } = await import('node:os');
    const { statSync } = await import('node:fs');
    const given = await mkdtemp(`${tmpdir()}/lab-s3-given-`);
    const seed = { standard: false, largeObjectBytes: 1024 * 1024 + 3 };
    const first = await startLabS3({ credentials: store, seed, dataDir: given });
    await first.close();
    expect(await readdir(given)).toEqual(expect.arrayContaining(['krypton-demo', 'krypton-nocors']));
    // A restart over the same directory reuses the identical large object instead of rewriting it.
    const stored = `${given}/krypton-demo/large/blob.bin._S3rver_object`;
    const writtenAt = statSync(stored).mtimeMs;
    const second = await startLabS3({ credentials: store, seed, dataDir: given });
    await second.close();
    expect(statSync(stored).mtimeMs).toBe(writtenAt);
    expect(second.objects).toEqual(first.objects);
    await rm(given, { recursive: true });
    const before = new Set(await readdir(tmpdir()));
    const temp = await startLabS3({ credentials: store, seed: false });
    const created = (await readdir(tmpdir())).filter((d) => !before.has(d) && d.startsWith('krypton-lab-s3-'));
    expect(created).toHaveLength(1);
    await temp.close();
    expect(existsSync(`${tmpdir()}/${created[0]}`)).toBe(false);
  });
});
