import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Lab } from '@krypton-web/krypton-lab';
import type { KryptonCognitoSource, KryptonOpenIdToken, KryptonSessionCredentials } from '@krypton-web/krypton-core';

/** The demo SIM the lab knows. */
export const IMSI = '001010000000001';

/** A Krypton source backed by the lab's identity pool, counting calls and able to fail on demand. */
export interface LabSource extends KryptonCognitoSource {
  calls: { openId: number; session: number };
  /** Most calls running at the same time, ever. */
  maxActive: number;
  /** Thrown by the next call (then cleared). */
  failNext: unknown;
  /** Added before each answer, ms. */
  delayMs: number;
  /** Replaces the token answer (expired, forged, malformed tokens). */
  tokenOverride: (() => Promise<unknown>) | undefined;
  /** Every token and secret handed out, to search traces for. */
  secrets: string[];
}

/** A Krypton source over the lab: tokens from its identity pool, direct credentials vended by it. */
export function labSource(lab: Lab, imsi = IMSI): LabSource {
  let active = 0;
  const run = async <T>(fn: () => Promise<T>): Promise<T> => {
    active += 1;
    source.maxActive = Math.max(source.maxActive, active);
    try {
      if (source.delayMs > 0) await new Promise((r) => setTimeout(r, source.delayMs));
      if (source.failNext !== undefined) {
        const e = source.failNext;
        source.failNext = undefined;
        throw e;
      }
      return await fn();
    } finally {
      active -= 1;
    }
  };
  const source: LabSource = {
    calls: { openId: 0, session: 0 },
    maxActive: 0,
    failNext: undefined,
    delayMs: 0,
    tokenOverride: undefined,
    secrets: [],
    openIdToken() {
      source.calls.openId += 1;
      return run(async () => {
        if (source.tokenOverride) return (await source.tokenOverride()) as KryptonOpenIdToken;
        const { identityId, token } = await lab.identityPool.openIdToken(imsi);
        source.secrets.push(token);
        return { region: lab.region, identityId, token };
      });
    },
    sessionCredentials() {
      source.calls.session += 1;
      return run(async (): Promise<KryptonSessionCredentials> => {
        const identityId = await lab.identityPool.identityIdFor(imsi);
        const c = lab.identityPool.vend(identityId);
        source.secrets.push(c.secretAccessKey, c.sessionToken);
        return {
          identityId,
          credentials: {
            accessKeyId: c.accessKeyId,
            secretKey: c.secretAccessKey,
            sessionToken: c.sessionToken,
            expiration: c.expiration.getTime(),
          },
        };
      });
    },
  };
  return source;
}

/** One request as a test server saw it. */
export interface SeenRequest {
  method: string;
  headers: IncomingHttpHeaders;
  body: string;
}

/** A loopback HTTP server for tests. */
export interface TestServer {
  url: string;
  seen: SeenRequest[];
  close(): Promise<void>;
}

/** A reply a canned server gives. */
export interface CannedReply {
  status: number;
  body: string;
  contentType?: string;
}

/** A server that answers every request with `reply()` and records what it got. */
export async function cannedServer(reply: (req: SeenRequest) => CannedReply | Promise<CannedReply>): Promise<TestServer> {
  const seen: SeenRequest[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const request = { method: req.method ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') };
      seen.push(request);
      void Promise.resolve(reply(request)).then((r) => {
        res.writeHead(r.status, { 'content-type': r.contentType ?? 'application/x-amz-json-1.1', date: new Date().toUTCString() });
        res.end(r.body);
      });
    });
  });
  return listen(server, seen);
}

/** A server that forwards every request to `target` and records what it forwarded. */
export function recordingProxy(target: string): Promise<TestServer> {
  return cannedServer(async (req) => {
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(req.headers))
      if (typeof v === 'string' && k !== 'host' && k !== 'content-length' && k !== 'connection') headers[k] = v;
    const res = await fetch(target, { method: req.method, headers, body: req.body });
    return { status: res.status, body: await res.text(), contentType: res.headers.get('content-type') ?? 'application/json' };
  });
}

/** A loopback URL nothing listens on (a port that was just freed). */
export async function closedPortUrl(): Promise<string> {
  const s = await listen(createServer(), []);
  await s.close();
  return s.url;
}

function listen(server: Server, seen: SeenRequest[]): Promise<TestServer> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      resolve({
        url: `http://127.0.0.1:${port}`,
        seen,
        close: () =>
          new Promise<void>((done) => {
            server.close(() => done());
            server.closeAllConnections();
          }),
      });
    });
  });
}

/** The rejection of a promise that must fail (the test fails if it succeeds). */
export async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (e) {
    return e;
  }
  throw new Error('expected a failure, but the call succeeded');
}
