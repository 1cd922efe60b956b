/**
 * The SigV4 gate: an HTTP server on 127.0.0.1 in front of s3rver that authenticates every request
 * as S3 does (s3rver itself checks no SigV4 signature) and forwards what passes.
 *
 * Method policy — the product reads, and writes only under writable prefixes: GET and HEAD (objects,
 * ranged reads, bucket listings incl. ListObjectsV2, `?cors`, `?location`, `?uploads`), PUT/DELETE of a
 * bucket's `?cors` configuration, and PUT of an object under a writable prefix (`check-reports/` and
 * `uploads/` by default; its Content-MD5, when sent, checked as S3 does) with the multipart calls
 * (CreateMultipartUpload, UploadPart, CompleteMultipartUpload, AbortMultipartUpload; see
 * multipart.ts) pass after authentication. Any other authenticated request gets 405
 * `MethodNotAllowed`: a lab client that tries to write elsewhere learns it at once instead of
 * mutating shared fixtures.
 * An IAM policy in miniature: the IAM actions in `policy.deniedActions` are refused with S3's
 * AccessDenied after authentication, as a role without them would be.
 * CORS preflights (OPTIONS) are unauthenticated, as in S3, and s3rver answers them from the
 * bucket's CORS rules.
 */
import { createHash } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { serve, type HttpBindings } from '@hono/node-server';
import { Hono } from 'hono';
import { PRESIGN_QUERY_PARAMS, type GateRequest } from './auth-parse.ts';
import type { CredentialStore } from './credential-store.ts';
import { parseV1Listing, readListV2Request, renderListV2, v1QueryFor, type ListV2Request } from './list-v2.ts';
import { ObjectIntegrityStore, partRange, type ObjectIntegrity } from './object-integrity.ts';
import { newRequestIds, S3Error, type RequestIds } from './s3-error.ts';
import { EMPTY_SHA256, parseQuery, sha256Hex } from './sigv4.ts';
import { forwardToUpstream, HOP_BY_HOP, type Upstream, type UpstreamResponse } from './upstream.ts';
import { LinkShaper } from './link-shaping.ts';
import { RangePersonality } from './range-personality.ts';
import { verifyRequest } from './verify.ts';
import { MAX_COMPLETE_BODY, MultipartUploads } from './multipart.ts';

/** A shared clock (the lab's `LabClock` fits): milliseconds since the epoch. */
export interface TimeSource {
  now(): number;
}

/** Faults shared with the rest of the lab (the lab's `Faults` fits), read on every request. */
export interface SharedFaults {
  readonly latencyMs: number;
  readonly errorStatus: number;
  shouldFail(service: 's3'): boolean;
}

/** How to build a gate. */
export interface GateOptions {
  /** s3rver's address, or its promise while s3rver starts: requests wait for it (and fail with 503 if it never comes). */
  upstream: { host: string; port: number } | Promise<{ host: string; port: number }>;
  credentials: CredentialStore;
  /** Region the credential scope must name (S3 answers a wrong one with AuthorizationHeaderMalformed); `undefined` accepts any. */
  region: string | undefined;
  /** Time source; the machine clock by default. The gate's own clock offset is added to it. */
  clock?: TimeSource | undefined;
  /** Lab-wide faults (latency, injected errors), added to the gate's own. */
  sharedFaults?: SharedFaults | undefined;
  /** Port on 127.0.0.1; 0 (default) picks a free one. */
  port?: number | undefined;
  /** Key prefixes an object may be PUT under (Check SIMs reports, uploads); default DEFAULT_WRITABLE_PREFIXES. */
  writablePrefixes?: readonly string[] | undefined;
  /**
   * What S3 knows of objects beyond their bytes (multipart parts, additional checksums): GET and HEAD
   * answer `partNumber`, `x-amz-checksum-mode` and the ETag from it, as S3 does (s3rver knows none of them).
   */
  integrity?: ObjectIntegrityStore | undefined;
  /** Where s3rver keeps a multipart upload's parts, removed on Abort (see MultipartUploads). */
  partsDir?: ((bucket: string, uploadId: string) => string) | undefined;
  /** Per-connection throughput cap, added round trip and the connection-drop fault (none by default). */
  link?: LinkShaper | undefined;
  /** Whether ranged object GETs are answered 200 with the whole object, as some S3-compatible servers and proxies do (off by default). */
  ranges?: RangePersonality | undefined;
}

/** The IAM actions the gate refuses (AccessDenied), changeable while it runs: a role without them. */
export interface GatePolicy {
  deniedActions: Set<string>;
}

/** Where the lab lets clients write objects: the folder the web app and the CLI upload batch reports to. */
export const DEFAULT_WRITABLE_PREFIXES: readonly string[] = ['check-reports/', 'uploads/'];

/** Faults the rest of the lab can inject, changeable while the gate runs. */
export interface GateFaults {
  /** Added before each request is handled, in ms. */
  latencyMs: number;
  /** Added to the real clock when judging request times and credential expiry, in ms. */
  clockOffsetMs: number;
}

/** Counters for tests and benchmarks. */
export interface GateStats {
  requests: number;
  rejected: number;
  /** Response-body bytes pulled from s3rver (grows only as fast as clients read). */
  upstreamBodyBytes: number;
}

/** A running gate. */
export interface S3Gate {
  /** `http://127.0.0.1:<port>`: the S3 endpoint clients use (path-style). */
  readonly url: string;
  readonly faults: GateFaults;
  readonly policy: GatePolicy;
  /** The link's shaping and its connection-drop fault. */
  readonly link: LinkShaper;
  /** The personality that ignores Range on object GETs. */
  readonly ranges: RangePersonality;
  stats(): GateStats;
  close(): Promise<void>;
}

/** Largest bucket CORS document accepted (S3's limit for bucket configuration bodies). */
const MAX_CONFIG_BODY = 64 * 1024;
/** Largest object the lab accepts in one PUT (a report of thousands of SIMs is well under it). */
const MAX_OBJECT_BODY = 16 * 1024 * 1024;

/** Request headers that carry authentication; never forwarded to s3rver. */
const AUTH_HEADERS = new Set(['authorization', 'x-amz-date', 'x-amz-security-token', 'x-amz-content-sha256']);

/** Builds the gate's hono app (usable without a socket through `app.request`). */
export function createGateApp(
  options: GateOptions,
  faults: GateFaults,
  upstream: Upstream,
  stats: GateStats,
  upstreamReady: Promise<void> = Promise.resolve(),
  policy: GatePolicy = { deniedActions: new Set() },
  multipart: MultipartUploads = new MultipartUploads(options.partsDir),
): Hono<{ Bindings: Partial<HttpBindings> }> {
  // Objects uploaded in parts through the gate join the seeded ones here, so they answer as S3's do.
  const integrity = options.integrity ?? new ObjectIntegrityStore();
  const app = new Hono<{ Bindings: Partial<HttpBindings> }>();
  const link = options.link ?? new LinkShaper();
  app.all('*', async (c) => {
    stats.requests++;
    const shared = options.sharedFaults;
    const latency = faults.latencyMs + (shared?.latencyMs ?? 0);
    if (latency > 0) await new Promise((resolve) => setTimeout(resolve, latency));
    await link.roundTrip();
    const ids = newRequestIds();
    const now = new Date((options.clock?.now() ?? Date.now()) + faults.clockOffsetMs);
    const raw = c.env?.incoming?.url ?? new URL(c.req.url).pathname + new URL(c.req.url).search;
    const q = raw.indexOf('?');
    const req: GateRequest = {
      method: c.req.method.toUpperCase(),
      rawPath: q < 0 ? raw : raw.slice(0, q),
      rawQuery: q < 0 ? '' : raw.slice(q + 1),
      headers: c.req.raw.headers,
    };
    try {
      if (shared !== undefined && req.method !== 'OPTIONS' && shared.shouldFail('s3')) throw injectedFault(shared.errorStatus);
      rejectDotSegments(req.rawPath);
      await upstreamReady.catch(() => {
        throw new S3Error('ServiceUnavailable', 'The lab could not start its S3 backend. Restart the lab.');
      });
      const upstreamResponse = await handle(req, c.req.raw, now, options, upstream, stats, policy, multipart, integrity);
      const isObjectBody =
        req.method === 'GET' && upstreamResponse.body !== null && upstreamResponse.status < 300 && isObjectPath(req.rawPath);
      if (isObjectBody) {
        // Requests on one kept-alive connection share its cap; app.request (no socket) gets one per request.
        const socket = c.env?.incoming?.socket;
        upstreamResponse.body = link.shape(upstreamResponse.body!, socket ?? {}, () => socket?.destroy() !== undefined);
      }
      return toResponse(upstreamResponse, ids, now);
    } catch (err) {
      stats.rejected++;
      const s3err = err instanceof S3Error ? err : new S3Error('InternalError', 'We encountered an internal error. Please try again.');
      return errorResponse(s3err, req, ids, now, upstream);
    }
  });
  return app;
}

/** Starts the gate on 127.0.0.1 (ephemeral port) in front of s3rver. */
export async function startS3Gate(options: GateOptions): Promise<S3Gate> {
  const faults: GateFaults = { latencyMs: 0, clockOffsetMs: 0 };
  const stats: GateStats = { requests: 0, rejected: 0, upstreamBodyBytes: 0 };
  const upstream: Upstream = { host: '', port: 0, agent: new http.Agent({ keepAlive: true }) };
  const upstreamReady = Promise.resolve(options.upstream).then((u) => {
    upstream.host = u.host;
    upstream.port = u.port;
  });
  // Awaited by every request; this keeps a failed start from being reported as unhandled first.
  upstreamReady.catch(() => undefined);
  const policy: GatePolicy = { deniedActions: new Set() };
  const link = options.link ?? new LinkShaper();
  const ranges = options.ranges ?? new RangePersonality();
  const app = createGateApp({ ...options, link, ranges }, faults, upstream, stats, upstreamReady, policy);
  const server = await new Promise<ReturnType<typeof serve>>((resolve) => {
    // overrideGlobalObjects: false keeps the adapter from replacing globalThis.Request/Response in the lab's process.
    const s = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: options.port ?? 0, overrideGlobalObjects: false }, () => resolve(s));
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    faults,
    policy,
    link,
    ranges,
    stats: () => ({ ...stats }),
    close: async () => {
      const closed = new Promise<void>((resolve, reject) => server.close((err) => (err ? reject(err) : resolve())));
      if ('closeAllConnections' in server) server.closeAllConnections();
      upstream.agent.destroy();
      await closed;
    },
  };
}

/**
 * s3rver maps keys onto file paths with path.join, so a `..` segment would reach outside its
 * data directory. S3 would treat it as an ordinary key; the lab refuses it instead (no fixture
 * uses one).
 */
function rejectDotSegments(rawPath: string): void {
  if (hasDotSegment(rawPath)) throw new S3Error('InvalidURI', "Couldn't parse the specified URI.", { URI: rawPath });
}

function hasDotSegment(rawPath: string): boolean {
  return rawPath
    .split('/')
    .flatMap((segment) => safeDecode(segment).split(/[\\/]/))
    .some((part) => part === '.' || part === '..');
}

function injectedFault(status: number): S3Error {
  const message = `Injected fault: the lab answered ${status} on purpose`;
  // 503 is how S3 throttles (SlowDown); other statuses keep S3's error shape with the lab's status.
  return status === 503
    ? new S3Error('SlowDown', `Please reduce your request rate. (${message})`)
    : new S3Error('InternalError', message, {}, status);
}

async function handle(
  req: GateRequest,
  raw: Request,
  now: Date,
  options: GateOptions,
  upstream: Upstream,
  stats: GateStats,
  policy: GatePolicy,
  multipart: MultipartUploads,
  integrity: ObjectIntegrityStore,
): Promise<UpstreamResponse> {
  const count = (n: number): void => {
    stats.upstreamBodyBytes += n;
  };
  if (req.method === 'OPTIONS') {
    const answer = await forwardToUpstream(
      upstream,
      // A preflight is never authenticated in S3, even to a presigned URL; s3rver checks the query's signature.
      {
        method: 'OPTIONS',
        rawPath: req.rawPath,
        rawQuery: withoutQueryAuth(req.rawQuery),
        headers: forwardHeaders(req.headers),
        signAsS3rver: false,
      },
      count,
    );
    // S3 tells the browser how long to remember a preflight (the rule's MaxAgeSeconds); s3rver 3.7.1
    // puts Access-Control-Max-Age on the other answers instead, where browsers ignore it. Without it
    // every ranged read of a download would pay a second round trip.
    const asked = req.headers.get('access-control-request-method');
    if (answer.status === 200 && asked !== null) {
      const maxAge = (await corsHeadersFor(req, upstream, asked)).find(([name]) => name === 'access-control-max-age');
      if (maxAge) answer.headers.set(...maxAge);
    }
    return answer;
  }

  // S3 says a bucket does not exist before it looks at who asks (an anonymous HEAD learns it too).
  const named = req.rawPath.split('/').find((s) => s !== '');
  if (named !== undefined && !(await bucketExists(upstream, named)))
    throw new S3Error('NoSuchBucket', 'The specified bucket does not exist', { BucketName: safeDecode(named) });

  verifyRequest(req, { credentials: options.credentials, now, region: options.region });
  const query = parseQuery(req.rawQuery);
  const segments = req.rawPath.split('/').filter((s) => s !== '');
  const bucket = segments[0];
  const isBucketPath = segments.length === 1;
  const has = (name: string): boolean => query.some(([n]) => n === name);
  const action = iamActionFor(req.method, segments.length, has);
  if (policy.deniedActions.has(action)) throw new S3Error('AccessDenied', 'Access Denied');
  const key = segments.slice(1).map(safeDecode).join('/');
  const bucketName = safeDecode(bucket ?? '');
  const uploadId = query.find(([n]) => n === 'uploadId')?.[1];
  const writable = isWritableObject(segments, query, options.writablePrefixes ?? DEFAULT_WRITABLE_PREFIXES);

  let body: Uint8Array | undefined;
  const declaredHash = req.headers.get('x-amz-content-sha256');
  if (req.method === 'PUT' && isBucketPath && has('cors')) {
    const length = Number(req.headers.get('content-length') ?? 'NaN');
    if (!(length <= MAX_CONFIG_BODY))
      throw new S3Error('InvalidRequest', 'The CORS configuration must be sent with a Content-Length of at most 64 KB.');
    body = new Uint8Array(await raw.arrayBuffer());
  } else if (req.method === 'PUT' && writable) {
    const length = Number(req.headers.get('content-length') ?? 'NaN');
    if (!(length <= MAX_OBJECT_BODY))
      throw new S3Error('InvalidRequest', 'The lab takes objects (and parts) of at most 16 MiB, sent with a Content-Length.');
    if (uploadId !== undefined) multipart.require(uploadId, bucketName, key);
    body = new Uint8Array(await raw.arrayBuffer());
    checkContentMd5(req.headers.get('content-md5'), body);
  } else if (req.method === 'POST' && writable && (has('uploads') || uploadId !== undefined)) {
    if (uploadId !== undefined) {
      const length = Number(req.headers.get('content-length') ?? 'NaN');
      if (!(length <= MAX_COMPLETE_BODY))
        throw new S3Error('InvalidRequest', 'The Complete request must be at most 1 MiB, sent with a Content-Length.');
      body = new Uint8Array(await raw.arrayBuffer());
    } else body = new Uint8Array(0);
  } else if (req.method === 'DELETE' && writable && uploadId !== undefined) {
    await multipart.abort(uploadId, bucketName, key);
    return { status: 204, headers: new Headers(await corsHeadersFor(req, upstream)), body: null };
  } else if (req.method === 'GET' && isBucketPath && has('uploads')) {
    const prefix = query.find(([n]) => n === 'prefix')?.[1] ?? '';
    const headers = new Headers(await corsHeadersFor(req, upstream));
    headers.set('content-type', 'application/xml');
    return { status: 200, headers, body: new Response(multipart.listXml(bucketName, prefix)).body };
  } else if (!(req.method === 'GET' || req.method === 'HEAD' || (req.method === 'DELETE' && isBucketPath && has('cors')))) {
    throw new S3Error('MethodNotAllowed', 'The specified method is not allowed against this resource.', {
      Method: req.method,
      ResourceType: segments.length === 0 ? 'SERVICE' : isBucketPath ? 'BUCKET' : 'OBJECT',
    });
  }
  // A header-signed payload hash must match the body actually sent (empty for reads).
  if (declaredHash !== null && /^[0-9a-f]{64}$/.test(declaredHash)) {
    const actual = sha256Hex(body ?? new Uint8Array(0));
    if (actual !== declaredHash) {
      throw new S3Error('XAmzContentSHA256Mismatch', "The provided 'x-amz-content-sha256' header does not match what was computed.", {
        ClientComputedContentSHA256: declaredHash,
        S3ComputedContentSHA256: body === undefined ? EMPTY_SHA256 : actual,
      });
    }
  }

  const forwardQuery = stripPresignParams(req.rawQuery);
  if (req.method === 'GET' && isBucketPath && bucket !== undefined && query.some(([n, v]) => n === 'list-type' && v === '2')) {
    return listV2(readListV2Request(safeDecode(bucket), query), req, upstream, count, integrity);
  }
  const headers = forwardHeaders(req.headers);
  // The personality answers as if no Range was sent; a `partNumber` read is S3's own, and HEAD has no body to cut.
  if (req.method === 'GET' && segments.length > 1 && headers.range !== undefined && !has('partNumber') && options.ranges?.takeIgnore())
    delete headers.range;
  if (segments.length > 1 && headers.range !== undefined) headers.range = await resolveSuffixRange(headers.range, req.rawPath, upstream);
  if ((req.method === 'GET' || req.method === 'HEAD') && segments.length > 1 && bucket !== undefined) {
    return readObject(req, forwardQuery, headers, integrity.get(bucketName, key), upstream, count);
  }
  const complete = req.method === 'POST' && uploadId !== undefined;
  const completion = complete ? multipart.checkComplete(uploadId, bucketName, key, new TextDecoder().decode(body)) : undefined;
  const res = await forwardToUpstream(
    upstream,
    { method: req.method, rawPath: req.rawPath, rawQuery: forwardQuery, headers, body, signAsS3rver: true },
    count,
  );
  if (res.status !== 200 || segments.length < 2) return res;
  if (req.method === 'POST' && has('uploads')) {
    const xml = await new Response(res.body).text();
    const id = /<UploadId>([^<]+)<\/UploadId>/.exec(xml)?.[1];
    if (id !== undefined) multipart.started(id, bucketName, key, now);
    return withBody(res, xml);
  }
  if (req.method === 'PUT' && uploadId !== undefined && body !== undefined) {
    const part = Number(query.find(([n]) => n === 'partNumber')?.[1]);
    multipart.partStored(uploadId, bucketName, key, part, body);
    return res;
  }
  if (complete && completion !== undefined) {
    const { etag, partSizes } = completion;
    multipart.completed(uploadId);
    // From now on GET, HEAD (`partNumber` too) and listings answer for the object as S3 does for a multipart upload.
    integrity.set(bucketName, key, { etag, size: partSizes.reduce((a, b) => a + b, 0), partSizes });
    const xml = (await new Response(res.body).text()).replace(/<ETag>[^<]*<\/ETag>/, `<ETag>${etag.replace(/"/g, '&quot;')}</ETag>`);
    return withBody(res, xml);
  }
  // A single PUT replaces the object: s3rver's plain MD5 is its ETag again.
  if (req.method === 'PUT') integrity.delete(bucketName, key);
  return res;
}

/** The IAM action a request needs (what a role's policy must allow). */
export function iamActionFor(method: string, depth: number, has: (name: string) => boolean): string {
  if (depth <= 1) {
    if (has('cors')) return method === 'GET' || method === 'HEAD' ? 's3:GetBucketCORS' : 's3:PutBucketCORS';
    if (has('location')) return 's3:GetBucketLocation';
    if (has('uploads')) return 's3:ListBucketMultipartUploads';
    return 's3:ListBucket';
  }
  if (method === 'GET' || method === 'HEAD') return 's3:GetObject';
  if (method === 'DELETE') return has('uploadId') ? 's3:AbortMultipartUpload' : 's3:DeleteObject';
  return 's3:PutObject';
}

function withBody(res: UpstreamResponse, text: string): UpstreamResponse {
  const headers = new Headers(res.headers);
  headers.set('content-length', String(Buffer.byteLength(text)));
  return { status: res.status, headers, body: new Response(text).body };
}

/**
 * GET or HEAD of an object, with what s3rver lacks: `partNumber` (that part's bytes as a 206 with
 * Content-Range, and `x-amz-mp-parts-count` for a multipart object), the multipart ETag, `If-Match`,
 * and with `x-amz-checksum-mode: ENABLED` the object's checksum (a part's own for a composite one;
 * none for a Range read, which S3 does not checksum).
 */
async function readObject(
  req: GateRequest,
  forwardQuery: string,
  headers: Record<string, string>,
  integrity: ObjectIntegrity | undefined,
  upstream: Upstream,
  count: (n: number) => void,
): Promise<UpstreamResponse> {
  const asked = parseQuery(forwardQuery).find(([n]) => n === 'partNumber')?.[1];
  const rangeAsked = headers.range !== undefined;
  const multipart = integrity !== undefined && integrity.partSizes.length > 0;
  let part: number | undefined;
  let rawQuery = forwardQuery;
  if (asked !== undefined) {
    part = Number(asked);
    if (!/^\d+$/.test(asked) || part < 1 || part > 10_000)
      throw new S3Error('InvalidArgument', 'Part number must be an integer between 1 and 10000, inclusive', {
        ArgumentName: 'partNumber',
        ArgumentValue: asked,
      });
    if (rangeAsked) throw new S3Error('InvalidRequest', 'Cannot specify both Range header and partNumber query parameter.');
    rawQuery = forwardQuery
      .split('&')
      .filter((p) => !p.startsWith('partNumber='))
      .join('&');
    // A single-part object is its own part 1.
    const range = multipart ? partRange(integrity, part) : part === 1 ? { start: 0, end: undefined } : undefined;
    if (range === undefined) {
      // A key that does not exist is NoSuchKey, whatever part is asked.
      const missing =
        integrity === undefined
          ? await forwardToUpstream(
              upstream,
              { method: req.method, rawPath: req.rawPath, rawQuery, headers: {}, signAsS3rver: true },
              count,
            )
          : undefined;
      if (missing !== undefined && missing.status === 404) return missing;
      await missing?.body?.cancel();
      throw new S3Error('InvalidPartNumber', 'The requested partnumber is not satisfiable', {
        PartNumberRequested: asked,
        ActualPartCount: String(multipart ? integrity.partSizes.length : 1),
      });
    }
    headers.range = `bytes=${range.start}-${range.end ?? ''}`;
  }
  // An archived object answers a HEAD, but its bytes only after a restore.
  if (integrity?.storageClass !== undefined && req.method === 'GET') {
    throw new S3Error('InvalidObjectState', "The operation is not valid for the object's storage class", {
      StorageClass: integrity.storageClass,
    });
  }
  const res = await forwardToUpstream(upstream, { method: req.method, rawPath: req.rawPath, rawQuery, headers, signAsS3rver: true }, count);
  if (res.status !== 200 && res.status !== 206) return res;
  const out = new Headers(res.headers);
  if (integrity !== undefined) out.set('etag', integrity.etag);
  if (integrity?.storageClass !== undefined) out.set('x-amz-storage-class', integrity.storageClass);
  if (integrity?.encryption !== undefined) out.set('x-amz-server-side-encryption', integrity.encryption);
  const ifMatch = req.headers.get('if-match');
  const etag = out.get('etag');
  if (ifMatch !== null && etag !== null && !ifMatch.split(',').some((t) => t.trim() === '*' || unquote(t) === unquote(etag))) {
    await res.body?.cancel();
    throw new S3Error('PreconditionFailed', 'At least one of the pre-conditions you specified did not hold', { Condition: 'If-Match' });
  }
  if (part !== undefined && multipart) out.set('x-amz-mp-parts-count', String(integrity.partSizes.length));
  const checksum = integrity?.checksum;
  if (checksum !== undefined && !rangeAsked && req.headers.get('x-amz-checksum-mode')?.toUpperCase() === 'ENABLED') {
    const value =
      part === undefined || !multipart ? checksum.value : checksum.type === 'COMPOSITE' ? checksum.partValues[part - 1] : undefined;
    if (value !== undefined) {
      out.set(`x-amz-checksum-${checksum.algorithm.toLowerCase()}`, value);
      out.set('x-amz-checksum-type', checksum.type);
    }
  }
  return { status: res.status, headers: out, body: res.body };
}

function unquote(etag: string): string {
  return etag.trim().replace(/^W\//, '').replace(/^"|"$/g, '');
}

/** Whether a raw path names an object (bucket and key), not a bucket. */
function isObjectPath(rawPath: string): boolean {
  return rawPath.split('/').filter((s) => s !== '').length > 1;
}

/**
 * s3rver 3.7.1 reads a suffix range `bytes=-N` (the last N bytes) as `bytes=0-N`. The gate
 * rewrites it to the equivalent `bytes=<size-N>-` using the object's size from s3rver.
 */
async function resolveSuffixRange(range: string, rawPath: string, upstream: Upstream): Promise<string> {
  const suffix = /^bytes=-(\d+)$/.exec(range.trim());
  if (suffix === null) return range;
  const n = Number(suffix[1]);
  const head = await forwardToUpstream(upstream, { method: 'HEAD', rawPath, rawQuery: '', headers: {}, signAsS3rver: true }, () => {});
  const size = Number(head.headers.get('content-length'));
  if (head.status !== 200 || !Number.isSafeInteger(size)) return range;
  if (n === 0 || size === 0) {
    throw new S3Error('InvalidRange', 'The requested range is not satisfiable', { RangeRequested: range, ActualObjectSize: String(size) });
  }
  return `bytes=${Math.max(0, size - n)}-`;
}

async function listV2(
  listReq: ListV2Request,
  req: GateRequest,
  upstream: Upstream,
  count: (n: number) => void,
  integrity: ObjectIntegrityStore,
): Promise<UpstreamResponse> {
  const res = await forwardToUpstream(
    upstream,
    { method: 'GET', rawPath: req.rawPath, rawQuery: v1QueryFor(listReq), headers: forwardHeaders(req.headers), signAsS3rver: true },
    count,
  );
  if (res.status !== 200 || res.body === null) return res;
  const v1 = await new Response(res.body).text();
  const page = parseV1Listing(v1);
  // A listing shows the ETag S3 would (a multipart upload's `…-N`), not the MD5 s3rver computed.
  for (const o of page.contents) {
    const known = integrity.get(listReq.bucket, o.key);
    o.etag = known?.etag ?? o.etag;
    o.storageClass = known?.storageClass ?? o.storageClass;
  }
  const xml = renderListV2(listReq, page);
  const headers = new Headers(res.headers);
  headers.set('content-length', String(Buffer.byteLength(xml)));
  headers.set('content-type', 'application/xml');
  return { status: 200, headers, body: new Response(xml).body };
}

/** A plain object or a multipart call on one (no ACL or tagging subresource) whose key lies under a writable prefix. */
function isWritableObject(segments: string[], query: [string, string][], prefixes: readonly string[]): boolean {
  if (segments.length < 2 || query.some(([n]) => !MULTIPART_QUERY.has(n))) return false;
  const key = segments.slice(1).map(safeDecode).join('/');
  return prefixes.some((p) => key.startsWith(p) && key.length > p.length);
}

/** S3's Content-MD5 check: the base64 MD5 of the body, or the request fails (InvalidDigest, BadDigest). */
function checkContentMd5(header: string | null, body: Uint8Array): void {
  if (header === null) return;
  if (!/^[A-Za-z0-9+/]{22}==$/.test(header.trim())) throw new S3Error('InvalidDigest', 'The Content-MD5 you specified is not valid.');
  const actual = createHash('md5').update(body).digest('base64');
  if (actual !== header.trim())
    throw new S3Error('BadDigest', 'The Content-MD5 you specified did not match what we received.', {
      ExpectedDigest: header.trim(),
      CalculatedDigest: actual,
    });
}

/** Query parameters a writable object's requests may carry (the SDK's `x-id` and the multipart calls'). */
const MULTIPART_QUERY = new Set(['x-id', 'uploads', 'uploadId', 'partNumber']);

function forwardHeaders(headers: Headers): Record<string, string> {
  const out: Record<string, string> = {};
  headers.forEach((value, name) => {
    if (name !== 'host' && !HOP_BY_HOP.has(name) && !AUTH_HEADERS.has(name)) out[name] = value;
  });
  return out;
}

function stripPresignParams(rawQuery: string): string {
  if (rawQuery === '') return '';
  const drop = new Set<string>(PRESIGN_QUERY_PARAMS);
  return rawQuery
    .split('&')
    .filter((part) => {
      const eq = part.indexOf('=');
      const name = eq < 0 ? part : part.slice(0, eq);
      return part !== '' && !drop.has(safeDecode(name));
    })
    .join('&');
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

function toResponse(res: UpstreamResponse, ids: RequestIds, now: Date): Response {
  const headers = new Headers(res.headers);
  // The gate's clock (with any simulated skew) is the server's clock: SDKs correct skew from Date.
  headers.set('date', now.toUTCString());
  if (!headers.has('x-amz-request-id')) headers.set('x-amz-request-id', ids.requestId);
  if (!headers.has('x-amz-id-2')) headers.set('x-amz-id-2', ids.hostId);
  return new Response(res.body, { status: res.status, headers });
}

async function errorResponse(err: S3Error, req: GateRequest, ids: RequestIds, now: Date, upstream: Upstream): Promise<Response> {
  const headers = new Headers({
    'content-type': 'application/xml',
    date: now.toUTCString(),
    'x-amz-request-id': ids.requestId,
    'x-amz-id-2': ids.hostId,
  });
  // A bucket that does not exist has no CORS rules: S3's NoSuchBucket carries no CORS headers, and a
  // browser reading it sees a network error (the page must find out otherwise that the name is wrong).
  if (err.code !== 'NoSuchBucket') for (const [name, value] of await corsHeadersFor(req, upstream)) headers.set(name, value);
  if (req.method === 'HEAD') return new Response(null, { status: err.status, headers });
  return new Response(err.toXml(ids), { status: err.status, headers });
}

/** Buckets s3rver has been seen to hold, per upstream (the lab never deletes one): one HEAD per bucket, not per request. */
const seenBuckets = new WeakMap<Upstream, Set<string>>();

/** Whether s3rver holds the bucket (raw path segment, as received). */
async function bucketExists(upstream: Upstream, rawBucket: string): Promise<boolean> {
  const seen = seenBuckets.get(upstream) ?? new Set<string>();
  seenBuckets.set(upstream, seen);
  if (seen.has(rawBucket)) return true;
  const probe = await forwardToUpstream(
    upstream,
    { method: 'HEAD', rawPath: `/${rawBucket}`, rawQuery: '', headers: {}, signAsS3rver: true },
    () => {},
  );
  await probe.body?.cancel();
  if (probe.status === 404) return false;
  seen.add(rawBucket);
  return true;
}

/** The query without a presigned URL's authentication (X-Amz-Algorithm, -Credential, -Signature…). */
function withoutQueryAuth(rawQuery: string): string {
  return rawQuery
    .split('&')
    .filter((p) => p !== '' && !/^x-amz-/i.test(p))
    .join('&');
}

/**
 * The CORS headers s3rver would have put on a response to this request (to `method`, for a
 * preflight). S3 adds them to its
 * error responses too, and a browser cannot read a 403 without them, so for an error the gate
 * produces itself it asks s3rver with an anonymous HEAD carrying the same Origin (s3rver's CORS
 * step honours Access-Control-Request-Method on any request) and copies what comes back.
 */
async function corsHeadersFor(req: GateRequest, upstream: Upstream, method = req.method): Promise<Array<[string, string]>> {
  const origin = req.headers.get('origin');
  const bucket = req.rawPath.split('/').find((s) => s !== '');
  if (origin === null || bucket === undefined || hasDotSegment(bucket)) return [];
  try {
    // CORS rules are per bucket; probing a fixed key avoids making s3rver list the bucket.
    const probe = await forwardToUpstream(
      upstream,
      {
        method: 'HEAD',
        rawPath: `/${bucket}/cors-probe`,
        rawQuery: '',
        headers: { origin, 'access-control-request-method': method },
        signAsS3rver: false,
      },
      () => {},
    );
    const out: Array<[string, string]> = [];
    probe.headers.forEach((value, name) => {
      if (name.startsWith('access-control-') || name === 'vary') out.push([name, value]);
    });
    return out;
  } catch {
    return [];
  }
}
