import { createHash } from 'node:crypto';
import zlib from 'node:zlib';
import { GetObjectCommand, HeadObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checksumBytes, describeUpload } from './object-integrity.ts';
import {
  deterministicBytes,
  GZIP_ENCODED_PLAIN_BYTES,
  InMemoryCredentialStore,
  INTEGRITY_KEYS,
  startLabS3,
  type LabS3,
  type SeededObject,
} from './index.ts';
import { s3Failure } from './s3-failure.test-support.ts';

const MiB = 1024 * 1024;
const GOOD = { accessKeyId: 'ASIAINTEGRITY', secretAccessKey: 'integrity-secret', sessionToken: 'integrity-token' };
let lab: LabS3;

/** A real SDK client; `responseChecksumValidation` is the SDK default, so the SDK checks full-object checksums itself. */
function client(): S3Client {
  return new S3Client({ endpoint: lab.endpoint, region: 'ap-northeast-1', forcePathStyle: true, credentials: GOOD, maxAttempts: 1 });
}

function seeded(key: string): SeededObject {
  const o = lab.objects.find((x) => x.key === key);
  if (!o) throw new Error(`${key} was not seeded`);
  return o;
}

/** The bytes the lab meant to store (before any corruption). */
function content(key: string): Buffer {
  return deterministicBytes(key, 0, seeded(key).size);
}

beforeAll(async () => {
  const store = new InMemoryCredentialStore();
  store.add({ ...GOOD, expiration: new Date(Date.now() + 3_600_000) });
  lab = await startLabS3({ credentials: store, seed: { standard: false, integrity: true } });
});
afterAll(() => lab?.close());

describe('the lab’s checksums against published vectors and Node’s own', () => {
  it('CRC32 and CRC32C of "123456789" are the catalogued check values', () => {
    const text = Buffer.from('123456789');
    expect(checksumBytes('CRC32', [text]).toString('hex')).toBe('cbf43926');
    expect(checksumBytes('CRC32C', [text]).toString('hex')).toBe('e3069283');
    // Split anywhere, the same value: the CRC runs across chunks.
    expect(checksumBytes('CRC32', [text.subarray(0, 4), text.subarray(4)]).toString('hex')).toBe('cbf43926');
    const random = deterministicBytes('crc', 0, 100_000);
    expect(checksumBytes('CRC32', [random]).readUInt32BE()).toBe(zlib.crc32(random));
  });

  it('a multipart upload’s ETag is the MD5 of its part MD5s with the part count; a composite checksum likewise', () => {
    const parts = [Buffer.from('a'.repeat(10)), Buffer.from('b'.repeat(7))];
    const md5 = (b: Buffer) => createHash('md5').update(b).digest();
    const d = describeUpload(parts, { multipart: true, checksum: { algorithm: 'SHA256', type: 'COMPOSITE' } });
    expect(d.etag).toBe(
      `"${createHash('md5')
        .update(Buffer.concat(parts.map(md5)))
        .digest('hex')}-2"`,
    );
    const sha = (b: Buffer) => createHash('sha256').update(b).digest();
    expect(d.checksum).toEqual({
      algorithm: 'SHA256',
      type: 'COMPOSITE',
      value: `${sha(Buffer.concat(parts.map(sha))).toString('base64')}-2`,
      partValues: parts.map((p) => sha(p).toString('base64')),
    });
    expect(() => describeUpload(parts, { multipart: true, checksum: { algorithm: 'SHA256', type: 'FULL_OBJECT' } })).toThrow(/COMPOSITE/);
  });
});

describe('an SDK client sees partNumber and checksums as real S3 answers them', () => {
  it('seeds a 3-part object whose ETag ends in -3, listed with that ETag', async () => {
    const o = seeded(INTEGRITY_KEYS.multipart);
    expect(o.partSizes).toEqual([5 * MiB, 5 * MiB, 3 * MiB]);
    const bytes = content(INTEGRITY_KEYS.multipart);
    const partMd5s = [0, 5 * MiB, 10 * MiB].map((at, i) =>
      createHash('md5')
        .update(bytes.subarray(at, at + o.partSizes![i]!))
        .digest(),
    );
    const expected = `"${createHash('md5').update(Buffer.concat(partMd5s)).digest('hex')}-3"`;
    expect(o.etag).toBe(expected);
    const list = await client().send(new ListObjectsV2Command({ Bucket: lab.bucket, Prefix: 'integrity/' }));
    expect(list.Contents?.find((c) => c.Key === INTEGRITY_KEYS.multipart)?.ETag).toBe(expected);
    const head = await client().send(new HeadObjectCommand({ Bucket: lab.bucket, Key: INTEGRITY_KEYS.multipart }));
    expect(head).toMatchObject({ ETag: expected, ContentLength: 13 * MiB });
    expect(head.PartsCount).toBeUndefined();
  });

  it('HEAD with partNumber=1 gives the part’s length, the parts count and Content-Range (206)', async () => {
    const head = await client().send(new HeadObjectCommand({ Bucket: lab.bucket, Key: INTEGRITY_KEYS.multipart, PartNumber: 1 }));
    expect(head.$metadata.httpStatusCode).toBe(206);
    expect(head).toMatchObject({
      ContentLength: 5 * MiB,
      PartsCount: 3,
      ContentRange: `bytes 0-${5 * MiB - 1}/${13 * MiB}`,
      ETag: seeded(INTEGRITY_KEYS.multipart).etag,
    });
  });

  it('GET with partNumber=3 gives that part’s bytes', async () => {
    const out = await client().send(new GetObjectCommand({ Bucket: lab.bucket, Key: INTEGRITY_KEYS.multipart, PartNumber: 3 }));
    expect(out).toMatchObject({ ContentLength: 3 * MiB, PartsCount: 3, ContentRange: `bytes ${10 * MiB}-${13 * MiB - 1}/${13 * MiB}` });
    const body = Buffer.from(await out.Body!.transformToByteArray());
    expect(body.equals(content(INTEGRITY_KEYS.multipart).subarray(10 * MiB))).toBe(true);
  });

  it('a single-part object is its own part 1 (no parts count); part 2, part 4 of three, or a Range beside partNumber are refused', async () => {
    const one = await client().send(new HeadObjectCommand({ Bucket: lab.bucket, Key: INTEGRITY_KEYS.crc32, PartNumber: 1 }));
    expect(one).toMatchObject({ ContentLength: seeded(INTEGRITY_KEYS.crc32).size, ETag: seeded(INTEGRITY_KEYS.crc32).etag });
    expect(one.PartsCount).toBeUndefined();
    const two = await s3Failure(client().send(new GetObjectCommand({ Bucket: lab.bucket, Key: INTEGRITY_KEYS.crc32, PartNumber: 2 })));
    expect({ name: two.name, status: two.$metadata.httpStatusCode }).toEqual({ name: 'InvalidPartNumber', status: 416 });
    const missing = await s3Failure(client().send(new GetObjectCommand({ Bucket: lab.bucket, Key: 'integrity/none.bin', PartNumber: 2 })));
    expect(missing.name).toBe('NoSuchKey');
    const four = await s3Failure(client().send(new GetObjectCommand({ Bucket: lab.bucket, Key: INTEGRITY_KEYS.multipart, PartNumber: 4 })));
    expect(four.name).toBe('InvalidPartNumber');
    const both = await s3Failure(
      client().send(new GetObjectCommand({ Bucket: lab.bucket, Key: INTEGRITY_KEYS.multipart, PartNumber: 1, Range: 'bytes=0-9' })),
    );
    expect({ name: both.name, status: both.$metadata.httpStatusCode }).toEqual({ name: 'InvalidRequest', status: 400 });
  });

  it('CRC32 and SHA-256 full-object checksums come with ChecksumMode ENABLED, and the SDK’s own check of the body passes', async () => {
    for (const [key, field, hash] of [
      [INTEGRITY_KEYS.crc32, 'ChecksumCRC32', (b: Buffer) => Buffer.from(zlib.crc32(b).toString(16).padStart(8, '0'), 'hex')],
      [INTEGRITY_KEYS.sha256, 'ChecksumSHA256', (b: Buffer) => createHash('sha256').update(b).digest()],
    ] as const) {
      const out = await client().send(new GetObjectCommand({ Bucket: lab.bucket, Key: key, ChecksumMode: 'ENABLED' }));
      expect(out[field]).toBe(hash(content(key)).toString('base64'));
      expect(out.ChecksumType).toBe('FULL_OBJECT');
      // The SDK validates a full-object checksum while the body is read: this throws on a mismatch.
      expect(Buffer.from(await out.Body!.transformToByteArray()).equals(content(key))).toBe(true);
      const plain = await client().send(new HeadObjectCommand({ Bucket: lab.bucket, Key: key }));
      expect(plain[field], 'no checksum without ChecksumMode').toBeUndefined();
    }
  });

  it('a composite CRC32C is `…-2` on the object and each part’s own with partNumber (which the SDK checks against the part)', async () => {
    const key = INTEGRITY_KEYS.crc32cComposite;
    const head = await client().send(new HeadObjectCommand({ Bucket: lab.bucket, Key: key, ChecksumMode: 'ENABLED' }));
    expect(head.ChecksumType).toBe('COMPOSITE');
    expect(head.ChecksumCRC32C).toMatch(/^[A-Za-z0-9+/]{6}==-2$/);
    const bytes = content(key);
    const parts = [bytes.subarray(0, 5 * MiB), bytes.subarray(5 * MiB)];
    expect(head.ChecksumCRC32C).toBe(
      `${checksumBytes(
        'CRC32C',
        parts.map((p) => checksumBytes('CRC32C', [p])),
      ).toString('base64')}-2`,
    );
    const part2 = await client().send(new GetObjectCommand({ Bucket: lab.bucket, Key: key, PartNumber: 2, ChecksumMode: 'ENABLED' }));
    expect(part2.ChecksumCRC32C).toBe(checksumBytes('CRC32C', [parts[1]!]).toString('base64'));
    expect(Buffer.from(await part2.Body!.transformToByteArray()).equals(parts[1]!)).toBe(true);
    const ranged = await client().send(
      new GetObjectCommand({ Bucket: lab.bucket, Key: key, Range: 'bytes=0-99', ChecksumMode: 'ENABLED' }),
    );
    expect(ranged.ChecksumCRC32C, 'a Range read carries no checksum').toBeUndefined();
    await ranged.Body!.transformToByteArray();
  });

  it('the corrupted object’s bytes fail the SDK’s own checksum check; If-Match with another ETag is refused (412)', async () => {
    const o = seeded(INTEGRITY_KEYS.corrupted);
    expect(o.corrupted).toBe(true);
    const out = await client().send(new GetObjectCommand({ Bucket: lab.bucket, Key: o.key, ChecksumMode: 'ENABLED' }));
    expect(out.ETag).toBe(o.etag);
    await expect(out.Body!.transformToByteArray()).rejects.toThrow(/Checksum mismatch/);
    const stale = await s3Failure(client().send(new HeadObjectCommand({ Bucket: lab.bucket, Key: o.key, IfMatch: '"0123"' })));
    expect(stale.$metadata.httpStatusCode).toBe(412);
    const fresh = await client().send(new HeadObjectCommand({ Bucket: lab.bucket, Key: o.key, IfMatch: o.etag, PartNumber: 1 }));
    expect(fresh.PartsCount).toBe(2);
  });

  it('an SSE-KMS object says so, and its ETag is no MD5 of its content', async () => {
    const o = seeded(INTEGRITY_KEYS.kms);
    const head = await client().send(new HeadObjectCommand({ Bucket: lab.bucket, Key: o.key }));
    expect(head.ServerSideEncryption).toBe('aws:kms');
    expect(head.ETag).toBe(o.etag);
    expect(head.ETag).not.toBe(`"${o.md5}"`);
  });

  it('a gzip-encoded object answers Content-Encoding gzip and its stored (compressed) bytes; response-content-encoding overrides the header, as S3 does', async () => {
    const o = seeded(INTEGRITY_KEYS.gzipEncoded);
    expect(o.contentEncoding).toBe('gzip');
    const plain = deterministicBytes(INTEGRITY_KEYS.gzipEncoded, 0, GZIP_ENCODED_PLAIN_BYTES);
    const head = await client().send(new HeadObjectCommand({ Bucket: lab.bucket, Key: o.key }));
    expect(head).toMatchObject({ ContentEncoding: 'gzip', ContentLength: o.size, ETag: o.etag });
    // The SDK on Node decodes nothing: the body is what S3 stores, and its MD5 is the ETag.
    const out = await client().send(new GetObjectCommand({ Bucket: lab.bucket, Key: o.key }));
    expect(out.ContentEncoding).toBe('gzip');
    const stored = Buffer.from(await out.Body!.transformToByteArray());
    expect(`"${createHash('md5').update(stored).digest('hex')}"`).toBe(o.etag);
    expect(zlib.gunzipSync(stored).equals(plain)).toBe(true);
    const ranged = await client().send(
      new GetObjectCommand({ Bucket: lab.bucket, Key: o.key, Range: 'bytes=1000-1999', ResponseContentEncoding: 'identity' }),
    );
    expect(ranged.ContentEncoding).toBe('identity');
    expect(Buffer.from(await ranged.Body!.transformToByteArray()).equals(stored.subarray(1000, 2000))).toBe(true);
  });

  it('an object archived in DEEP_ARCHIVE is listed and HEADed with its storage class, and its GET (whole or ranged) is 403 InvalidObjectState, as S3 answers', async () => {
    const o = seeded(INTEGRITY_KEYS.archived);
    expect(o.storageClass).toBe('DEEP_ARCHIVE');
    const list = await client().send(new ListObjectsV2Command({ Bucket: lab.bucket, Prefix: 'integrity/' }));
    expect(list.Contents?.find((c) => c.Key === o.key)?.StorageClass).toBe('DEEP_ARCHIVE');
    expect(list.Contents?.find((c) => c.Key === INTEGRITY_KEYS.crc32)?.StorageClass).toBe('STANDARD');
    const head = await client().send(new HeadObjectCommand({ Bucket: lab.bucket, Key: o.key }));
    expect(head).toMatchObject({ StorageClass: 'DEEP_ARCHIVE', ContentLength: o.size, ETag: o.etag });
    for (const range of [undefined, 'bytes=0-99']) {
      const refused = await s3Failure(
        client().send(new GetObjectCommand({ Bucket: lab.bucket, Key: o.key, ...(range ? { Range: range } : {}) })),
      );
      expect(refused.name).toBe('InvalidObjectState');
      expect(refused.$metadata.httpStatusCode).toBe(403);
      expect((refused as unknown as { StorageClass?: string }).StorageClass).toBe('DEEP_ARCHIVE');
    }
  });
});
