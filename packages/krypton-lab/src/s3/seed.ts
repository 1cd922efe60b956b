/**
 * Puts the lab's fixture objects into s3rver (directly, not through the gate) and records what
 * was stored: size, MD5/ETag and SHA-256 of each object, computed while streaming.
 */
import { createHash } from 'node:crypto';
import http from 'node:http';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { gzipSync } from 'node:zlib';
import { deterministicBytes, deterministicStream } from './deterministic.ts';
import {
  describeUpload,
  type ArchiveStorageClass,
  type LabChecksum,
  type ObjectIntegrityStore,
  type UploadShape,
} from './object-integrity.ts';
import { uriEncode } from './sigv4.ts';

/** One object the lab stored, with the digests tests compare against. */
export interface SeededObject {
  bucket: string;
  key: string;
  size: number;
  contentType: string;
  /** Lower-case hex MD5 of the content as stored (what a download receives). */
  md5: string;
  /**
   * The ETag the lab reports: for a single-part upload the MD5 in double quotes; for a multipart one
   * `"<MD5 of the part MD5s>-<parts>"`; for a corrupted object, the ETag of the content before it was damaged.
   */
  etag: string;
  /** Lower-case hex SHA-256 of the content as stored. */
  sha256: string;
  /** For a multipart upload: its part sizes. */
  partSizes?: readonly number[];
  /** The additional checksum S3 reports with `x-amz-checksum-mode: ENABLED`. */
  checksum?: LabChecksum;
  /** The stored bytes differ from what its ETag and checksum describe: a download must refuse it. */
  corrupted?: boolean;
  /** Stored with SSE-KMS: its ETag is not an MD5 of the content. */
  kms?: boolean;
  /** For objects with deterministic content: the label `deterministicBytes` regenerates it from. */
  contentLabel?: string;
  /** The Content-Encoding it was stored with (S3 answers it on every GET unless told otherwise). */
  contentEncoding?: string;
  /** An archive storage class: listed with it, its GETs refused (InvalidObjectState) until a restore. */
  storageClass?: ArchiveStorageClass;
}

/** What to seed into the demo bucket. */
export interface SeedOptions {
  /** Put the standard fixtures (texts, JSON, nested prefixes, binary object). Default true. */
  standard?: boolean;
  /** Size of the deterministic binary object `firmware/v1/firmware.bin`. Default 3 MiB. */
  binarySize?: number;
  /** Also put this many small generated objects under `generatedPrefix`, e.g. 2500 to exercise pagination. Default 0. */
  generatedKeys?: number;
  /** Prefix of the generated objects. Default `generated/`. */
  generatedPrefix?: string;
  /**
   * Also put one large deterministic object of this many bytes (e.g. 1 GiB for benchmarks),
   * streamed without being held in memory. With a persistent data directory an identical object
   * already there is reused instead of rewritten.
   */
  largeObjectBytes?: number;
  /** Key of the large object. Default `large/blob.bin`. */
  largeObjectKey?: string;
  /**
   * Also put the integrity fixtures under `integrity/` (#16): a multipart object, objects with CRC32,
   * CRC32C (composite) and SHA-256 checksums, an SSE-KMS one, a corrupted one, a gzip-encoded one and one archived in DEEP_ARCHIVE. Needs the gate’s
   * integrity store (startLabS3 passes it). Default false: they would change the bucket's root listing.
   */
  integrity?: boolean;
}

/** Seeding failed; the message names the object. */
export class SeedError extends Error {
  override readonly name = 'SeedError';
  readonly code = 'SEED_FAILED';
}

/** Key of the deterministic binary fixture. */
export const BINARY_KEY = 'firmware/v1/firmware.bin';
/** Default key of the large object. */
export const LARGE_KEY = 'large/blob.bin';

const MiB = 1024 * 1024;

/** One integrity fixture: its content is `deterministicBytes(key)` cut into these parts. */
interface IntegrityFixture {
  key: string;
  partSizes: readonly number[];
  shape: UploadShape;
  /** Flip one byte of the stored content at this offset after the ETag and checksum were computed. */
  corruptAt?: number;
  kms?: boolean;
  /** Archived: listed and HEADed with this storage class, its GETs refused until a restore. */
  storageClass?: ArchiveStorageClass;
}

/** The integrity fixtures' keys (#16). */
export const INTEGRITY_KEYS = {
  multipart: 'integrity/multipart-3-parts.bin',
  crc32: 'integrity/crc32.bin',
  crc32cComposite: 'integrity/crc32c-composite.bin',
  sha256: 'integrity/sha256.bin',
  kms: 'integrity/sse-kms.bin',
  corrupted: 'integrity/corrupted.bin',
  gzipEncoded: 'integrity/gzip-encoded.bin',
  archived: 'integrity/archived-deep.bin',
} as const;

/**
 * The gzip-encoded fixture's content before compression (incompressible, so the stored object stays
 * over 9 MiB and is read in several ranges even with 8 MiB parts); it is stored gzip-compressed with Content-Encoding gzip,
 * as `aws s3 cp --content-encoding gzip` leaves an object. Browsers decode such answers on their own.
 */
export const GZIP_ENCODED_PLAIN_BYTES = 9 * MiB + 4321;

const INTEGRITY_FIXTURES: readonly IntegrityFixture[] = [
  { key: INTEGRITY_KEYS.multipart, partSizes: [5 * MiB, 5 * MiB, 3 * MiB], shape: { multipart: true } },
  {
    key: INTEGRITY_KEYS.crc32,
    partSizes: [300_001],
    shape: { multipart: false, checksum: { algorithm: 'CRC32', type: 'FULL_OBJECT' } },
  },
  {
    key: INTEGRITY_KEYS.crc32cComposite,
    partSizes: [5 * MiB, MiB + 17],
    shape: { multipart: true, checksum: { algorithm: 'CRC32C', type: 'COMPOSITE' } },
  },
  {
    key: INTEGRITY_KEYS.sha256,
    partSizes: [65_537],
    shape: { multipart: false, checksum: { algorithm: 'SHA256', type: 'FULL_OBJECT' } },
  },
  { key: INTEGRITY_KEYS.kms, partSizes: [4096], shape: { multipart: false }, kms: true },
  { key: INTEGRITY_KEYS.archived, partSizes: [2048], shape: { multipart: false }, storageClass: 'DEEP_ARCHIVE' },
  {
    key: INTEGRITY_KEYS.corrupted,
    partSizes: [5 * MiB, MiB],
    shape: { multipart: true, checksum: { algorithm: 'CRC32', type: 'FULL_OBJECT' } },
    corruptAt: 5 * MiB + 1000,
  },
];

const TEXT_FIXTURES: ReadonlyArray<{ key: string; contentType: string; body: string }> = [
  {
    key: 'README.txt',
    contentType: 'text/plain; charset=utf-8',
    body: 'Krypton Web lab bucket.\nObjects here are fixtures for tests and the demo.\n',
  },
  { key: 'hello.json', contentType: 'application/json', body: '{"hello":"krypton","from":"lab"}\n' },
  { key: 'firmware/v1/manifest.json', contentType: 'application/json', body: '{"version":"1.0.0","file":"firmware.bin"}\n' },
  // "v1.1/" sorts before "v1/" ('.' < '/'): s3rver's own listing got this order wrong.
  { key: 'firmware/v1.1/manifest.json', contentType: 'application/json', body: '{"version":"1.1.0"}\n' },
  { key: 'firmware/v2/manifest.json', contentType: 'application/json', body: '{"version":"2.0.0"}\n' },
  { key: 'logs/2026/11/01.log', contentType: 'text/plain; charset=utf-8', body: '2026-11-01T00:00:00Z boot ok\n' },
  {
    key: 'logs/2026/11/02.log',
    contentType: 'text/plain; charset=utf-8',
    body: '2026-11-02T00:00:00Z boot ok\n2026-11-02T00:05:00Z attach ok\n',
  },
  { key: 'logs/2026/12/01.log', contentType: 'text/plain; charset=utf-8', body: '2026-12-01T00:00:00Z boot ok\n' },
  // Space, parentheses and non-ASCII exercise SigV4's canonical URI encoding end to end.
  { key: 'docs/naïve file (1).txt', contentType: 'text/plain; charset=utf-8', body: 'A key that needs percent-encoding.\n' },
];

/**
 * Seeds one bucket of a running s3rver at `s3rverUrl` and returns what it stored; what S3 would know
 * beyond the bytes (parts, checksums) goes into `integrity`.
 */
export async function seedBucket(
  s3rverUrl: string,
  bucket: string,
  options: SeedOptions = {},
  integrity?: ObjectIntegrityStore,
): Promise<SeededObject[]> {
  const base = new URL(s3rverUrl);
  const put = (key: string, contentType: string, size: number, body: () => Readable, label?: string): Promise<SeededObject> =>
    putObject(base, bucket, key, contentType, size, body, label);
  const objects: SeededObject[] = [];
  if (options.standard ?? true) {
    for (const f of TEXT_FIXTURES) {
      const bytes = Buffer.from(f.body, 'utf8');
      objects.push(await put(f.key, f.contentType, bytes.length, () => Readable.from([bytes])));
    }
    const size = options.binarySize ?? 3 * 1024 * 1024;
    objects.push(await put(BINARY_KEY, 'application/octet-stream', size, () => deterministicStream(BINARY_KEY, size), BINARY_KEY));
  }
  if (options.generatedKeys !== undefined && options.generatedKeys > 0) {
    const prefix = options.generatedPrefix ?? 'generated/';
    const keys = Array.from({ length: options.generatedKeys }, (_, i) => `${prefix}item-${String(i).padStart(5, '0')}.txt`);
    objects.push(
      ...(await mapLimit(keys, 16, (key) => {
        const bytes = Buffer.from(`${key}\n`, 'utf8');
        return put(key, 'text/plain; charset=utf-8', bytes.length, () => Readable.from([bytes]));
      })),
    );
  }
  if (options.largeObjectBytes !== undefined) {
    const key = options.largeObjectKey ?? LARGE_KEY;
    const size = options.largeObjectBytes;
    // Rewriting a GiB on every start of a persistent lab is slow; hashing the generator is not.
    const existing = await headObject(base, bucket, key);
    const digests = existing !== undefined && existing.size === size ? await digestOnly(deterministicStream(key, size)) : undefined;
    objects.push(
      existing !== undefined && digests !== undefined && existing.etag === `"${digests.md5}"`
        ? {
            bucket,
            key,
            size,
            contentType: 'application/octet-stream',
            md5: digests.md5,
            etag: existing.etag,
            sha256: digests.sha256,
            contentLabel: key,
          }
        : await put(key, 'application/octet-stream', size, () => deterministicStream(key, size), key),
    );
  }
  if (options.integrity) {
    if (integrity === undefined) throw new SeedError('the integrity fixtures need the gate’s integrity store');
    for (const f of INTEGRITY_FIXTURES) {
      const size = f.partSizes.reduce((a, b) => a + b, 0);
      const content = deterministicBytes(f.key, 0, size);
      const parts: Buffer[] = [];
      for (let at = 0, i = 0; i < f.partSizes.length; at += f.partSizes[i]!, i++) parts.push(content.subarray(at, at + f.partSizes[i]!));
      const described = describeUpload(parts, f.shape);
      if (f.kms) described.etag = `"${createHash('md5').update(`sse-kms ${f.key}`).digest('hex')}"`;
      if (f.corruptAt !== undefined) content[f.corruptAt] = content[f.corruptAt]! ^ 0x01;
      const stored = await put(f.key, 'application/octet-stream', size, () => Readable.from([content]));
      integrity.set(bucket, f.key, {
        ...described,
        ...(f.kms ? { encryption: 'aws:kms' as const } : {}),
        ...(f.storageClass ? { storageClass: f.storageClass } : {}),
      });
      objects.push({
        ...stored,
        etag: described.etag,
        ...(f.shape.multipart ? { partSizes: f.partSizes } : {}),
        ...(described.checksum ? { checksum: described.checksum } : {}),
        ...(f.corruptAt !== undefined ? { corrupted: true } : {}),
        ...(f.kms ? { kms: true } : {}),
        ...(f.storageClass ? { storageClass: f.storageClass } : {}),
      });
    }
    const gzipped = gzipSync(deterministicBytes(INTEGRITY_KEYS.gzipEncoded, 0, GZIP_ENCODED_PLAIN_BYTES));
    const encoded = await putObject(
      base,
      bucket,
      INTEGRITY_KEYS.gzipEncoded,
      'application/octet-stream',
      gzipped.length,
      () => Readable.from([gzipped]),
      undefined,
      'gzip',
    );
    objects.push({ ...encoded, contentEncoding: 'gzip' });
  }
  return objects;
}

async function putObject(
  base: URL,
  bucket: string,
  key: string,
  contentType: string,
  size: number,
  body: () => Readable,
  label: string | undefined,
  contentEncoding?: string,
): Promise<SeededObject> {
  const md5 = createHash('md5');
  const sha256 = createHash('sha256');
  const tap = new Transform({
    transform(chunk: Buffer, _enc, done) {
      md5.update(chunk);
      sha256.update(chunk);
      done(null, chunk);
    },
  });
  const status = await new Promise<{ code: number; etag: string | undefined }>((resolve, reject) => {
    const req = http.request(
      {
        host: base.hostname,
        port: base.port,
        method: 'PUT',
        path: `/${bucket}/${uriEncode(key, true)}`,
        headers: {
          'content-type': contentType,
          'content-length': String(size),
          ...(contentEncoding !== undefined ? { 'content-encoding': contentEncoding } : {}),
        },
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve({ code: res.statusCode ?? 0, etag: res.headers.etag }));
      },
    );
    req.on('error', reject);
    pipeline(body(), tap, req).catch(reject);
  }).catch((cause: unknown) => {
    throw new SeedError(`could not store ${bucket}/${key}: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
  });
  const md5Hex = md5.digest('hex');
  if (status.code !== 200 || status.etag !== `"${md5Hex}"`) {
    throw new SeedError(`s3rver answered ${status.code} with ETag ${status.etag ?? '(none)'} for ${bucket}/${key}; expected "${md5Hex}"`);
  }
  const seeded: SeededObject = { bucket, key, size, contentType, md5: md5Hex, etag: `"${md5Hex}"`, sha256: sha256.digest('hex') };
  if (label !== undefined) seeded.contentLabel = label;
  return seeded;
}

async function headObject(base: URL, bucket: string, key: string): Promise<{ size: number; etag: string } | undefined> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: base.hostname, port: base.port, method: 'HEAD', path: `/${bucket}/${uriEncode(key, true)}` },
      (res) => {
        res.resume();
        const etag = res.headers.etag;
        resolve(res.statusCode === 200 && etag !== undefined ? { size: Number(res.headers['content-length']), etag } : undefined);
      },
    );
    req.on('error', reject);
    req.end();
  });
}

async function digestOnly(stream: Readable): Promise<{ md5: string; sha256: string }> {
  const md5 = createHash('md5');
  const sha256 = createHash('sha256');
  for await (const chunk of stream) {
    md5.update(chunk as Buffer);
    sha256.update(chunk as Buffer);
  }
  return { md5: md5.digest('hex'), sha256: sha256.digest('hex') };
}

async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}
