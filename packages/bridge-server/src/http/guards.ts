import type { MiddlewareHandler } from 'hono';
import type { AllowedHosts } from '../security/allowed-hosts.ts';
import type { OriginPolicy } from '../security/origin-policy.ts';

/** Refuses every request whose Host is not the bridge's own, before any handler runs (DNS rebinding). */
export function hostGuard(hosts: AllowedHosts): MiddlewareHandler {
  return async (c, next) => {
    if (!hosts.allows(c.req.header('host'))) return c.text('Misdirected request: this bridge answers only as 127.0.0.1 or localhost', 421);
    await next();
  };
}

/** Headers every answer carries: no framing, no sniffing, no referrer, no caching of API answers. */
export function securityHeaders(): MiddlewareHandler {
  return async (c, next) => {
    await next();
    const h = c.res.headers;
    h.set('X-Content-Type-Options', 'nosniff');
    h.set('X-Frame-Options', 'DENY');
    // A page that needs its Origin on its own form POSTs (the approvals page) sets a narrower policy itself.
    if (!h.has('Referrer-Policy')) h.set('Referrer-Policy', 'no-referrer');
    h.set('Cross-Origin-Opener-Policy', 'same-origin');
    h.set('Cross-Origin-Resource-Policy', 'same-origin');
    if (!h.has('Content-Security-Policy')) h.set('Content-Security-Policy', "frame-ancestors 'none'");
    if (c.req.path.startsWith('/api/') || c.req.path.startsWith('/krypton/')) h.set('Cache-Control', 'no-store');
  };
}

/**
 * Only the bridge's own pages may use the API: a state-changing request must carry our Origin, and a
 * read must come from our own page (Sec-Fetch-Site), so another site learns nothing, not even that
 * a bridge runs here.
 */
export function ownPagesOnly(origins: OriginPolicy): MiddlewareHandler {
  return async (c, next) => {
    const refusal = ownPageRefusal(c.req.method, c.req.header('origin'), c.req.header('sec-fetch-site'), origins);
    if (refusal) return c.json({ code: 'FORBIDDEN', message: refusal }, 403);
    await next();
  };
}

/**
 * The approvals page's rules. The page itself (`GET /approvals`) also opens from a link on another
 * site, as a top-level navigation (a page asking for approval links to it): the person sees the
 * page, the linking site cannot read or frame it. Everything else is own-pages-only, and a decision
 * (POST) must carry our exact Origin and, when the browser says where it came from, be same-origin;
 * its per-page form token is checked by the page's handlers.
 */
export function approvalsGuard(origins: OriginPolicy): MiddlewareHandler {
  return async (c, next) => {
    const origin = c.req.header('origin');
    const site = c.req.header('sec-fetch-site');
    const isPage = c.req.path === '/approvals' || c.req.path === '/approvals/';
    const topLevelNavigation =
      (c.req.method === 'GET' || c.req.method === 'HEAD') &&
      origin === undefined &&
      c.req.header('sec-fetch-mode') === 'navigate' &&
      c.req.header('sec-fetch-dest') === 'document';
    if (isPage && topLevelNavigation) return next();
    const refusal = ownPageRefusal(c.req.method, origin, site, origins);
    if (refusal) return c.json({ code: 'FORBIDDEN', message: refusal }, 403);
    if (c.req.method !== 'GET' && c.req.method !== 'HEAD' && site !== undefined && site !== 'same-origin')
      return c.json({ code: 'FORBIDDEN', message: 'A decision must come from the approvals page itself' }, 403);
    await next();
  };
}

/** Why a request is not from one of the bridge's own pages, or undefined when it is. */
function ownPageRefusal(method: string, origin: string | undefined, site: string | undefined, origins: OriginPolicy): string | undefined {
  const own = origins.standing(origin) === 'own' || (origin === undefined && (site === 'same-origin' || site === 'none'));
  if (!own) return 'Only pages served by this bridge may use this';
  if (method !== 'GET' && method !== 'HEAD' && origins.standing(origin) !== 'own') return 'A change needs the Origin of this bridge';
  return undefined;
}
