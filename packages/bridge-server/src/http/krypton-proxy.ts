import { readBodyWithin } from '@krypton-web/krypton-core';
import { Hono, type Context } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import type { ApprovalStore } from '../security/approvals.ts';
import type { OriginPolicy } from '../security/origin-policy.ts';
import type { Logger } from '../log.ts';

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
const ALLOWED_PATH = /^\/v1\/keys(?:\/[A-Za-z0-9._~:-]{1,200}\/verify)?$|^\/v1\/provisioning(?:\/[A-Za-z0-9._~%:-]{1,200}){1,6}$/;
export const TOKEN_HEADER = 'x-krypton-bridge-token';

/** What the proxy may reach: SORACOM's hosts, plus the lab in demo mode. */
export type ProxyTargets = Record<string, string>;

/**
 * The narrow proxy to Krypton for pages that cannot call it directly (SORACOM sends no CORS headers
 * for a local origin): POST only, only Keys and Provisioning paths, only to the configured hosts,
 * only Content-Type and the x-soracom-* headers forwarded, bodies bounded, nothing else.
 */
export function kryptonProxy(options: { targets: ProxyTargets; origins: OriginPolicy; approvals: ApprovalStore; log: Logger; fetch?: typeof fetch; timeoutMs?: number }): Hono {
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
    bodyLimit({ maxSize: MAX_PROXY_BODY, onError: (c) => c.json({ code: 'TOO_LARGE', message: `Request bodies are limited to ${MAX_PROXY_BODY} bytes` }, 413) }),
    async (c) => {
      const origin = c.req.header('origin');
      const standing = standingOf(c);
      if (standing === 'unknown') return c.json({ code: 'FORBIDDEN', message: 'This page may not use the bridge' }, 403);
      if (standing === 'approved') {
        if (!options.approvals.accepts(origin!, c.req.header(TOKEN_HEADER))) return c.json({ code: 'FORBIDDEN', message: 'Missing or revoked approval token' }, 403);
        c.header('Access-Control-Allow-Origin', origin!);
        c.header('Access-Control-Expose-Headers', 'Date');
        c.header('Vary', 'Origin');
      }
      const base = Object.hasOwn(options.targets, c.req.param('target')) ? options.targets[c.req.param('target')] : undefined;
      if (!base) return c.json({ code: 'NOT_FOUND', message: `No Krypton endpoint named "${c.req.param('target')}"` }, 404);
      const prefix = `/krypton/${c.req.param('target')}`;
      const path = new URL(c.req.url).pathname.slice(prefix.length);
      if (!ALLOWED_PATH.test(path) || !plainSegments(path) || new URL(c.req.url).search) return c.json({ code: 'NOT_FOUND', message: 'The bridge forwards only Krypton key and provisioning calls' }, 404);

      const headers: Record<string, string> = {};
      for (const name of FORWARDED_REQUEST_HEADERS) {
        const v = c.req.header(name);
        if (v !== undefined) headers[name] = v;
      }
      const started = performance.now();
      let upstream: Response;
      try {
        upstream = await doFetch(`${base}${path}`, {
          method: 'POST',
          headers,
          body: await c.req.arrayBuffer(),
          redirect: 'manual',
          signal: AbortSignal.timeout(options.timeoutMs ?? 20_000),
        });
      } catch (e) {
        const timedOut = (e as { name?: string }).name === 'TimeoutError';
        options.log.warn('Krypton unreachable', { target: c.req.param('target'), reason: timedOut ? 'timeout' : 'network' });
        return c.json({ code: timedOut ? 'UPSTREAM_TIMEOUT' : 'UPSTREAM_UNREACHABLE', message: `The bridge could not reach ${new URL(base).host}` }, timedOut ? 504 : 502);
      }
      const body = await readBodyWithin(upstream, MAX_PROXY_ANSWER);
      options.log.info('Krypton call', { target: c.req.param('target'), path: path.replace(/\/v1\/keys\/[^/]+\/verify/, '/v1/keys/{keyId}/verify'), status: upstream.status, ms: Math.round(performance.now() - started) });
      if (body === undefined) return c.json({ code: 'UPSTREAM_TOO_LARGE', message: 'Krypton answered more than the bridge passes on' }, 502);
      const out = new Headers({ 'Content-Type': upstream.headers.get('content-type') ?? 'application/json' });
      const date = upstream.headers.get('date');
      if (date) out.set('Date', date);
      c.res.headers.forEach((v, k) => out.set(k, v));
      return new Response(body, { status: upstream.status, headers: out });
    },
  );

  app.all('/*', (c) => c.json({ code: 'METHOD_NOT_ALLOWED', message: 'The Krypton proxy takes POST only' }, 405));
  return app;
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
