// Loaded on demand by the batch worker: only a checklist with an S3 probe, or an upload, needs the AWS S3 client.
import { HeadObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import type { CheckCredentials, CheckS3 } from '@krypton-web/sim-check';
import { md5 } from 'hash-wasm';
import type { Failure } from './api.ts';
import { uploadObject } from './s3-upload.ts';
import type { S3Operation } from './s3-errors.ts';
import { checkBucket, checkRegion, explainS3Error } from './s3-service.ts';

/** What a PutObject of the report needs. */
export interface PutRequest {
  bucket: string;
  region: string;
  key: string;
  body: Uint8Array;
  contentType: string;
}

/**
 * S3 for a batch: the probe of a check (list one key, or HEAD an object) and the report's upload,
 * each with the credentials a SIM earned. A client lives for one call: every SIM brings its own
 * credentials, and none of them is kept here.
 */
export class BatchS3 implements CheckS3 {
  /** Buckets that have answered this page: a request to one that the browser then blocks is not for want of any CORS rule. */
  private readonly answeredBuckets = new Set<string>();

  constructor(
    /** The lab's S3 (path-style); undefined: AWS. */
    private readonly endpoint: string | undefined,
    /** This page's origin, for the CORS rule a bucket needs. */
    private readonly origin: string,
  ) {}

  /** Lists at most one key under the prefix: enough to prove the credentials may read there. */
  async list(
    credentials: CheckCredentials,
    where: { bucket: string; region: string; prefix: string },
  ): Promise<{ keyCount: number; firstKey?: string }> {
    const bucket = checkBucket(where.bucket);
    const out = await this.send(credentials, where.region, 'list', bucket, undefined, (client) =>
      client.send(new ListObjectsV2Command({ Bucket: bucket, MaxKeys: 1, ...(where.prefix ? { Prefix: where.prefix } : {}) })),
    );
    const first = out.Contents?.[0]?.Key;
    return { keyCount: out.KeyCount ?? out.Contents?.length ?? 0, ...(first !== undefined ? { firstKey: first } : {}) };
  }

  /** HEADs one object. */
  async head(credentials: CheckCredentials, where: { bucket: string; region: string; key: string }): Promise<{ size: number }> {
    const bucket = checkBucket(where.bucket);
    const out = await this.send(credentials, where.region, 'head', bucket, where.key, (client) =>
      client.send(new HeadObjectCommand({ Bucket: bucket, Key: where.key })),
    );
    return { size: out.ContentLength ?? 0 };
  }

  /**
   * Uploads the report through the page's upload path (s3-upload.ts): PutObject with Content-MD5, so
   * S3 refuses bytes that changed on the way (BadDigest); a report past the threshold goes in parts.
   */
  async put(credentials: CheckCredentials, request: PutRequest): Promise<{ md5: string; etag?: string }> {
    const bucket = checkBucket(request.bucket);
    const out = await uploadObject(
      (op, fn, signal) =>
        this.send(credentials, request.region, op, bucket, request.key, (client) => fn(client, signal ?? new AbortController().signal)),
      {
        bucket,
        key: request.key,
        body: new Blob([request.body as BlobPart], { type: request.contentType }),
        contentType: request.contentType,
        signal: new AbortController().signal,
      },
    );
    // A report in parts has no whole-file Content-MD5; its MD5 is still shown (each part was checked by S3).
    return { md5: out.md5 ?? (await md5(request.body)), ...(out.etag ? { etag: out.etag } : {}) };
  }

  private async send<T>(
    credentials: CheckCredentials,
    region: string,
    op: S3Operation,
    bucket: string,
    key: string | undefined,
    fn: (client: S3Client) => Promise<T>,
  ): Promise<T> {
    checkRegion(region);
    const client = new S3Client({
      region,
      credentials: {
        accessKeyId: credentials.accessKeyId,
        secretAccessKey: credentials.secretAccessKey,
        sessionToken: credentials.sessionToken,
        expiration: credentials.expiration,
      },
      ...(this.endpoint ? { endpoint: this.endpoint, forcePathStyle: true } : {}),
      maxAttempts: 2,
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    });
    try {
      const answer = await fn(client);
      this.answeredBuckets.add(bucket);
      return answer;
    } catch (e) {
      const at = { op, bucket, key, region, origin: this.origin, endpoint: this.endpoint };
      throw (await explainS3Error(e, at, this.answeredBuckets.has(bucket))) satisfies Failure;
    } finally {
      client.destroy();
    }
  }
}

/** Where an object is seen by a person: the S3 console on AWS, the object's own URL on another endpoint (the lab). */
export function objectLink(endpoint: string | undefined, bucket: string, region: string, key: string): string {
  if (endpoint) return `${endpoint.replace(/\/+$/, '')}/${encodeURIComponent(bucket)}/${key.split('/').map(encodeURIComponent).join('/')}`;
  return `https://${region}.console.aws.amazon.com/s3/object/${encodeURIComponent(bucket)}?region=${encodeURIComponent(region)}&prefix=${encodeURIComponent(key)}`;
}
