/**
 * What real S3 knows of an object that s3rver 3.7.1 does not: how it was uploaded (its parts, and so
 * its multipart ETag `MD5(part MD5s)-N`) and its additional checksum (CRC32, CRC32C or SHA-256, full
 * object or composite). s3rver stores only the bytes and reports their plain MD5; the gate answers
 * `partNumber`, `x-amz-checksum-mode` and the ETag from this store, as S3 does.
 *
 * Checksums are computed here with Node's crypto and a table CRC of this module's own, not with the
 * library the web app verifies with (decision 0007: the lab is independent of what it tests).
 */
import { createHash } from 'node:crypto';

/** S3's additional checksum algorithms the lab can give an object. */
export type LabChecksumAlgorithm = 'CRC32' | 'CRC32C' | 'SHA256';
/** How a multipart object's checksum combines its parts (a single-part object's is always FULL_OBJECT). */
export type LabChecksumType = 'FULL_OBJECT' | 'COMPOSITE';

/** An object's checksum as S3 reports it with `x-amz-checksum-mode: ENABLED`. */
export interface LabChecksum {
  algorithm: LabChecksumAlgorithm;
  type: LabChecksumType;
  /** Base64, with `-N` for a composite checksum (what `x-amz-checksum-<algorithm>` carries). */
  value: string;
  /** Base64 checksum of each part (a GET or HEAD with `partNumber` of a composite object reports these). */
  partValues: readonly string[];
}

/** What S3 would report about one object beyond its bytes. */
export interface ObjectIntegrity {
  /** The ETag S3 sends, in double quotes. */
  etag: string;
  size: number;
  /** Sizes of the parts it was uploaded in; empty for a single-part upload. */
  partSizes: readonly number[];
  checksum?: LabChecksum;
  /** Server-side encryption S3 reports (`x-amz-server-side-encryption`); with SSE-KMS the ETag is no MD5 of the content. */
  encryption?: 'aws:kms';
  /**
   * An archive storage class: S3 lists and HEADs the object with it (`x-amz-storage-class`) but
   * refuses a GET with 403 InvalidObjectState until the object is restored (the lab never restores).
   */
  storageClass?: ArchiveStorageClass;
}

/** The storage classes whose objects must be restored before they can be read. */
export type ArchiveStorageClass = 'GLACIER' | 'DEEP_ARCHIVE';

/** How an object is said to have been uploaded. */
export interface UploadShape {
  /** Uploaded in these parts (multipart upload); a single part otherwise. */
  multipart: boolean;
  checksum?: { algorithm: LabChecksumAlgorithm; type: LabChecksumType };
}

/** Refused shapes: S3 allows SHA-256 only as COMPOSITE on multipart uploads, and FULL_OBJECT on single parts. */
export class UploadShapeError extends Error {
  override readonly name = 'UploadShapeError';
  readonly code = 'BAD_UPLOAD_SHAPE';
}

/** The integrity facts of content uploaded in `parts` (one part for a single-part upload). */
export function describeUpload(parts: readonly Uint8Array[], shape: UploadShape): ObjectIntegrity {
  if (parts.length === 0) throw new UploadShapeError('an upload has at least one part');
  if (!shape.multipart && parts.length !== 1) throw new UploadShapeError('a single-part upload has exactly one part');
  const size = parts.reduce((n, p) => n + p.byteLength, 0);
  const md5s = parts.map((p) => createHash('md5').update(p).digest());
  const etag = shape.multipart
    ? `"${createHash('md5').update(Buffer.concat(md5s)).digest('hex')}-${parts.length}"`
    : `"${md5s[0]!.toString('hex')}"`;
  const out: ObjectIntegrity = { etag, size, partSizes: shape.multipart ? parts.map((p) => p.byteLength) : [] };
  if (shape.checksum) {
    const { algorithm, type } = shape.checksum;
    if (!shape.multipart && type !== 'FULL_OBJECT') throw new UploadShapeError('a single-part upload has a FULL_OBJECT checksum');
    if (algorithm === 'SHA256' && shape.multipart && type !== 'COMPOSITE')
      throw new UploadShapeError('S3 takes SHA-256 only as a COMPOSITE checksum on multipart uploads');
    const partDigests = parts.map((p) => checksumBytes(algorithm, [p]));
    const value =
      type === 'FULL_OBJECT'
        ? checksumBytes(algorithm, parts).toString('base64')
        : `${checksumBytes(algorithm, partDigests).toString('base64')}-${parts.length}`;
    out.checksum = { algorithm, type, value, partValues: partDigests.map((d) => d.toString('base64')) };
  }
  return out;
}

/** The raw checksum of the concatenation of `chunks` (a CRC as 4 big-endian bytes). */
export function checksumBytes(algorithm: LabChecksumAlgorithm, chunks: readonly Uint8Array[]): Buffer {
  if (algorithm === 'SHA256') {
    const h = createHash('sha256');
    for (const c of chunks) h.update(c);
    return h.digest();
  }
  const table = algorithm === 'CRC32' ? CRC32_TABLE : CRC32C_TABLE;
  let crc = 0xffffffff;
  for (const c of chunks) for (const byte of c) crc = (crc >>> 8) ^ table[(crc ^ byte) & 0xff]!;
  const out = Buffer.alloc(4);
  out.writeUInt32BE((crc ^ 0xffffffff) >>> 0);
  return out;
}

function crcTable(reflectedPolynomial: number): Uint32Array {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ reflectedPolynomial : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
}
const CRC32_TABLE = crcTable(0xedb88320);
const CRC32C_TABLE = crcTable(0x82f63b78);

/** Where one part lies in its object. */
export interface PartRange {
  start: number;
  /** Inclusive, as in Content-Range. */
  end: number;
}

/** The byte range of part `n` (1-based) of a multipart object, or undefined when it has no such part. */
export function partRange(integrity: ObjectIntegrity, n: number): PartRange | undefined {
  if (!Number.isInteger(n) || n < 1 || n > integrity.partSizes.length) return undefined;
  const start = integrity.partSizes.slice(0, n - 1).reduce((a, b) => a + b, 0);
  return { start, end: start + integrity.partSizes[n - 1]! - 1 };
}

/** Integrity facts per bucket and key, filled by the seeder and read by the gate. */
export class ObjectIntegrityStore {
  private readonly objects = new Map<string, ObjectIntegrity>();

  /** Records what S3 would report about `bucket/key`. */
  set(bucket: string, key: string, integrity: ObjectIntegrity): void {
    this.objects.set(`${bucket}/${key}`, integrity);
  }

  /** Forgets `bucket/key` (a single PUT replaced it). */
  delete(bucket: string, key: string): void {
    this.objects.delete(`${bucket}/${key}`);
  }

  /** What S3 would report about `bucket/key`, or undefined for an object stored as a plain single-part upload. */
  get(bucket: string, key: string): ObjectIntegrity | undefined {
    return this.objects.get(`${bucket}/${key}`);
  }
}
