/**
 * Multipart uploads as S3 does them, where s3rver 3.7.1 falls short: s3rver initiates, stores parts
 * and completes, but has no AbortMultipartUpload and no ListMultipartUploads, checks neither part
 * ETags nor the 5 MiB minimum on Complete, and gives the completed object a plain MD5 ETag. The gate
 * keeps the uploads in progress here, answers Abort and the listing itself, checks Complete as S3
 * does, and shows the object's ETag in S3's multipart form (`"<md5 of the parts' MD5s>-<parts>"`).
 */
import { createHash } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { escapeXml, S3Error } from './s3-error.ts';

/** S3's smallest part, except the last. */
export const MIN_PART_BYTES = 5 * 1024 * 1024;
/** The largest Complete request body the gate reads. */
export const MAX_COMPLETE_BODY = 1024 * 1024;

interface Upload {
  bucket: string;
  key: string;
  initiated: Date;
  /** Part number → MD5 (hex) and size, as stored. */
  parts: Map<number, { md5: string; size: number }>;
}

/** The multipart uploads in progress on one gate. */
export class MultipartUploads {
  readonly #uploads = new Map<string, Upload>();

  /**
   * @param partsDir where s3rver keeps an upload's parts (removed on Abort); undefined leaves them
   * to the lab's temporary directory.
   */
  constructor(private readonly partsDir?: (bucket: string, uploadId: string) => string) {}

  /** Records an upload s3rver initiated. */
  started(uploadId: string, bucket: string, key: string, at: Date): void {
    this.#uploads.set(uploadId, { bucket, key, initiated: at, parts: new Map() });
  }

  /** The upload, or S3's NoSuchUpload (aborted, completed, or never started). */
  require(uploadId: string, bucket: string, key: string): Upload {
    const upload = this.#uploads.get(uploadId);
    if (upload === undefined || upload.bucket !== bucket || upload.key !== key)
      throw new S3Error(
        'NoSuchUpload',
        'The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed.',
        { UploadId: uploadId },
      );
    return upload;
  }

  /** Records a part s3rver stored. */
  partStored(uploadId: string, bucket: string, key: string, partNumber: number, body: Uint8Array): void {
    this.require(uploadId, bucket, key).parts.set(partNumber, { md5: createHash('md5').update(body).digest('hex'), size: body.byteLength });
  }

  /**
   * Checks a CompleteMultipartUpload body as S3 does (parts ascending, each one stored with that
   * ETag, all but the last at least 5 MiB) and returns the object's multipart ETag (quoted) and its parts' sizes.
   */
  checkComplete(uploadId: string, bucket: string, key: string, xml: string): { etag: string; partSizes: number[] } {
    const upload = this.require(uploadId, bucket, key);
    const listed = [...xml.matchAll(/<Part>([\s\S]*?)<\/Part>/g)].map(([, p = '']) => ({
      number: Number(/<PartNumber>\s*(\d+)\s*<\/PartNumber>/.exec(p)?.[1] ?? 'NaN'),
      etag: (/<ETag>([\s\S]*?)<\/ETag>/.exec(p)?.[1] ?? '').replace(/&quot;|"/g, '').trim(),
    }));
    if (listed.length === 0 || listed.some((p) => !Number.isInteger(p.number)))
      throw new S3Error('MalformedXML', 'The XML you provided was not well-formed or did not validate against our published schema.');
    listed.forEach((p, i) => {
      if (i > 0 && p.number <= listed[i - 1]!.number)
        throw new S3Error('InvalidPartOrder', 'The list of parts was not in ascending order. Parts must be ordered by part number.');
      const stored = upload.parts.get(p.number);
      if (stored === undefined || stored.md5 !== p.etag.toLowerCase())
        throw new S3Error(
          'InvalidPart',
          "One or more of the specified parts could not be found. The part may not have been uploaded, or the specified entity tag may not match the part's entity tag.",
          { UploadId: uploadId, PartNumber: String(p.number), ETag: p.etag },
        );
      if (i < listed.length - 1 && stored.size < MIN_PART_BYTES)
        throw new S3Error('EntityTooSmall', 'Your proposed upload is smaller than the minimum allowed object size.', {
          ProposedSize: String(stored.size),
          MinSizeAllowed: String(MIN_PART_BYTES),
          PartNumber: String(p.number),
        });
    });
    const digest = createHash('md5');
    for (const p of listed) digest.update(Buffer.from(upload.parts.get(p.number)!.md5, 'hex'));
    return { etag: `"${digest.digest('hex')}-${listed.length}"`, partSizes: listed.map((p) => upload.parts.get(p.number)!.size) };
  }

  /** s3rver completed the upload: it is no longer in progress (the gate records the object's multipart ETag). */
  completed(uploadId: string): void {
    this.#uploads.delete(uploadId);
  }

  /** Aborts an upload: forgotten, its parts removed. */
  async abort(uploadId: string, bucket: string, key: string): Promise<void> {
    this.require(uploadId, bucket, key);
    this.#uploads.delete(uploadId);
    const dir = this.partsDir?.(bucket, uploadId);
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  }

  /** S3's ListMultipartUploadsResult for a bucket (uploads under `prefix`, oldest first). */
  listXml(bucket: string, prefix: string): string {
    const rows = [...this.#uploads.entries()]
      .filter(([, u]) => u.bucket === bucket && u.key.startsWith(prefix))
      .sort(([, a], [, b]) => (a.key < b.key ? -1 : a.key > b.key ? 1 : a.initiated.getTime() - b.initiated.getTime()));
    const el = (name: string, value: string): string => `<${name}>${escapeXml(value)}</${name}>`;
    const uploads = rows
      .map(
        ([id, u]) =>
          `<Upload>${el('Key', u.key)}${el('UploadId', id)}${el('StorageClass', 'STANDARD')}${el('Initiated', u.initiated.toISOString())}</Upload>`,
      )
      .join('');
    return `<?xml version="1.0" encoding="UTF-8"?>\n<ListMultipartUploadsResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">${el('Bucket', bucket)}${el('KeyMarker', '')}${el('UploadIdMarker', '')}${el('Prefix', prefix)}${el('MaxUploads', '1000')}${el('IsTruncated', 'false')}${uploads}</ListMultipartUploadsResult>`;
  }
}
