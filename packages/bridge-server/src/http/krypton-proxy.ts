import { isValidKeyId, readBodyWithin } from '@krypton-web/krypton-core';
import { Hono, type Context } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import type { ApprovalStore } from '../security/approvals.ts';
import type { OriginPolicy } from '../security/origin-policy.ts';
import { errorFacts, type Logger } from '../log.ts';
import type { ProxyRecording } from '../record/proxy-recording.ts';
import { BridgeHttpError, type UpstreamReason } from './http-error.ts';

/** SORACOM's Krypton endpoints, by the names the page uses. */
export const SORACOM_TARGETS = {
  global: 'https://g.api.soracom.io',
  japan: 'https://api.soracom.io',
  cellular: 'https://krypton.soracom.io:8036',
} as const;

/** Largest request body forwarded (Krypton requests are small JSON). */
export const MAX_PROXY_BODY = 64 * 1024;
/** Largest answer passed back. */
export const MAX_PROXY_ANSWER = 1024 * 1024;

const FORWARDED_REQUEST_HEADERS = ['content-type', 'x-soracom-timestamp', 'x-soracom-digest-algorithm', 'x-soracom-signature'];
const KEYS_START_PATH = /^\/v1\/keys$/;
// The keyId segment as encodeURIComponent writes it, plus the sub-delimiters a path may carry raw
// (a keyId of 256 characters percent-encoded as UTF-8 takes up to 12 characters each: 4 bytes, `%XX` each).
const VERIFY_PATH = /^\/v1\/keys\/([A-Za-z0-9\-_.!~*'()%:@$&+,;=]{1,3072})\/verify$/;
const PROVISIONING_PATH = /^\/v1\/provisioning(?:\/[A-Za-z0-9._~%:-]{1,200}){1,6}$/;
export const TOKEN_HEADER = 'x-krypton-bridge-token';
/** The forwarded answer's header naming the upstream host, so the page can say who answered (not the bridge). */
export const UPSTREAM_HOST_HEADER = 'X-Krypton-Upstream-Host';

/** What the proxy may reach: SORACOM's hosts, plus the lab in demo mode. */
export type ProxyTargets = Record<string, string>;

/**
 * The narrow proxy to Krypton for pages that cannot call it directly (SORACOM sends no CORS headers
 * for a local origin): POST only, only Keys and Provisioning paths, only to the configured hosts,
 * only Content-Type and the x-soracom-* headers forwarded, bodies bounded, nothing else.
 */
export function kryptonProxy(options: {
  targets: ProxyTargets;
  origins: OriginPolicy;
  approvals: ApprovalStore;
  log: Logger;
  fetch?: typeof fetch;
  timeoutMs?: number;
  /** `--record DIR`: each forwarded call's method, URL, status, header names and time (no bodies, no values). */
  recording?: ProxyRecording;
}): Hono {
  const app = new Hono();
  const doFetch = options.fetch ?? fetch;

  // Every answer depends on the Origin (allowed or not, echoed or not): caches must key on it.
  app.use('*', async (c, next) => {
    await next();
    c.res.headers.set('Vary', 'Origin');
  });

  const standingOf = (c: Context) => options.origins.standing(c.req.header('origin'));

  app.options('/:target/*', (c) => {
    const origin = c.req.header('origin');
    if (standingOf(c) !== 'approved' || !origin) return c.body(null, 403);
    c.header('Access-Control-Allow-Origin', origin);
    c.header('Vary', 'Origin');
    c.header('Access-Control-Allow-Methods', 'POST');
    c.header('Access-Control-Allow-Headers', [...FORWARDED_REQUEST_HEADERS, TOKEN_HEADER].join(', '));
    c.header('Access-Control-Max-Age', '600');
    return c.body(null, 204);
  });

  app.post(
    '/:target/*',
    bodyLimit({
      maxSize: MAX_PROXY_BODY,
      onError: (c) => c.json({ code: 'TOO_LARGE', message: `Request bodies are limited to ${MAX_PROXY_BODY} bytes` }, 413),
    }),
    async (c) => {
      const origin = c.req.header('origin');
      const standing = standingOf(c);
      if (standing === 'unknown') return c.json({ code: 'FORBIDDEN', message: 'This page may not use the bridge' }, 403);
      if (standing === 'approved') {
        if (!options.approvals.accepts(origin!, c.req.header(TOKEN_HEADER)))
          return c.json({ code: 'FORBIDDEN', message: 'Missing or revoked approval token' }, 403);
        c.header('Access-Control-Allow-Origin', origin);
        c.header('Access-Control-Expose-Headers', `Date, ${UPSTREAM_HOST_HEADER}`);
        c.header('Vary', 'Origin');
      }
      const base = Object.hasOwn(options.targets, c.req.param('target')) ? options.targets[c.req.param('target')] : undefined;
      if (!base) return c.json({ code: 'NOT_FOUND', message: `No Krypton endpoint named "${c.req.param('target')}"` }, 404);
      const prefix = `/krypton/${c.req.param('target')}`;
      const path = new URL(c.req.url).pathname.slice(prefix.length);
      if (!allowedPath(path) || new URL(c.req.url).search)
        return c.json({ code: 'NOT_FOUND', message: 'The bridge forwards only Krypton key and provisioning calls' }, 404);

      const headers: Record<string, string> = {};
      for (const name of FORWARDED_REQUEST_HEADERS) {
        const v = c.req.header(name);
        if (v !== undefined) headers[name] = v;
      }
      const target = c.req.param('target');
      const host = new URL(base).host;
      const shownPath = path.replace(/\/v1\/keys\/[^/]+\/verify/, '/v1/keys/{keyId}/verify');
      const body = await readRequestBody(c);
      const started = performance.now();
      const timeoutMs = options.timeoutMs ?? 20_000;
      const signal = AbortSignal.timeout(timeoutMs);
      const recorded = options.recording?.begin({ origin, ...callFacts(path, body) }, (input, init) => doFetch(input, init));
      let upstream: Response;
      try {
        upstream = await (recorded?.fetch ?? doFetch)(`${base}${path}`, { method: 'POST', headers, body, redirect: 'manual', signal });
      } catch (e) {
        await recorded?.finish({});
        throw upstreamFailure(e, {
          target,
          host,
          path: shownPath,
          phase: 'connect',
          timeoutMs,
          ms: Math.round(performance.now() - started),
        });
      }
      // The answer's body arrives after its head: a reset, a stall or a corrupt encoding shows up only here.
      let answer: Awaited<ReturnType<typeof readBodyWithin>>;
      try {
        answer = await readBodyWithin(upstream, MAX_PROXY_ANSWER);
      } catch (e) {
        await recorded?.finish({});
        throw upstreamFailure(e, {
          target,
          host,
          path: shownPath,
          phase: 'body',
          upstreamStatus: upstream.status,
          timeoutMs,
          ms: Math.round(performance.now() - started),
        });
      }
      const ms = Math.round(performance.now() - started);
      await recorded?.finish(KEYS_START_PATH.test(path) && answer !== undefined ? { keyId: keyIdOf(answer) } : {});
      if (answer === undefined) {
        throw new BridgeHttpError(
          'UPSTREAM_TOO_LARGE',
          `${host} answered with more than ${MAX_PROXY_ANSWER} bytes, more than a Krypton answer can be: check the endpoint URL`,
          { target, path: shownPath, upstreamStatus: upstream.status, ms },
        );
      }
      // A redirect (a captive portal, a moved endpoint) or an HTML page (a proxy's or load balancer's
      // error page) is never Krypton's answer: passed on, it would put another site's content or
      // destination in the page's hands. The page gets a typed error instead.
      if (upstream.status >= 300 && upstream.status < 400) {
        throw new BridgeHttpError(
          'UPSTREAM_REDIRECT',
          `${host} answered with a redirect (HTTP ${upstream.status}), which Krypton never does: check the network (a captive portal or proxy?) and the endpoint URL`,
          { target, path: shownPath, upstreamStatus: upstream.status, ms },
        );
      }
      const contentType = upstream.headers.get('content-type');
      if (answer.byteLength > 0 && !passableContentType(contentType)) {
        throw new BridgeHttpError(
          'UPSTREAM_NOT_JSON',
          `${host} answered with ${contentType ? `"${contentType.split(';')[0]!.trim().slice(0, 60)}"` : 'an untyped body'} instead of JSON (HTTP ${upstream.status}): check the network (a proxy or portal page?) and the endpoint URL`,
          { target, path: shownPath, upstreamStatus: upstream.status, ms },
        );
      }
      options.log.info('Krypton call', { target, path: shownPath, status: upstream.status, ms });
      const out = new Headers({ 'Content-Type': contentType ?? 'application/json' });
      const date = upstream.headers.get('date');
      if (date) out.set('Date', date);
      out.set(UPSTREAM_HOST_HEADER, host);
      c.res.headers.forEach((v, k) => out.set(k, v));
      // A null-body status (204, 205) may carry no body at all, not even an empty one.
      const nullBody = upstream.status === 204 || upstream.status === 205;
      return new Response(nullBody ? null : answer, { status: upstream.status, headers: out });
    },
  );

  app.all('/*', (c) => c.json({ code: 'METHOD_NOT_ALLOWED', message: 'The Krypton proxy takes POST only' }, 405));
  return app;
}

/**
 * What ties a call to a SIM session, read from what is forwarded anyway: the IMSI of a key agreement,
 * the keyId of a verify (its path) or of a signed call (its body). Nothing else is read or kept.
 */
function callFacts(path: string, body: ArrayBuffer): { imsi?: string; keyId?: string } {
  const verify = VERIFY_PATH.exec(path);
  if (verify) {
    try {
      return { keyId: decodeURIComponent(verify[1]!) };
    } catch {
      return {};
    }
  }
  const o = jsonObject(body);
  return {
    ...(typeof o?.imsi === 'string' ? { imsi: o.imsi } : {}),
    ...(typeof o?.keyId === 'string' ? { keyId: o.keyId } : {}),
  };
}

/** The keyId of a key agreement's answer, if it has one. */
function keyIdOf(answer: ArrayBuffer | Uint8Array): string | undefined {
  const keyId = jsonObject(answer)?.keyId;
  return typeof keyId === 'string' ? keyId : undefined;
}

function jsonObject(bytes: ArrayBuffer | Uint8Array): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(new TextDecoder().decode(bytes));
    return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** The page's request body; one that did not arrive whole (the page went away, the request timed out) is the page's failure, not Krypton's. */
async function readRequestBody(c: Context): Promise<ArrayBuffer> {
  try {
    return await c.req.arrayBuffer();
  } catch (e) {
    throw new BridgeHttpError(
      'REQUEST_INCOMPLETE',
      'The request body did not arrive whole: send the request again',
      { error: errorFacts(e).error },
      { cause: e },
    );
  }
}

/**
 * What a failed upstream call means for the page. `fetch` reports a network failure as a TypeError
 * (the Fetch standard's "network error") and the timeout as the signal's TimeoutError, before the
 * head or while the body streams; anything else is a fault of ours and goes on to the error hook.
 */
function upstreamFailure(
  e: unknown,
  at: { target: string; host: string; path: string; phase: 'connect' | 'body'; upstreamStatus?: number; timeoutMs: number; ms: number },
): unknown {
  const { host, timeoutMs, ...facts } = at;
  const name = (e as { name?: string } | undefined)?.name;
  const { cause } = errorFacts(e);
  const who = upstreamName(host);
  if (name === 'TimeoutError') {
    const what =
      at.phase === 'connect'
        ? `${who} did not answer the bridge within ${timeoutMs / 1000} s`
        : `${who} began to answer but did not finish within ${timeoutMs / 1000} s`;
    return new BridgeHttpError(
      'UPSTREAM_TIMEOUT',
      `${what}: check the network connection (a slow or filtered line, a proxy?) and try again`,
      { ...facts, reason: 'timeout' },
      { cause: e, answer: { host, reason: 'timeout', action: 'Check the network connection and any proxy, then try again in a moment' } },
    );
  }
  if (!(e instanceof TypeError)) return e;
  if (at.phase === 'connect') {
    const reason = unreachableReason(cause);
    const why =
      reason === 'dns'
        ? `the name ${host} does not resolve (DNS)`
        : reason === 'refused'
          ? `the connection to ${host} was refused`
          : `the connection to ${host} failed`;
    return new BridgeHttpError(
      'UPSTREAM_UNREACHABLE',
      `Cannot reach ${who}: ${why}; no internet, a DNS failure or a proxy in the way`,
      { ...facts, reason, cause },
      {
        cause: e,
        answer: {
          host,
          reason,
          action: 'Check this computer’s internet connection, its DNS and any proxy or firewall, then try again',
        },
      },
    );
  }
  // Node's fetch names the failure in the cause: a zlib code for a body that does not decode, a socket error otherwise.
  const undecodable = cause?.startsWith('Z_') ?? false;
  const what = undecodable ? `${host} sent an answer that could not be decoded` : `${host} broke off its answer before the end`;
  return new BridgeHttpError(
    'UPSTREAM_BROKEN',
    `${what}: try again; if it repeats, check the network connection and the endpoint URL`,
    { ...facts, reason: undecodable ? 'undecodable' : 'connection lost', cause },
    { cause: e, answer: { host, reason: 'network' } },
  );
}

const SORACOM_HOSTS = new Set(Object.values(SORACOM_TARGETS).map((url) => new URL(url).host));

/** How a message names the upstream: "SORACOM (g.api.soracom.io)" for SORACOM's hosts, the host alone for another (the lab). */
function upstreamName(host: string): string {
  return SORACOM_HOSTS.has(host) ? `SORACOM (${host})` : host;
}

/** Which network failure Node's fetch met, from the system error code in its cause. */
function unreachableReason(cause: string | undefined): UpstreamReason {
  if (cause === 'ENOTFOUND' || cause === 'EAI_AGAIN' || cause === 'EAI_NONAME' || cause === 'EAI_FAIL') return 'dns';
  if (cause === 'ECONNREFUSED') return 'refused';
  return 'network';
}

/** Whether an upstream body of this Content-Type is passed on: JSON (`application/json`, `application/*+json`) or plain text only. */
export function passableContentType(value: string | null): boolean {
  if (!value) return false;
  const type = value.split(';')[0]!.trim().toLowerCase();
  return type === 'application/json' || /^application\/[a-z0-9.+-]+\+json$/.test(type) || type === 'text/plain';
}

/** Whether the bridge forwards a path: a key-agreement start, a verify of a valid keyId, or a provisioning call. */
export function allowedPath(path: string): boolean {
  if (KEYS_START_PATH.test(path)) return true;
  const verify = VERIFY_PATH.exec(path);
  if (verify) return safeKeyIdSegment(verify[1]!);
  return PROVISIONING_PATH.test(path) && plainSegments(path);
}

/**
 * A keyId segment decoded once must be a keyId the client accepts (printable, up to 256 characters).
 * A keyId may hold `/` (as `%2F`, which SORACOM's keyIds might): it is forwarded still encoded, and
 * refused only when a server that decoded it would find a dot segment there (`..%2F..%2Fadmin`).
 */
function safeKeyIdSegment(segment: string): boolean {
  let keyId: string;
  try {
    keyId = decodeURIComponent(segment);
  } catch {
    return false;
  }
  return isValidKeyId(keyId) && keyId.split(/[/\\]/).every((part) => part !== '.' && part !== '..');
}

/** Whether no path segment decodes to a dot segment or hides a slash (`..%2F`): what is forwarded is what was checked. */
function plainSegments(path: string): boolean {
  return path.split('/').every((segment) => {
    let decoded: string;
    try {
      decoded = decodeURIComponent(segment);
    } catch {
      return false;
    }
    return decoded !== '.' && decoded !== '..' && !/[/\\?#]/.test(decoded);
  });
}
