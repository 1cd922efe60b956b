/** Bucket CORS rules for the lab's buckets, rendered as S3's `<CORSConfiguration>` document. */
import { escapeXml } from './s3-error.ts';

/** One S3 CORS rule. Origins may hold one `*` wildcard each (e.g. `http://localhost:*`). */
export interface CorsRule {
  allowedOrigins: string[];
  allowedMethods: Array<'GET' | 'HEAD' | 'PUT' | 'POST' | 'DELETE'>;
  allowedHeaders?: string[];
  exposeHeaders?: string[];
  maxAgeSeconds?: number;
}

/** Origins the demo bucket allows by default: the web app served from loopback on any port. */
export const DEFAULT_CORS_ORIGINS: readonly string[] = ['http://localhost:*', 'http://127.0.0.1:*'];

/**
 * Response headers the demo rule exposes to page scripts: what the product reads to show size,
 * progress, resume ranges, S3 request ids and integrity checks (Content-Length and Last-Modified are already
 * CORS-safelisted; listing them costs nothing and mirrors the documented bucket setup).
 */
export const DEMO_EXPOSE_HEADERS: readonly string[] = [
  'ETag',
  'Content-Length',
  'Content-Range',
  'Content-Type',
  'Content-Encoding',
  'Last-Modified',
  'Accept-Ranges',
  'x-amz-request-id',
  'x-amz-id-2',
  'x-amz-version-id',
  // What a download is verified against (#16): the object's additional checksum and its type, the
  // parts count a `partNumber` read reports, and the encryption that makes an ETag something else than an MD5.
  'x-amz-checksum-crc32',
  'x-amz-checksum-crc32c',
  'x-amz-checksum-crc64nvme',
  'x-amz-checksum-sha1',
  'x-amz-checksum-sha256',
  'x-amz-checksum-type',
  'x-amz-mp-parts-count',
  'x-amz-server-side-encryption',
  'x-amz-server-side-encryption-customer-algorithm',
];

/** The rule the product's documentation asks customers to put on their bucket: GET/HEAD from the app's origins. */
export function demoCorsRule(origins: readonly string[] = DEFAULT_CORS_ORIGINS): CorsRule {
  return {
    allowedOrigins: [...origins],
    allowedMethods: ['GET', 'HEAD'],
    allowedHeaders: ['*'],
    exposeHeaders: [...DEMO_EXPOSE_HEADERS],
    maxAgeSeconds: 3000,
  };
}

/**
 * The rule a bucket that receives uploads (files, Check SIMs reports) needs besides the read rule:
 * PUT, and POST and DELETE for multipart uploads (create and complete, abort), from the app's
 * origins (Content-MD5 and the signing headers allowed), the ETag readable afterwards (Complete
 * lists each part's ETag).
 */
export function reportUploadCorsRule(origins: readonly string[] = DEFAULT_CORS_ORIGINS): CorsRule {
  return {
    allowedOrigins: [...origins],
    allowedMethods: ['PUT', 'POST', 'DELETE'],
    allowedHeaders: ['*'],
    exposeHeaders: ['ETag', 'x-amz-request-id', 'x-amz-id-2'],
    maxAgeSeconds: 3000,
  };
}

/** Renders rules as a `<CORSConfiguration>` document (what PutBucketCors sends and s3rver stores). */
export function corsConfigurationXml(rules: readonly CorsRule[]): string {
  const el = (name: string, value: string | number): string => `<${name}>${escapeXml(String(value))}</${name}>`;
  const body = rules
    .map((rule) => {
      const parts = [
        ...rule.allowedOrigins.map((o) => el('AllowedOrigin', o)),
        ...rule.allowedMethods.map((m) => el('AllowedMethod', m)),
        ...(rule.allowedHeaders ?? []).map((h) => el('AllowedHeader', h)),
        ...(rule.exposeHeaders ?? []).map((h) => el('ExposeHeader', h)),
        ...(rule.maxAgeSeconds === undefined ? [] : [el('MaxAgeSeconds', rule.maxAgeSeconds)]),
      ];
      return `<CORSRule>${parts.join('')}</CORSRule>`;
    })
    .join('');
  return `<?xml version="1.0" encoding="UTF-8"?><CORSConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/">${body}</CORSConfiguration>`;
}
