import fc from 'fast-check';
import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import { hostGuard, ownPagesOnly } from '../src/http/guards.ts';
import { AllowedHosts } from '../src/security/allowed-hosts.ts';
import { ApprovalStore } from '../src/security/approvals.ts';
import { canonicalOrigin, OriginPolicy } from '../src/security/origin-policy.ts';

// The Host and Origin guards as pure functions and as hono middleware (app.request(), no socket):
// over random and near-miss inputs, a handler runs exactly when the header is one of the allowed
// values, and never otherwise.

const PORT = 8787;
const OWN_HOSTS = [`127.0.0.1:${PORT}`, `localhost:${PORT}`];
const OWN_ORIGINS = OWN_HOSTS.map((h) => `http://${h}`);
const APPROVED = 'http://localhost:5173';

/** Near misses of an allowed value: one character inserted, removed or replaced, a prefix or suffix added. */
const nearMiss = (base: string) =>
  fc.oneof(
    fc.tuple(fc.nat(base.length), fc.string({ minLength: 1, maxLength: 3 })).map(([i, s]) => base.slice(0, i) + s + base.slice(i)),
    fc.nat(base.length - 1).map((i) => base.slice(0, i) + base.slice(i + 1)),
    fc.tuple(fc.nat(base.length - 1), fc.string({ minLength: 1, maxLength: 1 })).map(([i, s]) => base.slice(0, i) + s + base.slice(i + 1)),
    fc.constantFrom('.', '.evil.example', '@evil.example', '/', ' ', '%00', ':1', '\t').map((s) => base + s),
    fc.constantFrom('user@', 'evil.', 'http://', ' ').map((s) => s + base),
  );

/** What a server sees of a header value: HTTP strips surrounding whitespace (RFC 9110 §5.5), and so does fetch's Headers. */
const onTheWire = (v: string) => v.replace(/^[\t\n\r ]+|[\t\n\r ]+$/g, '');

function guarded(): { app: Hono; ran: () => number } {
  const hosts = new AllowedHosts(PORT);
  const approvals = new ApprovalStore();
  approvals.preApprove(APPROVED);
  let ran = 0;
  const app = new Hono();
  app.use('*', hostGuard(hosts));
  app.use('/api/*', ownPagesOnly(new OriginPolicy(hosts, approvals)));
  app.all('/api/thing', (c) => {
    ran++;
    return c.text('ran');
  });
  return { app, ran: () => ran };
}

describe('Host guard', () => {
  it('lets a request through exactly when Host is 127.0.0.1:<port> or localhost:<port> (any case)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.oneof(fc.string(), ...OWN_HOSTS.map(nearMiss), fc.constantFrom(...OWN_HOSTS)), async (host) => {
        const { app, ran } = guarded();
        const allowed = OWN_HOSTS.includes(onTheWire(host).toLowerCase());
        let r: Response;
        try {
          r = await app.request(`http://x/api/thing`, { headers: { host, origin: OWN_ORIGINS[0]! } });
        } catch {
          return; // not a valid header value at all: fetch refuses to build the request
        }
        expect(r.status).toBe(allowed ? 200 : 421);
        expect(ran()).toBe(allowed ? 1 : 0);
      }),
      { numRuns: 1000 },
    );
  });
});

describe('Origin guard of the own-only API', () => {
  it('runs the handler only for the bridge’s own origins, never for near misses, the approved origin, null or junk', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(fc.string(), ...OWN_ORIGINS.map(nearMiss), nearMiss(APPROVED), fc.constantFrom(...OWN_ORIGINS, APPROVED, 'null', '')),
        fc.constantFrom('GET', 'POST'),
        async (origin, method) => {
          const { app, ran } = guarded();
          const allowed = OWN_ORIGINS.includes(onTheWire(origin));
          let r: Response;
          try {
            r = await app.request(`http://x/api/thing`, { method, headers: { host: OWN_HOSTS[0]!, origin } });
          } catch {
            return;
          }
          expect(r.status).toBe(allowed ? 200 : 403);
          expect(ran()).toBe(allowed ? 1 : 0);
        },
      ),
      { numRuns: 1000 },
    );
  });

  it('a missing Origin passes only for a read the browser marks as our own page or typed in', async () => {
    for (const [method, site, allowed] of [
      ['GET', 'same-origin', true],
      ['GET', 'none', true],
      ['GET', 'same-site', false],
      ['GET', 'cross-site', false],
      ['GET', undefined, false],
      ['POST', 'same-origin', false],
      ['POST', 'none', false],
    ] as const) {
      const { app, ran } = guarded();
      const r = await app.request(`http://x/api/thing`, {
        method,
        headers: { host: OWN_HOSTS[0]!, ...(site ? { 'sec-fetch-site': site } : {}) },
      });
      expect([method, site, r.status]).toEqual([method, site, allowed ? 200 : 403]);
      expect(ran()).toBe(allowed ? 1 : 0);
    }
  });
});

describe('OriginPolicy and canonicalOrigin', () => {
  it('gives "own" only to the exact own origins and "approved" only to the exact approved one', () => {
    const hosts = new AllowedHosts(PORT);
    const approvals = new ApprovalStore();
    approvals.preApprove(APPROVED);
    const policy = new OriginPolicy(hosts, approvals);
    fc.assert(
      fc.property(
        fc.oneof(fc.string(), ...OWN_ORIGINS.map(nearMiss), nearMiss(APPROVED), fc.constantFrom(...OWN_ORIGINS, APPROVED)),
        (origin) => {
          const standing = policy.standing(origin);
          expect(standing).toBe(OWN_ORIGINS.includes(origin) ? 'own' : origin === APPROVED ? 'approved' : 'unknown');
        },
      ),
      { numRuns: 3000 },
    );
  });

  it('accepts only serialized http(s) origins, unchanged', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.webUrl(),
          fc.webUrl().map((u) => new URL(u).origin),
          fc.string(),
        ),
        (value) => {
          const c = canonicalOrigin(value);
          if (c === undefined) return;
          expect(c).toMatch(/^https?:\/\/[^/?#@]+$/);
          expect(canonicalOrigin(c)).toBe(c);
        },
      ),
    );
  });
});
