import type { Failure } from './api.ts';
import { failure } from './failure.ts';

/** What an S3 call does, for its IAM action: `put` covers PutObject and the multipart calls (they need s3:PutObject). */
export type S3Operation = 'list' | 'head' | 'get' | 'put' | 'abort';

interface Context {
  op: S3Operation;
  bucket: string;
  key: string | undefined;
  region: string;
  /** This page's origin (for the CORS rule). */
  origin: string;
  /** For a network failure: whether the bucket's host answered a no-cors probe. */
  reachable: boolean | undefined;
  /** For a network failure of a reachable host: whether the bucket exists, when the bridge could tell. */
  exists?: boolean | undefined;
  /** Whether the bucket has answered this page before (so its CORS rule lets the page in, for some requests at least). */
  answeredBefore?: boolean | undefined;
}

/**
 * The CORS configuration a bucket needs for this page: GET/HEAD from its origin, with the headers
 * downloads read; PUT, POST and DELETE too for a bucket files and Check SIMs reports are uploaded to.
 */
export function corsJson(origin: string, withPut = false): string {
  return JSON.stringify(
    [
      {
        AllowedHeaders: ['*'],
        // Uploads in parts: POST creates and completes one, DELETE aborts it.
        AllowedMethods: withPut ? ['GET', 'HEAD', 'PUT', 'POST', 'DELETE'] : ['GET', 'HEAD'],
        AllowedOrigins: [origin],
        // Besides size and ETag, what downloads are verified against (#16): S3's checksums and their
        // type, the parts count of a multipart object, and the encryption that makes an ETag no MD5.
        ExposeHeaders: [
          'ETag',
          'Content-Length',
          'Content-Range',
          'Content-Type',
          'Content-Encoding',
          'Last-Modified',
          'x-amz-checksum-crc32',
          'x-amz-checksum-crc32c',
          'x-amz-checksum-crc64nvme',
          'x-amz-checksum-sha1',
          'x-amz-checksum-sha256',
          'x-amz-checksum-type',
          'x-amz-mp-parts-count',
          'x-amz-server-side-encryption',
          'x-amz-server-side-encryption-customer-algorithm',
        ],
        MaxAgeSeconds: 3000,
      },
    ],
    null,
    2,
  );
}

/** The IAM action and resource an S3 call needs. */
export function iamNeed(op: S3Operation, bucket: string, key: string | undefined): { action: string; resource: string } {
  if (op === 'list') return { action: 's3:ListBucket', resource: `arn:aws:s3:::${bucket}` };
  if (op === 'put') return { action: 's3:PutObject', resource: `arn:aws:s3:::${bucket}/${key ?? '*'}` };
  if (op === 'abort') return { action: 's3:AbortMultipartUpload', resource: `arn:aws:s3:::${bucket}/${key ?? '*'}` };
  return { action: 's3:GetObject', resource: `arn:aws:s3:::${bucket}/${key ?? '*'}` };
}

/** An S3 (or network) error as a Failure that says what happened and what to do. */
export function s3Failure(e: unknown, ctx: Context): Failure {
  const err = (e ?? {}) as {
    name?: string;
    message?: string;
    $metadata?: { httpStatusCode?: number };
    Region?: string;
    code?: string;
    action?: string;
    details?: unknown;
    StorageClass?: unknown;
    AccessTier?: unknown;
  };
  // Already explained (our own failures, or krypton-core's while getting credentials).
  if (typeof err.code === 'string' && typeof err.action === 'string') return e as Failure;
  const name = err.name ?? '';
  const status = err.$metadata?.httpStatusCode;
  const where = ctx.key ? `s3://${ctx.bucket}/${ctx.key}` : `s3://${ctx.bucket}`;
  const details = {
    bucket: ctx.bucket,
    region: ctx.region,
    ...(ctx.key ? { key: ctx.key } : {}),
    ...(status ? { status } : {}),
    serverCode: name,
  };

  if (e instanceof TypeError || name === 'TypeError' || name === 'NetworkError') {
    // S3's NoSuchBucket has no CORS headers, so a misspelt bucket reads as a network error too.
    if (ctx.reachable && ctx.exists === false)
      return noSuchBucket(ctx.bucket, { bucket: ctx.bucket, region: ctx.region, serverCode: 'NoSuchBucket' });
    const cors = { origin: ctx.origin, bucket: ctx.bucket, json: corsJson(ctx.origin, ctx.op === 'put' || ctx.op === 'abort') };
    if (ctx.reachable && ctx.answeredBefore) {
      return failure(
        'S3_CORS_REFUSED',
        `The browser blocked an answer from bucket "${ctx.bucket}" (${where}), which has answered this page before: its CORS rule does not allow this request, or something between the browser and S3 (a proxy, a security product) changed the answer`,
        ctx.op === 'put' || ctx.op === 'abort'
          ? 'Make the bucket’s CORS configuration allow uploads from this page (PUT, POST and DELETE), as below, then try again; if it repeats with this configuration, try from another network'
          : 'Make the bucket’s CORS configuration allow this request, as below, then try again; if it repeats with this configuration, try from another network',
        { bucket: ctx.bucket, region: ctx.region, ...(ctx.key ? { key: ctx.key } : {}) },
        { cors },
      );
    }
    if (ctx.reachable) {
      return failure(
        'S3_CORS_MISSING',
        `The browser blocked the answer from bucket "${ctx.bucket}": the bucket has no CORS rule that allows this page (${ctx.origin})`,
        'Add this CORS configuration to the bucket (S3 console → the bucket → Permissions → Cross-origin resource sharing), then try again',
        { bucket: ctx.bucket, region: ctx.region },
        { cors },
      );
    }
    return failure(
      'NETWORK_UNREACHABLE',
      `S3 could not be reached for ${where}`,
      'Check the network connection and the bucket’s region, then try again',
      { bucket: ctx.bucket, region: ctx.region },
    );
  }
  if (name === 'NoSuchBucket') return noSuchBucket(ctx.bucket, details);
  // A 404 too, but of the multipart upload in progress, not of the object.
  if (name === 'NoSuchUpload') {
    return failure(
      'UPLOAD_GONE',
      `S3 no longer holds the upload of ${where} in progress (it was aborted, or removed by a lifecycle rule)`,
      'Upload the file again',
      details,
    );
  }
  if (name === 'NoSuchKey' || name === 'NotFound' || status === 404) {
    return ctx.key
      ? failure('S3_NO_SUCH_KEY', `${where} does not exist (any more)`, 'Refresh the listing', details)
      : failure('S3_NO_SUCH_BUCKET', `There is no bucket named "${ctx.bucket}"`, 'Check the bucket name', details);
  }
  if (
    name === 'PermanentRedirect' ||
    name === 'AuthorizationHeaderMalformed' ||
    name === 'IllegalLocationConstraintException' ||
    status === 301
  ) {
    const region = typeof err.Region === 'string' ? err.Region : undefined;
    return failure(
      'S3_WRONG_REGION',
      `Bucket "${ctx.bucket}" is not in ${ctx.region}${region ? ` but in ${region}` : ''}`,
      region ? `Set the region to ${region}` : 'Set the bucket’s region (S3 console → the bucket → Properties)',
      { ...details, ...(region ? { expected: region } : {}) },
    );
  }
  if (name === 'RequestTimeTooSkewed') {
    return failure(
      'CLOCK_SKEW',
      'S3 refused the request because this computer’s clock is off by more than 15 minutes',
      'Set this computer’s clock automatically (NTP) and try again',
      details,
    );
  }
  if (
    name === 'ExpiredToken' ||
    name === 'ExpiredTokenException' ||
    name === 'InvalidAccessKeyId' ||
    name === 'InvalidToken' ||
    name === 'TokenRefreshRequired'
  ) {
    return failure(
      'CREDENTIALS_EXPIRED',
      'S3 still refused the credentials after they were renewed',
      'Press Authenticate again; if it repeats, check this computer’s clock',
      details,
    );
  }
  if (name === 'SignatureDoesNotMatch') {
    return failure(
      'S3_SIGNATURE',
      'S3 refused the request signature',
      'Check the region and this computer’s clock, then try again',
      details,
    );
  }
  // A 403 too, but no permission is missing: the object is archived.
  if (name === 'InvalidObjectState') {
    const storageClass = [err.StorageClass, err.AccessTier].filter((v): v is string => typeof v === 'string' && v !== '').join(', ');
    return failure(
      'S3_ARCHIVED',
      `${where} is ${storageClass ? `in storage class ${storageClass}` : 'in an archive storage class'}: S3 keeps it archived, and its bytes can be read only after a restore`,
      'Restore it first (S3 console → the object → Initiate restore, or `aws s3api restore-object`); once the restore is done (minutes to hours, up to 48 hours from Deep Archive), download it again',
      { ...details, ...(storageClass ? { storageClass } : {}) },
    );
  }
  if (name === 'AccessDenied' || name === 'Forbidden' || status === 403) {
    const need = iamNeed(ctx.op, ctx.bucket, ctx.key);
    return failure(
      'S3_ACCESS_DENIED',
      `S3 refused ${where}: access denied`,
      `Allow "${need.action}" on "${need.resource}" in the IAM role of the Cognito identity pool (the role for authenticated identities)`,
      details,
      { iam: need },
    );
  }
  if (name === 'BadDigest' || name === 'InvalidDigest') {
    return failure(
      'S3_BAD_DIGEST',
      `S3 refused ${where}: the bytes it received do not match their MD5 (Content-MD5)`,
      'Upload again; if it repeats, check the network (a proxy may change the content)',
      details,
    );
  }
  if (status !== undefined && status >= 500) {
    return failure('SERVER_ERROR', `S3 failed (HTTP ${status}) for ${where}`, 'Try again in a moment', details);
  }
  return failure(
    'S3_ERROR',
    `S3 refused ${where}: ${name || 'error'}${err.message ? ` (${err.message})` : ''}`,
    'Check the bucket name and region, then try again',
    details,
  );
}

/** A bucket that does not exist: most often a typo. */
function noSuchBucket(bucket: string, details: Failure['details']): Failure {
  return failure(
    'S3_NO_SUCH_BUCKET',
    `There is no bucket named "${bucket}"`,
    'Check the bucket name for a typo (names are global and lowercase), and that it is the bucket the SIM group’s settings name',
    details,
  );
}
