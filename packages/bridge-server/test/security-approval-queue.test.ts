import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { startLab, type Lab } from '@krypton-web/krypton-lab';
import { ApprovalStore, MAX_PENDING, MAX_PENDING_PER_SITE, siteOf } from '../src/security/approvals.ts';
import { eventually, rawHttp, startTestBridge, type TestBridge } from './support/harness.test-support.ts';

// A fair approval queue: one site (registrable domain) keeps at most a few requests waiting, a full
// queue drops its oldest unexpected request, and an origin the person expects always gets a code.

describe('sites, by the public suffix list', () => {
  it.each([
    ['http://a1.flood.example', 'flood.example'],
    ['https://x.y.flood.example:8443', 'flood.example'],
    ['http://localhost:5173', 'localhost'],
    ['http://a7.localhost:5173', 'localhost'],
    ['http://foo.co.uk', 'foo.co.uk'],
    ['http://evil.co.uk', 'evil.co.uk'],
    ['https://alice.github.io', 'alice.github.io'],
    ['http://127.0.0.1:4173', '127.0.0.1'],
    ['http://[::1]:4173', '[::1]'],
  ])('%s → %s', (origin, site) => {
    expect(siteOf(origin)).toBe(site);
  });
});

describe('the queue on its own', () => {
  const ask = (store: ApprovalStore, origin: string) => {
    const outcome: { why?: string } = {};
    const p = store.request(
      origin,
      () => undefined,
      (why) => (outcome.why = why),
    );
    return { p, outcome };
  };

  it(`a site keeps at most ${MAX_PENDING_PER_SITE} requests: its oldest gives way, and is told why`, () => {
    const store = new ApprovalStore();
    const asked = Array.from({ length: 10 }, (_, i) => ask(store, `http://a${i}.flood.example`));
    expect(store.listPending().map((p) => p.origin)).toEqual([
      'http://a7.flood.example',
      'http://a8.flood.example',
      'http://a9.flood.example',
    ]);
    expect(asked[0]!.outcome.why).toBe('replaced by a newer request from the same site');
  });

  it('a full queue drops its oldest unexpected request, never an expected one', () => {
    const store = new ApprovalStore();
    store.expect('http://localhost:4173');
    const legit = ask(store, 'http://localhost:4173');
    for (let i = 0; i < 200; i++) ask(store, `http://flood${i}.example`);
    const pending = store.listPending();
    expect(pending).toHaveLength(MAX_PENDING);
    expect(pending.map((p) => p.origin)).toContain('http://localhost:4173');
    expect(legit.outcome.why).toBeUndefined();
  });

  it('an origin approved before is expected when it asks again (a reload), until revoked', () => {
    const store = new ApprovalStore();
    const first = ask(store, 'http://localhost:4173');
    store.approve(first.p!.id);
    expect(store.isExpected('http://localhost:4173')).toBe(true);
    store.revoke('http://localhost:4173');
    expect(store.isExpected('http://localhost:4173')).toBe(false);
  });
});

let lab: Lab;
beforeAll(async () => {
  lab = await startLab();
});
afterAll(async () => {
  await lab?.close();
});
const started: TestBridge[] = [];
afterEach(async () => {
  await Promise.all(started.splice(0).map((b) => b.close()));
});

/** Opens /pair as a page of `origin`: the code it got, or how it was turned away. */
function pair(t: TestBridge, origin: string, sockets: WebSocket[]): Promise<{ code?: string; refused?: string }> {
  const ws = new WebSocket(`ws://127.0.0.1:${t.port}/pair`, { origin });
  sockets.push(ws);
  return new Promise((resolve) => {
    ws.once('message', (d) => {
      const m = JSON.parse((d as Buffer).toString()) as { code?: string; reason?: string };
      resolve(m.code ? { code: m.code } : { refused: m.reason ?? 'message' });
    });
    ws.once('unexpected-response', (_req, res) => {
      resolve({ refused: `HTTP ${res.statusCode}` });
      res.resume();
    });
    ws.once('close', (code) => resolve({ refused: `close ${code}` }));
    ws.once('error', () => resolve({ refused: 'error' }));
  });
}

describe('a hostile flood of approval requests over real WebSockets', () => {
  for (const [label, flood] of [
    ['subdomains of one site', (i: number) => `http://a${i % 50}.flood.example`],
    ['subdomains of localhost', (i: number) => `http://a${i % 50}.localhost:5173`],
  ] as const) {
    it(`1000 requests from 50 ${label}: the site holds at most ${MAX_PENDING_PER_SITE} slots, and the legitimate origin still gets a code the approvals page shows`, async () => {
      const t = await startTestBridge({ lab, expectOrigins: ['http://localhost:4173'] });
      started.push(t);
      const sockets: WebSocket[] = [];
      const outcomes = await Promise.all(Array.from({ length: 1000 }, (_, i) => pair(t, flood(i), sockets)));
      expect(outcomes.filter((o) => o.code).length).toBeGreaterThan(0);
      expect(t.bridge.approvals.listPending().length).toBeLessThanOrEqual(MAX_PENDING_PER_SITE);

      const legit = await pair(t, 'http://localhost:4173', sockets);
      expect(legit.code).toMatch(/^[0-9]{6}$/);
      // Another legitimate page the person did not name (another site) gets one too.
      const other = await pair(t, 'http://app.example.org', sockets);
      expect(other.code).toMatch(/^[0-9]{6}$/);
      // A second wave does not push the expected one out.
      await Promise.all(Array.from({ length: 300 }, (_, i) => pair(t, `http://w${i}.wave${i}.example`, sockets)));
      const pending = t.bridge.approvals.listPending();
      expect(pending.find((p) => p.origin === 'http://localhost:4173')?.code).toBe(legit.code);
      expect(pending.length).toBeLessThanOrEqual(MAX_PENDING);
      const page = await rawHttp(t.port, `GET /approvals HTTP/1.1\r\nHost: ${t.host}\r\nSec-Fetch-Site: none\r\nConnection: close\r\n\r\n`);
      expect(page.body).toContain(`<strong>http://localhost:4173</strong> shows code <code>${legit.code}</code>`);
      // The log stays readable, and still names the expected origin's code.
      expect(t.lines.length).toBeLessThan(80);
      expect(t.lines.some((l) => l.includes('http://localhost:4173') && l.includes(legit.code!))).toBe(true);
      sockets.forEach((s) => s.terminate());
      await eventually(() => t.bridge.approvals.listPending().length === 0, 'the flood was withdrawn', 5000);
    });
  }

  it('without --expect-origin, an origin of another site than the flood still gets a code', async () => {
    const t = await startTestBridge({ lab });
    started.push(t);
    const sockets: WebSocket[] = [];
    await Promise.all(Array.from({ length: 1000 }, (_, i) => pair(t, `http://a${i % 50}.flood.example`, sockets)));
    const legit = await pair(t, 'http://localhost:4173', sockets);
    expect(legit.code).toMatch(/^[0-9]{6}$/);
    sockets.forEach((s) => s.terminate());
  });
});
