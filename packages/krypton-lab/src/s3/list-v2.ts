/**
 * ListObjectsV2 served through s3rver's V1 listing. s3rver 3.7.1 makes V2 continuation tokens
 * with DES, which OpenSSL 3 (Node 17+) no longer offers: every truncated V2 listing fails with
 * a 500. The gate therefore asks s3rver for a V1 listing (marker-based, no DES) and answers the
 * client in V2 form, with continuation tokens of its own.
 */
import { escapeXml, S3Error } from './s3-error.ts';
import { compareKeys } from './s3rver-listing.ts';
import { uriEncode } from './sigv4.ts';

/** The V2 parameters of one ListObjectsV2 request. */
export interface ListV2Request {
  bucket: string;
  prefix: string | undefined;
  delimiter: string | undefined;
  maxKeys: string | undefined;
  startAfter: string | undefined;
  continuationToken: string | undefined;
  fetchOwner: boolean;
  encodingType: string | undefined;
}

/** Reads a ListObjectsV2 request from decoded query pairs. */
export function readListV2Request(bucket: string, query: ReadonlyArray<readonly [string, string]>): ListV2Request {
  const get = (name: string): string | undefined => query.find(([n]) => n === name)?.[1];
  return {
    bucket,
    prefix: get('prefix'),
    delimiter: get('delimiter'),
    maxKeys: get('max-keys'),
    startAfter: get('start-after'),
    continuationToken: get('continuation-token'),
    fetchOwner: get('fetch-owner') === 'true',
    encodingType: get('encoding-type'),
  };
}

/** Encodes where a listing resumes as an opaque token bound to its bucket. */
export function encodeContinuationToken(bucket: string, after: string): string {
  return Buffer.from(JSON.stringify({ b: bucket, a: after }), 'utf8').toString('base64');
}

/** Decodes a token made by `encodeContinuationToken`; S3's `InvalidArgument` for anything else. */
export function decodeContinuationToken(bucket: string, token: string): string {
  try {
    const parsed: unknown = JSON.parse(Buffer.from(token, 'base64').toString('utf8'));
    if (
      typeof parsed === 'object' &&
      parsed !== null &&
      'b' in parsed &&
      'a' in parsed &&
      parsed.b === bucket &&
      typeof parsed.a === 'string'
    ) {
      return parsed.a;
    }
  } catch {
    // fall through to the S3 error
  }
  throw new S3Error('InvalidArgument', 'The continuation token provided is incorrect', { ArgumentName: 'continuation-token' });
}

/** The raw query for the equivalent V1 listing at s3rver. */
export function v1QueryFor(req: ListV2Request): string {
  if (req.encodingType !== undefined && req.encodingType !== 'url') {
    throw new S3Error('InvalidArgument', 'Invalid Encoding Method specified in Request', {
      ArgumentName: 'encoding-type',
      ArgumentValue: req.encodingType,
    });
  }
  const marker = req.continuationToken !== undefined ? decodeContinuationToken(req.bucket, req.continuationToken) : req.startAfter;
  const params: Array<[string, string | undefined]> = [
    ['prefix', req.prefix],
    ['delimiter', req.delimiter],
    ['max-keys', req.maxKeys],
    ['marker', marker],
  ];
  return params
    .filter((p): p is [string, string] => p[1] !== undefined && p[1] !== '')
    .map(([name, value]) => `${name}=${uriEncode(value, false)}`)
    .join('&');
}

/** One object entry of a listing. */
export interface ListedObject {
  key: string;
  lastModified: string;
  etag: string;
  size: string;
  storageClass: string;
  owner: { id: string; displayName: string } | undefined;
}

/** A V1 listing as s3rver renders it, read back. */
export interface V1Listing {
  maxKeys: string;
  isTruncated: boolean;
  contents: ListedObject[];
  commonPrefixes: string[];
}

/** Reads s3rver's V1 `ListBucketResult` (a compact, known shape; not a general XML parser). */
export function parseV1Listing(xml: string): V1Listing {
  const body = /<ListBucketResult[^>]*>([\s\S]*)<\/ListBucketResult>/.exec(xml)?.[1];
  if (body === undefined) throw new S3Error('InternalError', 'We encountered an internal error. Please try again.');
  const contents = [...body.matchAll(/<Contents>([\s\S]*?)<\/Contents>/g)].map(([, c = '']) => {
    const owner = /<Owner>([\s\S]*?)<\/Owner>/.exec(c)?.[1];
    return {
      key: text(c, 'Key') ?? '',
      lastModified: text(c, 'LastModified') ?? '',
      etag: text(c, 'ETag') ?? '',
      size: text(c, 'Size') ?? '0',
      storageClass: text(c, 'StorageClass') ?? 'STANDARD',
      owner: owner === undefined ? undefined : { id: text(owner, 'ID') ?? '', displayName: text(owner, 'DisplayName') ?? '' },
    };
  });
  const commonPrefixes = [...body.matchAll(/<CommonPrefixes>([\s\S]*?)<\/CommonPrefixes>/g)].map(([, p = '']) => text(p, 'Prefix') ?? '');
  const withoutEntries = body.replace(/<Contents>[\s\S]*?<\/Contents>|<CommonPrefixes>[\s\S]*?<\/CommonPrefixes>/g, '');
  return {
    maxKeys: text(withoutEntries, 'MaxKeys') ?? '1000',
    isTruncated: text(withoutEntries, 'IsTruncated') === 'true',
    contents,
    commonPrefixes,
  };
}

/** Renders the V2 `ListBucketResult` S3 sends for a V1 page read from s3rver. */
export function renderListV2(req: ListV2Request, page: V1Listing): string {
  const enc = (value: string): string => (req.encodingType === 'url' ? uriEncode(value, true) : value);
  const el = (name: string, value: string): string => `<${name}>${escapeXml(value)}</${name}>`;
  const lastKey = page.contents.at(-1)?.key;
  const lastPrefix = page.commonPrefixes.at(-1);
  const resumeAfter =
    lastKey === undefined ? lastPrefix : lastPrefix === undefined || compareKeys(lastKey, lastPrefix) > 0 ? lastKey : lastPrefix;
  const parts: string[] = [el('Name', req.bucket), el('Prefix', enc(req.prefix ?? ''))];
  if (req.continuationToken !== undefined) parts.push(el('ContinuationToken', req.continuationToken));
  else if (req.startAfter !== undefined) parts.push(el('StartAfter', enc(req.startAfter)));
  if (page.isTruncated && resumeAfter !== undefined)
    parts.push(el('NextContinuationToken', encodeContinuationToken(req.bucket, resumeAfter)));
  parts.push(el('KeyCount', String(page.contents.length + page.commonPrefixes.length)));
  parts.push(el('MaxKeys', page.maxKeys));
  if (req.delimiter !== undefined && req.delimiter !== '') parts.push(el('Delimiter', enc(req.delimiter)));
  if (req.encodingType !== undefined) parts.push(el('EncodingType', req.encodingType));
  parts.push(el('IsTruncated', String(page.isTruncated)));
  for (const o of page.contents) {
    const owner = req.fetchOwner && o.owner ? `<Owner>${el('ID', o.owner.id)}${el('DisplayName', o.owner.displayName)}</Owner>` : '';
    parts.push(
      `<Contents>${el('Key', enc(o.key))}${el('LastModified', o.lastModified)}${el('ETag', o.etag)}${el('Size', o.size)}${owner}${el('StorageClass', o.storageClass)}</Contents>`,
    );
  }
  for (const p of page.commonPrefixes) parts.push(`<CommonPrefixes>${el('Prefix', enc(p))}</CommonPrefixes>`);
  return `<?xml version="1.0" encoding="UTF-8"?>\n<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">${parts.join('')}</ListBucketResult>`;
}

function text(xml: string, tag: string): string | undefined {
  const raw = new RegExp(`<${tag}>([\\s\\S]*?)</${tag}>`).exec(xml)?.[1] ?? (new RegExp(`<${tag}\\s*/>`).test(xml) ? '' : undefined);
  return raw === undefined ? undefined : decodeXmlText(raw);
}

/** Decodes the entities s3rver's XML writer (he.escape) and any numeric references produce. */
export function decodeXmlText(raw: string): string {
  return raw.replace(/&(#x[0-9a-fA-F]+|#\d+|amp|lt|gt|quot|apos);/g, (_, ent: string) => {
    if (ent.startsWith('#x')) return String.fromCodePoint(parseInt(ent.slice(2), 16));
    if (ent.startsWith('#')) return String.fromCodePoint(parseInt(ent.slice(1), 10));
    return { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" }[ent] ?? '';
  });
}
