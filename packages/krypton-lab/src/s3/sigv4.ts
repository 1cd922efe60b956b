/**
 * AWS Signature Version 4 as S3 computes it on the server side: canonical request, string to
 * sign, signing key. Written by hand over node:crypto (rather than by driving
 * @smithy/signature-v4, which signs what *it* decides to sign) so that the gate covers exactly
 * the headers the client listed in SignedHeaders; the tests check it against @smithy/signature-v4.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

/** The only algorithm S3 accepts for SigV4. */
export const SIGV4_ALGORITHM = 'AWS4-HMAC-SHA256';
/** `x-amz-content-sha256` value meaning "payload not signed". */
export const UNSIGNED_PAYLOAD = 'UNSIGNED-PAYLOAD';
/** SHA-256 of the empty string: the payload hash of a request without body. */
export const EMPTY_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';

/** What a SigV4 signature covers, taken from one HTTP request. */
export interface CanonicalRequestInput {
  method: string;
  /** The request path exactly as it came on the wire (still percent-encoded). */
  rawPath: string;
  /** The query string as it came on the wire, without the leading `?`. */
  rawQuery: string;
  /** Looks up a request header by lower-case name (duplicates joined by `,`). */
  header: (name: string) => string | undefined;
  /** Lower-case header names from SignedHeaders, in the client's order. */
  signedHeaders: readonly string[];
  /** The payload hash the client declared (`x-amz-content-sha256`, or `UNSIGNED-PAYLOAD` for presigned URLs). */
  payloadHash: string;
  /** Query parameters left out of the canonical query (`X-Amz-Signature` for presigned URLs). */
  excludeQuery?: readonly string[];
}

/** AWS's URI encoding: every byte but the RFC 3986 unreserved set is %XX (upper-case); `/` kept when asked. */
export function uriEncode(text: string, keepSlash: boolean): string {
  let out = '';
  for (const byte of Buffer.from(text, 'utf8')) {
    const ch = String.fromCharCode(byte);
    if (/[A-Za-z0-9\-._~]/.test(ch) || (keepSlash && ch === '/')) out += ch;
    else out += '%' + byte.toString(16).toUpperCase().padStart(2, '0');
  }
  return out;
}

/** Decodes percent-escapes; a malformed escape is kept literally (S3 does not reject it at signing time). */
export function percentDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/**
 * S3's canonical URI: each path segment decoded then encoded once (S3, unlike other services,
 * neither double-encodes nor normalises `.`/`..`), so `%28` and `(` on the wire sign alike.
 */
export function canonicalUri(rawPath: string): string {
  if (rawPath === '' || rawPath === '/') return '/';
  return rawPath
    .split('/')
    .map((segment) => uriEncode(percentDecode(segment), false))
    .join('/');
}

/** Splits a raw query string into decoded `[name, value]` pairs, in order (a `+` stays a `+`). */
export function parseQuery(rawQuery: string): Array<[string, string]> {
  if (rawQuery === '') return [];
  return rawQuery
    .split('&')
    .filter((part) => part !== '')
    .map((part) => {
      const eq = part.indexOf('=');
      return eq < 0 ? [percentDecode(part), ''] : [percentDecode(part.slice(0, eq)), percentDecode(part.slice(eq + 1))];
    });
}

/** The canonical query string: names and values encoded, sorted by name then value, `name=value` joined by `&`. */
export function canonicalQuery(rawQuery: string, exclude: readonly string[] = []): string {
  return parseQuery(rawQuery)
    .filter(([name]) => !exclude.includes(name))
    .map(([name, value]) => [uriEncode(name, false), uriEncode(value, false)] as const)
    .sort(([an, av], [bn, bv]) => (an < bn ? -1 : an > bn ? 1 : av < bv ? -1 : av > bv ? 1 : 0))
    .map(([name, value]) => `${name}=${value}`)
    .join('&');
}

/** One canonical header line's value: trimmed, runs of spaces folded to one. */
export function canonicalHeaderValue(value: string): string {
  return value.trim().replace(/ +/g, ' ');
}

/** The canonical request text that SigV4 hashes. */
export function canonicalRequest(input: CanonicalRequestInput): string {
  const headerLines = input.signedHeaders.map((name) => `${name}:${canonicalHeaderValue(input.header(name) ?? '')}\n`).join('');
  return [
    input.method.toUpperCase(),
    canonicalUri(input.rawPath),
    canonicalQuery(input.rawQuery, input.excludeQuery),
    headerLines,
    input.signedHeaders.join(';'),
    input.payloadHash,
  ].join('\n');
}

/** `yyyymmdd/region/service/aws4_request`. */
export function credentialScope(date: string, region: string, service: string): string {
  return `${date}/${region}/${service}/aws4_request`;
}

/** The string to sign: algorithm, request time, scope, hash of the canonical request. */
export function stringToSign(amzDate: string, scope: string, canonical: string): string {
  return [SIGV4_ALGORITHM, amzDate, scope, sha256Hex(canonical)].join('\n');
}

/** The derived signing key for one day, region and service. */
export function signingKey(secretAccessKey: string, date: string, region: string, service: string): Buffer {
  const kDate = hmac(`AWS4${secretAccessKey}`, date);
  const kRegion = hmac(kDate, region);
  const kService = hmac(kRegion, service);
  return hmac(kService, 'aws4_request');
}

/** The hex signature of a string to sign. */
export function signature(key: Buffer, toSign: string): string {
  return hmac(key, toSign).toString('hex');
}

/** Compares two hex signatures in constant time (for equal lengths); different lengths never match. */
export function signaturesMatch(expected: string, provided: string): boolean {
  const a = Buffer.from(expected, 'utf8');
  const b = Buffer.from(provided, 'utf8');
  return a.length === b.length && timingSafeEqual(a, b);
}

/** Lower-case hex SHA-256 of text or bytes. */
export function sha256Hex(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

/** Parses SigV4's basic ISO 8601 time `yyyymmddThhmmssZ`; undefined when malformed. */
export function parseAmzDate(text: string): Date | undefined {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(text);
  if (!m) return undefined;
  const [, y, mo, d, h, mi, s] = m.map(Number) as [number, number, number, number, number, number, number];
  const date = new Date(Date.UTC(y, mo - 1, d, h, mi, s));
  // Reject rolled-over values such as month 13, which Date.UTC would silently accept.
  return date.getUTCMonth() === mo - 1 && date.getUTCDate() === d && h < 24 && mi < 60 && s < 60 ? date : undefined;
}

/** Formats a time as SigV4's `yyyymmddThhmmssZ`. */
export function formatAmzDate(date: Date): string {
  return date
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}/, '');
}

function hmac(key: string | Buffer, data: string): Buffer {
  return createHmac('sha256', key).update(data, 'utf8').digest();
}
