/**
 * Test support: signs requests the way AWS clients do, with @smithy/signature-v4 (the AWS SDK's
 * own signer), so the gate's hand-written verifier is checked against an independent implementation.
 */
import { createHash, createHmac, type Hash, type Hmac } from 'node:crypto';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';
import type { GateRequest } from './auth-parse.ts';
import { uriEncode } from './sigv4.ts';

/** node:crypto SHA-256 / HMAC-SHA-256 in the shape @smithy/signature-v4 expects. */
export class NodeSha256 {
  readonly #hash: Hash | Hmac;
  constructor(secret?: string | ArrayBuffer | ArrayBufferView) {
    this.#hash = secret === undefined ? createHash('sha256') : createHmac('sha256', toBuffer(secret));
  }
  update(data: string | ArrayBuffer | ArrayBufferView): void {
    this.#hash.update(toBuffer(data));
  }
  digest(): Promise<Uint8Array> {
    return Promise.resolve(new Uint8Array(this.#hash.digest()));
  }
}

function toBuffer(data: string | ArrayBuffer | ArrayBufferView): Buffer {
  if (typeof data === 'string') return Buffer.from(data, 'utf8');
  if (ArrayBuffer.isView(data)) return Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  return Buffer.from(data);
}

/** Client credentials for signing. */
export interface TestCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string | undefined;
}

/** A request to sign, in the SDK's terms (path already percent-encoded, query decoded). */
export interface ClientRequest {
  method?: string;
  host?: string;
  path: string;
  query?: Record<string, string>;
  headers?: Record<string, string>;
}

function signer(credentials: TestCredentials, region: string): SignatureV4 {
  return new SignatureV4({ credentials, region, service: 's3', sha256: NodeSha256, uriEscapePath: false, applyChecksum: true });
}

function httpRequest(req: ClientRequest): HttpRequest {
  const host = req.host ?? '127.0.0.1:9000';
  return new HttpRequest({
    method: req.method ?? 'GET',
    protocol: 'http:',
    hostname: host.split(':')[0] ?? host,
    path: req.path,
    query: { ...req.query },
    headers: { host, ...req.headers },
  });
}

/** Turns a signed smithy request into what the gate sees. */
export function toGateRequest(signed: {
  method: string;
  path: string;
  query: Record<string, string | string[] | null>;
  headers: Record<string, string>;
}): GateRequest {
  const rawQuery = Object.entries(signed.query)
    .flatMap(([k, v]) =>
      v === null ? [uriEncode(k, false)] : (Array.isArray(v) ? v : [v]).map((x) => `${uriEncode(k, false)}=${uriEncode(x, false)}`),
    )
    .join('&');
  return { method: signed.method, rawPath: signed.path, rawQuery, headers: new Headers(signed.headers) };
}

/** Signs with an Authorization header, as the SDK does for every call. */
export async function signHeader(
  req: ClientRequest,
  credentials: TestCredentials,
  options: { region?: string; date?: Date; payloadHash?: string } = {},
): Promise<GateRequest> {
  const request = httpRequest(req);
  request.headers['x-amz-content-sha256'] ??= options.payloadHash ?? createHash('sha256').update('').digest('hex');
  const signed = await signer(credentials, options.region ?? 'ap-northeast-1').sign(request, { signingDate: options.date ?? new Date() });
  return toGateRequest(signed as HttpRequest);
}

/** Presigns (query authentication), as `getSignedUrl` does: S3 presigned URLs never sign a payload. */
export async function presign(
  req: ClientRequest,
  credentials: TestCredentials,
  options: { region?: string; date?: Date; expiresIn?: number } = {},
): Promise<GateRequest> {
  const request = httpRequest(req);
  request.headers['x-amz-content-sha256'] = 'UNSIGNED-PAYLOAD';
  const signed = await signer(credentials, options.region ?? 'ap-northeast-1').presign(request, {
    signingDate: options.date ?? new Date(),
    expiresIn: options.expiresIn ?? 900,
  });
  return toGateRequest(signed as HttpRequest);
}
