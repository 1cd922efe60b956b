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
    h.set('Referrer-Policy', 'no-referrer');
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
    const origin = c.req.header('origin');
    const site = c.req.header('sec-fetch-site');
    const own = origins.standing(origin) === 'own' || (origin === undefined && (site === 'same-origin' || site === 'none'));
    if (!own) return c.json({ code: 'FORBIDDEN', message: 'Only pages served by this bridge may use this' }, 403);
    if (c.req.method !== 'GET' && c.req.method !== 'HEAD' && origins.standing(origin) !== 'own') {
      return c.json({ code: 'FORBIDDEN', message: 'A change needs the Origin of this bridge' }, 403);
    }
    await next();
  };
}
