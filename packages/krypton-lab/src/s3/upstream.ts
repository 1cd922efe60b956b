/**
 * Forwarding from the gate to s3rver over node:http (not fetch: fetch would normalise the path,
 * refuse to set some headers, and decode content encodings). Response bodies stream through with
 * back-pressure: nothing is buffered beyond the socket and stream high-water marks.
 */
import http from 'node:http';
import { Transform, type Readable } from 'node:stream';
import { S3RVER_CREDENTIALS } from './s3rver-server.ts';
import { canonicalRequest, credentialScope, formatAmzDate, signature, signingKey, stringToSign, UNSIGNED_PAYLOAD } from './sigv4.ts';

/** Where the gate forwards to. */
export interface Upstream {
  host: string;
  port: number;
  agent: http.Agent;
}

/** One request to forward. */
export interface UpstreamRequest {
  method: string;
  /** Raw path, percent-encoded as received. */
  rawPath: string;
  /** Raw query without `?` (authentication parameters already removed). */
  rawQuery: string;
  /** Headers to send (authentication headers already removed). */
  headers: Record<string, string>;
  body?: Uint8Array | undefined;
  /**
   * Sign the request with s3rver's built-in account. s3rver refuses response-header overrides
   * (`response-content-disposition`, …) on anonymous requests, so authenticated client requests
   * must reach it as authenticated too; CORS preflights and probes go anonymously.
   */
  signAsS3rver: boolean;
}

/** s3rver's answer, as a web Response-to-be. */
export interface UpstreamResponse {
  status: number;
  headers: Headers;
  body: ReadableStream<Uint8Array> | null;
}

/** Hop-by-hop headers (RFC 9110 §7.6.1) that a proxy must not pass on. */
export const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'transfer-encoding',
  'te',
  'trailer',
  'upgrade',
  'proxy-authenticate',
  'proxy-authorization',
]);

/** Sends one request to s3rver; `countBytes` sees every response body chunk as it is pulled through. */
export function forwardToUpstream(upstream: Upstream, req: UpstreamRequest, countBytes: (n: number) => void): Promise<UpstreamResponse> {
  const path = req.rawQuery === '' ? req.rawPath : `${req.rawPath}?${req.rawQuery}`;
  const headers: Record<string, string> = { ...req.headers, host: `${upstream.host}:${upstream.port}` };
  if (req.body !== undefined) headers['content-length'] = String(req.body.byteLength);
  if (req.signAsS3rver) Object.assign(headers, s3rverAuthHeaders(req.method, req.rawPath, req.rawQuery, headers.host ?? ''));

  return new Promise((resolve, reject) => {
    const outgoing = http.request(
      { host: upstream.host, port: upstream.port, method: req.method, path, headers, agent: upstream.agent },
      (res) => {
        const responseHeaders = new Headers();
        for (const [name, value] of Object.entries(res.headers)) {
          if (value === undefined || HOP_BY_HOP.has(name)) continue;
          for (const v of Array.isArray(value) ? value : [value]) responseHeaders.append(name, v);
        }
        const status = res.statusCode ?? 502;
        if (req.method === 'HEAD' || status === 204 || status === 304) {
          res.resume();
          resolve({ status, headers: responseHeaders, body: null });
          return;
        }
        const counted = res.pipe(
          new Transform({
            transform(chunk: Buffer, _encoding, done) {
              countBytes(chunk.length);
              done(null, chunk);
            },
          }),
        );
        res.on('error', (err) => counted.destroy(err));
        counted.on('close', () => {
          // The client went away mid-body: stop reading from s3rver too.
          if (!res.complete) res.destroy();
        });
        resolve({ status, headers: responseHeaders, body: webStreamOf(counted) });
      },
    );
    outgoing.on('error', reject);
    outgoing.end(req.body);
  });
}

/**
 * A Node readable as a web stream, with back-pressure (paused while the web stream's queue is full).
 * Not `Readable.toWeb`: on Node 20 a client that goes away mid-body cancels the web stream while the
 * readable still emits a buffered chunk, and its enqueue on the closed controller throws an uncaught
 * ERR_INVALID_STATE that takes the whole lab down. Here a chunk after the end or a cancel is dropped.
 */
function webStreamOf(readable: Readable): ReadableStream<Uint8Array> {
  let finished = false;
  return new ReadableStream<Uint8Array>(
    {
      start(controller) {
        readable.on('data', (chunk: Buffer) => {
          if (finished) return;
          controller.enqueue(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
          if ((controller.desiredSize ?? 0) <= 0) readable.pause();
        });
        readable.on('end', () => {
          if (finished) return;
          finished = true;
          controller.close();
        });
        readable.on('error', (err) => {
          if (finished) return;
          finished = true;
          controller.error(err);
        });
        readable.on('close', () => {
          if (finished) return;
          finished = true;
          controller.error(new Error('the upstream body ended before it was complete'));
        });
        readable.pause();
      },
      pull() {
        readable.resume();
      },
      cancel() {
        finished = true;
        readable.destroy();
      },
    },
    { highWaterMark: 4 },
  );
}

function s3rverAuthHeaders(method: string, rawPath: string, rawQuery: string, host: string): Record<string, string> {
  const now = new Date();
  const amzDate = formatAmzDate(now);
  const date = amzDate.slice(0, 8);
  const region = 'us-east-1';
  const signed = { host, 'x-amz-content-sha256': UNSIGNED_PAYLOAD, 'x-amz-date': amzDate };
  const signedHeaders = Object.keys(signed);
  const canonical = canonicalRequest({
    method,
    rawPath,
    rawQuery,
    header: (name) => signed[name as keyof typeof signed],
    signedHeaders,
    payloadHash: UNSIGNED_PAYLOAD,
  });
  const scope = credentialScope(date, region, 's3');
  const sig = signature(signingKey(S3RVER_CREDENTIALS.secretAccessKey, date, region, 's3'), stringToSign(amzDate, scope, canonical));
  return {
    authorization: `AWS4-HMAC-SHA256 Credential=${S3RVER_CREDENTIALS.accessKeyId}/${scope}, SignedHeaders=${signedHeaders.join(';')}, Signature=${sig}`,
    'x-amz-content-sha256': UNSIGNED_PAYLOAD,
    'x-amz-date': amzDate,
  };
}
