import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { startLab, type Lab } from '@krypton-web/krypton-lab';
import { MAX_BRIDGE_MESSAGE } from '@krypton-web/sim-transport';
import { DEMO_STACK_READER_NAME } from '../src/index.ts';
import { VirtualReaderBackend } from '../src/virtual-reader.ts';
import {
  B64_16,
  connectClient,
  eventually,
  rawHttp,
  rawUpgrade,
  ScriptedPage,
  startTestBridge,
  UNTOUCHED,
  VIRTUAL_READER_NAME,
  type TestBridge,
} from './support/harness.test-support.ts';

// Control 5: size limits on bodies and WebSocket messages; rate limits on connects, session opens,
// AUTHENTICATE and approval requests; hello, idle, header and body timeouts. Malformed messages end
// the connection. Control 7: no state-changing GET. Each refusal is checked at the card: no command ran.

let lab: Lab;
beforeAll(async () => {
  lab = await startLab();
});
afterAll(async () => {
  await lab?.close();
});

const started: TestBridge[] = [];
const pages: ScriptedPage[] = [];
afterEach(async () => {
  pages.splice(0).forEach((p) => p.close());
  await Promise.all(started.splice(0).map((b) => b.close()));
});
async function bridge(options: Parameters<typeof startTestBridge>[0] = {}): Promise<TestBridge> {
  const b = await startTestBridge({ lab, ...options });
  started.push(b);
  return b;
}
async function page(t: TestBridge, origin = t.url): Promise<ScriptedPage> {
  const p = await ScriptedPage.connect(`ws://127.0.0.1:${t.port}/ws`, origin);
  pages.push(p);
  return p;
}
/** A page that said hello and holds a session on the virtual reader. */
async function pageWithSession(t: TestBridge): Promise<{ p: ScriptedPage; session: string }> {
  const p = await page(t);
  await p.hello();
  const opened = await p.request({ id: 1, op: 'open', reader: VIRTUAL_READER_NAME });
  expect(opened.ok).toBe(true);
  return { p, session: opened.result!.session as string };
}

describe('WebSocket messages: size and shape', () => {
  it(`a message of exactly ${MAX_BRIDGE_MESSAGE} bytes is answered; one byte more closes the connection (1009) before it is read`, async () => {
    const t = await bridge();
    const { p } = await pageWithSession(t);
    const base = JSON.stringify({ id: 2, op: 'readers' });
    const exact = base.slice(0, -1) + ' '.repeat(MAX_BRIDGE_MESSAGE - base.length) + '}';
    expect(exact.length).toBe(MAX_BRIDGE_MESSAGE);
    p.send(exact);
    expect(await p.waitFor((m) => (m as { id?: number }).id === 2)).toMatchObject({ ok: true });
    const before = t.touched();
    p.send(`{"id":3,"op":"imsi","session":"${'A'.repeat(MAX_BRIDGE_MESSAGE)}"}`);
    expect((await p.closedWithin()).code).toBe(1009);
    expect(t.touched()).toEqual(before);
    expect(t.card.apduCount).toBe(0);
  });

  it('a message far over the limit (1 MiB) is refused the same way', async () => {
    const t = await bridge();
    const { p } = await pageWithSession(t);
    p.send('x'.repeat(1024 * 1024));
    expect((await p.closedWithin()).code).toBe(1009);
    expect(t.card.apduCount).toBe(0);
  });

  /** Messages sent after hello and an open session: each must close the connection (4400) with no card command. */
  const MALFORMED: [string, (session: string) => string | Buffer][] = [
    ['not JSON', () => '{"id":2,"op":"imsi",'],
    ['a JSON array', () => '[2,"imsi"]'],
    ['a JSON string', () => '"imsi"'],
    ['null', () => 'null'],
    ['an unknown op', (s) => JSON.stringify({ id: 2, op: 'select-file', session: s })],
    ['an op with another case', (s) => JSON.stringify({ id: 2, op: 'IMSI', session: s })],
    ['no id', (s) => JSON.stringify({ op: 'imsi', session: s })],
    ['a negative id', (s) => JSON.stringify({ id: -1, op: 'imsi', session: s })],
    ['a fractional id', (s) => JSON.stringify({ id: 1.5, op: 'imsi', session: s })],
    ['a string id', (s) => JSON.stringify({ id: '2', op: 'imsi', session: s })],
    ['a malformed session id', () => JSON.stringify({ id: 2, op: 'imsi', session: '../../etc' })],
    ['RAND not base64', (s) => JSON.stringify({ id: 2, op: 'authenticate', session: s, rand: '!'.repeat(22) + '==', autn: B64_16 })],
    [
      'RAND of 15 bytes',
      (s) => JSON.stringify({ id: 2, op: 'authenticate', session: s, rand: Buffer.alloc(15).toString('base64'), autn: B64_16 }),
    ],
    [
      'RAND of 17 bytes',
      (s) => JSON.stringify({ id: 2, op: 'authenticate', session: s, rand: Buffer.alloc(17).toString('base64'), autn: B64_16 }),
    ],
    [
      'AUTN of 32 bytes',
      (s) => JSON.stringify({ id: 2, op: 'authenticate', session: s, rand: B64_16, autn: Buffer.alloc(32).toString('base64') }),
    ],
    ['RAND in hex', (s) => JSON.stringify({ id: 2, op: 'authenticate', session: s, rand: '00'.repeat(16), autn: B64_16 })],
    [
      'RAND in base64url without padding',
      (s) => JSON.stringify({ id: 2, op: 'authenticate', session: s, rand: Buffer.alloc(16, 0xfb).toString('base64url'), autn: B64_16 }),
    ],
    ['no AUTN', (s) => JSON.stringify({ id: 2, op: 'authenticate', session: s, rand: B64_16 })],
    ['RAND as an array of bytes', (s) => JSON.stringify({ id: 2, op: 'authenticate', session: s, rand: Array(16).fill(0), autn: B64_16 })],
    ['a PIN with letters', (s) => JSON.stringify({ id: 2, op: 'verify-pin', session: s, pin: '12ab' })],
    ['a PIN of 9 digits', (s) => JSON.stringify({ id: 2, op: 'verify-pin', session: s, pin: '123456789' })],
    ['allowLastTry not a boolean', (s) => JSON.stringify({ id: 2, op: 'verify-pin', session: s, pin: '1234', allowLastTry: 'yes' })],
    ['a PUK of 7 digits', (s) => JSON.stringify({ id: 2, op: 'unblock-pin', session: s, puk: '1234567', newPin: '1234' })],
    ['a new PIN of 3 digits', (s) => JSON.stringify({ id: 2, op: 'change-pin', session: s, pin: '1234', newPin: '123' })],
    ['enabled not a boolean', (s) => JSON.stringify({ id: 2, op: 'set-pin-enabled', session: s, enabled: 'no', pin: '1234' })],
    ['a raw APDU in bad hex', (s) => JSON.stringify({ id: 2, op: 'apdu', session: s, apdu: '00A4ZZ' })],
    ['a reader name with control characters', () => JSON.stringify({ id: 2, op: 'open', reader: 'a\u0000b' })],
    ['a second hello', () => JSON.stringify({ id: 2, op: 'hello', version: 1 })],
    ['a binary frame', () => Buffer.from(JSON.stringify({ id: 2, op: 'readers' }))],
  ];

  it.each(MALFORMED)('%s: the connection is closed (4400), no card command ran', async (_why, message) => {
    const t = await bridge();
    const { p, session } = await pageWithSession(t);
    const before = t.touched();
    const m = message(session);
    if (Buffer.isBuffer(m)) p.ws.send(m, { binary: true });
    else p.send(m);
    const closed = await p.closedWithin();
    expect(closed.code).toBe(4400);
    expect(t.touched()).toEqual(before);
    expect(t.card.apduCount).toBe(0);
    // The reader was freed with the connection.
    await eventually(async () => {
      const other = await connectClient(t);
      const free = !(await other.readers())[0]!.inUse;
      other.close();
      return free;
    }, 'the reader is free again');
  });

  it.each([
    ['no hello first (readers)', JSON.stringify({ id: 1, op: 'readers' }), 4401],
    ['no hello first (open)', JSON.stringify({ id: 1, op: 'open', reader: VIRTUAL_READER_NAME }), 4401],
    ['a hello of another protocol version', JSON.stringify({ id: 1, op: 'hello', version: 2 }), 4400],
    ['not JSON before hello', 'hello', 4400],
  ])('%s: closed (%s) before anything is listed or opened', async (_why, message, code) => {
    const t = await bridge();
    const p = await page(t);
    p.send(message);
    expect((await p.closedWithin()).code).toBe(code);
    expect(t.touched()).toEqual(UNTOUCHED);
    expect(p.messages.some((m) => JSON.stringify(m).includes('readers'))).toBe(false);
  });

  it('a session of another connection, and raw APDUs on a bridge without --dev-raw-apdu, are refused with an error and no card command', async () => {
    const t = await bridge();
    const { session } = await pageWithSession(t);
    const other = await page(t);
    await other.hello();
    const stolen = await other.request({ id: 5, op: 'imsi', session });
    expect(stolen).toMatchObject({ ok: false, error: { code: 'TRANSPORT_CLOSED' } });
    const { p: owner, session: own } = { p: pages[0]!, session };
    const raw = await owner.request({ id: 6, op: 'apdu', session: own, apdu: '00A40004023F00' });
    expect(raw).toMatchObject({ ok: false, error: { code: 'BAD_INPUT' } });
    expect(t.card.apduCount).toBe(0);
  });
});

describe('hostile sockets do not bring the bridge down', () => {
  /** The bridge still serves its own page. */
  async function stillServes(t: TestBridge): Promise<void> {
    const r = await rawHttp(t.port, `GET /api/config HTTP/1.1\r\nHost: ${t.host}\r\nOrigin: ${t.url}\r\nConnection: close\r\n\r\n`);
    expect(r.status).toBe(200);
  }

  it('a pairing socket (open to any well-formed origin) sending an oversized message is closed (1009); its request is withdrawn', async () => {
    const t = await bridge();
    const ws = new WebSocket(`ws://127.0.0.1:${t.port}/pair`, { origin: 'http://evil.example' });
    const first = await new Promise<string>((resolve) => ws.once('message', (m) => resolve((m as Buffer).toString())));
    // All a page of any origin learns: a code to show, and where the person approves.
    expect(Object.keys(JSON.parse(first) as object).sort()).toEqual(['approvalPage', 'code']);
    const closed = new Promise<number>((resolve) => ws.once('close', (code) => resolve(code)));
    ws.on('error', () => undefined);
    ws.send('x'.repeat(MAX_BRIDGE_MESSAGE + 1));
    expect(await closed).toBe(1009);
    await eventually(() => t.bridge.approvals.listPending().length === 0, 'the request was withdrawn');
    await stillServes(t);
  });

  it('a pairing socket sending any message is closed (4400); its request is withdrawn', async () => {
    const t = await bridge();
    const ws = new WebSocket(`ws://127.0.0.1:${t.port}/pair`, { origin: 'http://evil.example' });
    await new Promise((resolve) => ws.once('message', resolve));
    const closed = new Promise<number>((resolve) => ws.once('close', (code) => resolve(code)));
    ws.send(JSON.stringify({ approve: true }));
    expect(await closed).toBe(4400);
    await eventually(() => t.bridge.approvals.listPending().length === 0, 'the request was withdrawn');
    expect(t.bridge.approvals.listApproved()).toEqual([]);
  });

  it('refused upgrades whose peers reset the connection at once', async () => {
    const t = await bridge();
    await Promise.all(
      Array.from(
        { length: 100 },
        (_, i) =>
          new Promise<void>((resolve) => {
            const s = net.connect(t.port, '127.0.0.1', () => {
              s.write(
                `GET /${i % 2 ? 'ws' : 'pair'} HTTP/1.1\r\nHost: evil.example\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n`,
              );
              setImmediate(() => s.resetAndDestroy());
            });
            s.on('error', () => undefined);
            s.on('close', () => resolve());
          }),
      ),
    );
    await new Promise((r) => setTimeout(r, 200));
    await stillServes(t);
  });

  it('a session socket sending bytes that are not WebSocket frames is cut off', async () => {
    const t = await bridge();
    const { p } = await pageWithSession(t);
    (p.ws as unknown as { _socket: net.Socket })._socket.write(Buffer.from([0xff, 0xff, 0xff, 0xff, 0x00, 0x01]));
    const closed = await p.closedWithin();
    expect([1002, 1006]).toContain(closed.code);
    expect(t.card.apduCount).toBe(0);
    await stillServes(t);
  });
});

describe('request bodies', () => {
  const post = (t: TestBridge, path: string, length: number, chunked = false) => {
    const body = '{"imsi":"' + '1'.repeat(Math.max(0, length - 11)) + '"}';
    const framing = chunked
      ? `Transfer-Encoding: chunked\r\n\r\n${body.length.toString(16)}\r\n${body}\r\n0\r\n\r\n`
      : `Content-Length: ${body.length}\r\n\r\n${body}`;
    return rawHttp(
      t.port,
      `POST ${path} HTTP/1.1\r\nHost: ${t.host}\r\nOrigin: ${t.url}\r\nContent-Type: application/json\r\nConnection: close\r\n${framing}`,
      { timeoutMs: 5000 },
    );
  };

  it('the proxy forwards a body of exactly 64 KiB', async () => {
    const t = await bridge();
    const r = await post(t, '/krypton/lab/v1/keys', 64 * 1024);
    expect(r.status).not.toBe(413);
    expect(t.upstream).toHaveLength(1);
  });

  it.each([
    ['64 KiB + 1 with Content-Length', 64 * 1024 + 1, false],
    ['1 MiB with Content-Length', 1024 * 1024, false],
    ['64 KiB + 1 chunked (no Content-Length)', 64 * 1024 + 1, true],
  ])('the proxy refuses %s with 413 and sends nothing upstream', async (_why, size, chunked) => {
    const t = await bridge();
    const r = await post(t, '/krypton/lab/v1/keys', size, chunked);
    expect(r.status).toBe(413);
    expect(JSON.parse(r.body)).toMatchObject({ code: 'TOO_LARGE' });
    expect(t.upstream).toEqual([]);
  });

  it('an approvals form over 4 KiB is refused with 413 and changes nothing', async () => {
    const t = await bridge();
    t.bridge.approvals.preApprove('http://keep.example');
    const body = `origin=${encodeURIComponent('http://keep.example')}&pad=${'x'.repeat(5000)}`;
    const r = await rawHttp(
      t.port,
      `POST /approvals/revoke HTTP/1.1\r\nHost: ${t.host}\r\nOrigin: ${t.url}\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`,
    );
    expect(r.status).toBe(413);
    expect(t.bridge.approvals.listApproved()).toHaveLength(1);
  });
});

describe('what the proxy forwards', () => {
  it.each([
    ['an encoded slash climbing out of provisioning', '/krypton/lab/v1/provisioning/..%2F..%2F_lab%2Ffaults'],
    ['an encoded dot segment', '/krypton/lab/v1/provisioning/%2e%2e/_lab'],
    ['a dot segment that URL parsing resolves', '/krypton/lab/v1/keys/../../_lab/faults'],
    ['the lab control API', '/krypton/lab/_lab/faults'],
    ['a query string', '/krypton/lab/v1/keys?debug=1'],
    ['an unknown target', '/krypton/evil/v1/keys'],
    ['a target named after an Object property', '/krypton/constructor/v1/keys'],
    ['__proto__ as target', '/krypton/__proto__/v1/keys'],
    ['another SORACOM API', '/krypton/global/v1/subscribers'],
    ['a key id that climbs out when decoded', '/krypton/lab/v1/keys/..%2F..%2F_lab%2Ffaults/verify'],
  ])('%s: 404, nothing sent upstream', async (_why, path) => {
    const t = await bridge();
    const r = await rawHttp(
      t.port,
      `POST ${path} HTTP/1.1\r\nHost: ${t.host}\r\nOrigin: ${t.url}\r\nContent-Type: application/json\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}`,
    );
    expect(r.status).toBe(404);
    expect(t.upstream).toEqual([]);
  });

  it('forwards a provisioning call, passing only Content-Type and the x-soracom-* headers', async () => {
    const seen: Headers[] = [];
    const t = await bridge({
      upstreamFetch: (input, init) => {
        seen.push(new Headers(init?.headers));
        return fetch(input, init);
      },
    });
    const r = await rawHttp(
      t.port,
      `POST /krypton/lab/v1/provisioning/soracom/air/subscriber_metadata HTTP/1.1\r\nHost: ${t.host}\r\nOrigin: ${t.url}\r\nContent-Type: application/json\r\nX-Soracom-Timestamp: 1\r\nCookie: secret=1\r\nAuthorization: Bearer x\r\nX-Krypton-Bridge-Token: t\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}`,
    );
    expect(r.status).toBeGreaterThanOrEqual(200);
    expect(seen).toHaveLength(1);
    expect([...seen[0]!.keys()].sort()).toEqual(['content-type', 'x-soracom-timestamp']);
  });
});

describe('no state-changing GET', () => {
  it.each(['GET', 'HEAD', 'PUT', 'DELETE', 'PATCH'])('%s on a proxy path: 405, nothing sent upstream', async (method) => {
    const t = await bridge();
    const r = await rawHttp(
      t.port,
      `${method} /krypton/lab/v1/keys HTTP/1.1\r\nHost: ${t.host}\r\nOrigin: ${t.url}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n`,
    );
    expect(r.status).toBe(405);
    expect(t.upstream).toEqual([]);
  });

  it('a plain GET of /ws (no upgrade) opens nothing', async () => {
    const t = await bridge();
    const r = await rawHttp(t.port, `GET /ws?op=open HTTP/1.1\r\nHost: ${t.host}\r\nOrigin: ${t.url}\r\nConnection: close\r\n\r\n`);
    expect(r.status).not.toBe(101);
    expect(t.touched()).toEqual(UNTOUCHED);
  });
});

describe('rates', () => {
  it('a burst of WebSocket connects from one origin is refused with 429 at the upgrade after 20; another origin is unaffected', async () => {
    const t = await bridge();
    const statuses: number[] = [];
    for (let i = 0; i < 30; i++)
      statuses.push(await rawUpgrade(t.port, '/ws', `Host: ${t.host}\r\nOrigin: http://localhost:${t.port}\r\n`));
    const accepted = statuses.filter((s) => s === 101).length;
    expect(accepted).toBeGreaterThanOrEqual(20);
    expect(accepted).toBeLessThanOrEqual(21); // one more may have refilled meanwhile (60 a minute)
    expect(statuses.slice(accepted)).toEqual(Array(30 - accepted).fill(429));
    expect(await rawUpgrade(t.port, '/ws', `Host: ${t.host}\r\nOrigin: ${t.url}\r\n`)).toBe(101);
    expect(t.touched()).toEqual(UNTOUCHED);
  });

  it('a burst of concurrent connects is capped the same way', async () => {
    const t = await bridge();
    const statuses = await Promise.all(
      Array.from({ length: 40 }, () => rawUpgrade(t.port, '/ws', `Host: ${t.host}\r\nOrigin: ${t.url}\r\n`)),
    );
    expect(statuses.filter((s) => s === 101).length).toBeLessThanOrEqual(21);
    expect(statuses.filter((s) => s === 429).length).toBeGreaterThanOrEqual(19);
  });

  it('session opens: 10 at once, then TRANSPORT_BUSY without touching the reader', async () => {
    const t = await bridge();
    const p = await page(t);
    await p.hello();
    for (let i = 0; i < 10; i++) {
      const r = await p.request({ id: 10 + i * 2, op: 'open', reader: VIRTUAL_READER_NAME });
      expect(r.ok).toBe(true);
      expect((await p.request({ id: 11 + i * 2, op: 'close', session: r.result!.session })).ok).toBe(true);
    }
    const refused = await p.request({ id: 99, op: 'open', reader: VIRTUAL_READER_NAME });
    expect(refused).toMatchObject({
      ok: false,
      error: { code: 'TRANSPORT_BUSY', message: expect.stringMatching(/Too many session opens/) },
    });
    expect(t.backend.opens).toBe(10);
  });

  it('session opens are counted per reader: a batch in two readers is not limited by their number, and made-up reader names share one bucket', async () => {
    const t = await bridge({ readers: [new VirtualReaderBackend({ stack: { insertedMs: 60_000 } })] });
    const p = await page(t);
    await p.hello();
    let id = 10;
    await eventually(async () => {
      const readers = (await p.request({ id: id++, op: 'readers' })).result!.readers as { name: string; card: boolean }[];
      return readers.some((r) => r.name === DEMO_STACK_READER_NAME && r.card);
    }, 'the stack card is in');
    const open = (reader: string) => p.request({ id: id++, op: 'open', reader });
    for (const reader of [VIRTUAL_READER_NAME, DEMO_STACK_READER_NAME]) {
      for (let i = 0; i < 10; i++) {
        const r = await open(reader);
        expect(r.ok).toBe(true);
        expect((await p.request({ id: id++, op: 'close', session: r.result!.session })).ok).toBe(true);
      }
      expect(await open(reader)).toMatchObject({
        ok: false,
        error: { code: 'TRANSPORT_BUSY', message: expect.stringMatching(/Too many session opens/) },
      });
    }
    // Ten made-up names spend the origin's own bucket; the eleventh is refused before any backend is asked.
    for (let i = 0; i < 10; i++) expect((await open(`no such reader ${i}`)).error?.code).not.toBe('TRANSPORT_BUSY');
    expect(await open('no such reader 10')).toMatchObject({ ok: false, error: { code: 'TRANSPORT_BUSY' } });
  });

  it('AUTHENTICATE: 5 at once per reader, then TRANSPORT_BUSY before the card — and a new session does not refill it', async () => {
    const t = await bridge();
    const { p, session } = await pageWithSession(t);
    for (let i = 0; i < 5; i++) {
      const r = await p.request({ id: 20 + i, op: 'authenticate', session, rand: B64_16, autn: B64_16 });
      expect(r).toMatchObject({ ok: false, error: { code: 'MAC_FAILURE' } }); // the card ran it (a made-up challenge)
    }
    expect(t.card.authenticates).toBe(5);
    const refused = await p.request({ id: 30, op: 'authenticate', session, rand: B64_16, autn: B64_16 });
    expect(refused).toMatchObject({
      ok: false,
      error: { code: 'TRANSPORT_BUSY', message: expect.stringMatching(/Too many AUTHENTICATE/) },
    });
    await p.request({ id: 31, op: 'close', session });
    const again = await p.request({ id: 32, op: 'open', reader: VIRTUAL_READER_NAME });
    const refusedAgain = await p.request({
      id: 33,
      op: 'authenticate',
      session: again.result!.session,
      rand: B64_16,
      autn: B64_16,
    });
    expect(refusedAgain).toMatchObject({ ok: false, error: { code: 'TRANSPORT_BUSY' } });
    expect(t.card.authenticates).toBe(5);
  });

  it('approval requests: 3 at once per origin, then 429 at the upgrade', async () => {
    const t = await bridge();
    const sockets: WebSocket[] = [];
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) {
      const ws = new WebSocket(`ws://127.0.0.1:${t.port}/pair`, { origin: 'http://flood.example' });
      sockets.push(ws);
      statuses.push(
        await new Promise<number>((resolve) => {
          ws.once('open', () => resolve(101));
          ws.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
          ws.once('error', () => resolve(0));
        }),
      );
    }
    sockets.forEach((s) => s.terminate());
    expect(statuses).toEqual([101, 101, 101, 429, 429]);
  });

  it('an approval flood from many subdomains of one site holds at most 3 waiting requests; each replaced one is told why', async () => {
    const t = await bridge();
    const sockets: WebSocket[] = [];
    const outcomes = await Promise.all(
      Array.from({ length: 30 }, (_, i) => {
        const ws = new WebSocket(`ws://127.0.0.1:${t.port}/pair`, { origin: `http://a${i}.flood.example` });
        sockets.push(ws);
        return new Promise<string>((resolve) => {
          const seen: string[] = [];
          ws.on('message', (d) => {
            const m = JSON.parse((d as Buffer).toString()) as { code?: string; reason?: string };
            seen.push(m.code ? 'code' : (m.reason ?? '?'));
            if (!m.code) resolve(seen.join(' then '));
          });
          ws.once('close', () => resolve(seen.join(' then ')));
          setTimeout(() => resolve(seen.join(' then ')), 1500);
        });
      }),
    );
    expect(outcomes.filter((o) => o === 'code')).toHaveLength(3);
    expect(outcomes.filter((o) => o === 'code then replaced by a newer request from the same site')).toHaveLength(27);
    expect(t.bridge.approvals.listPending()).toHaveLength(3);
    sockets.forEach((s) => s.terminate());
    await eventually(() => t.bridge.approvals.listPending().length === 0, 'the flood was withdrawn');
  });

  it('an approval flood from 30 sites holds at most 20 waiting requests: the oldest give way', async () => {
    const t = await bridge();
    const sockets: WebSocket[] = [];
    for (let i = 0; i < 30; i++) {
      const ws = new WebSocket(`ws://127.0.0.1:${t.port}/pair`, { origin: `http://site${i}.example` });
      sockets.push(ws);
      await new Promise((resolve) => ws.once('message', resolve));
    }
    const pending = t.bridge.approvals.listPending();
    expect(pending).toHaveLength(20);
    expect(pending[0]!.origin).toBe('http://site10.example');
    sockets.forEach((s) => s.terminate());
    await eventually(() => t.bridge.approvals.listPending().length === 0, 'the flood was withdrawn');
  });
});

describe('timeouts', () => {
  const limits = { helloMs: 200, idleMs: 400, headersTimeoutMs: 300, requestTimeoutMs: 600, timeoutCheckMs: 50 };

  it('a connection that never says hello is closed (4408) before anything is listed', async () => {
    const t = await bridge({ limits });
    const p = await page(t);
    const started = performance.now();
    expect(await p.closedWithin(2000)).toEqual({ code: 4408, reason: 'no hello' });
    expect(performance.now() - started).toBeLessThan(1000);
    expect(t.touched()).toEqual(UNTOUCHED);
  });

  it('an idle connection is closed (4408) and its reader freed', async () => {
    const t = await bridge({ limits });
    const { p } = await pageWithSession(t);
    expect(await p.closedWithin(2000)).toEqual({ code: 4408, reason: 'idle' });
    const other = await connectClient(t);
    const session = await other.open(VIRTUAL_READER_NAME);
    expect(await session.readImsi()).toBe('001010000000001');
    other.close();
  });

  it('a request head that never ends is dropped after the header timeout', async () => {
    const t = await bridge({ limits });
    const started = performance.now();
    const closed = await new Promise<string>((resolve) => {
      const s = net.connect(t.port, '127.0.0.1', () => s.write(`GET /api/config HTTP/1.1\r\nHost: ${t.host}\r\nX-Slow: `));
      let got = '';
      s.on('data', (d) => (got += d.toString()));
      s.on('close', () => resolve(got));
      s.on('error', () => undefined);
      // Keep trickling header bytes, as a slowloris client does.
      const drip = setInterval(() => s.writable && s.write('a'), 50);
      s.on('close', () => clearInterval(drip));
    });
    expect(performance.now() - started).toBeLessThan(1500);
    expect(closed).toMatch(/^(HTTP\/1\.1 408|$)/);
    expect(t.touched()).toEqual(UNTOUCHED);
  });

  it('a request body that never ends is dropped after the request timeout, and nothing is sent upstream', async () => {
    const t = await bridge({ limits });
    const started = performance.now();
    const answer = await new Promise<string>((resolve) => {
      const s = net.connect(t.port, '127.0.0.1', () =>
        s.write(
          `POST /krypton/lab/v1/keys HTTP/1.1\r\nHost: ${t.host}\r\nOrigin: ${t.url}\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"imsi"`,
        ),
      );
      let got = '';
      s.on('data', (d) => (got += d.toString()));
      s.on('close', () => resolve(got));
      s.on('error', () => undefined);
    });
    expect(performance.now() - started).toBeLessThan(2000);
    expect(answer).toMatch(/^HTTP\/1\.1 408/);
    expect(t.upstream).toEqual([]);
  });
});

describe('upstream', () => {
  it('a Krypton call slower than the upstream timeout is answered 504 UPSTREAM_TIMEOUT, naming only the host', async () => {
    const t = await bridge({ limits: { upstreamTimeoutMs: 200 } });
    lab.faults.update({ latencyMs: 1000 });
    try {
      const startedAt = performance.now();
      const r = await rawHttp(
        t.port,
        `POST /krypton/lab/v1/keys HTTP/1.1\r\nHost: ${t.host}\r\nOrigin: ${t.url}\r\nContent-Type: application/json\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}`,
      );
      expect(r.status).toBe(504);
      const host = new URL(lab.urls.provisioning).host;
      // The host, the reason and what to do: never the path (a keyId) nor anything of the request.
      expect(JSON.parse(r.body)).toEqual({
        code: 'UPSTREAM_TIMEOUT',
        host,
        reason: 'timeout',
        message: `${host} did not answer the bridge within 0.2 s: check the network connection (a slow or filtered line, a proxy?) and try again`,
        action: 'Check the network connection and any proxy, then try again in a moment',
      });
      expect(performance.now() - startedAt).toBeLessThan(900);
    } finally {
      lab.faults.update({ latencyMs: 0 });
    }
  });
});

describe('the served app', () => {
  let root: string;
  beforeAll(() => {
    root = mkdtempSync(join(tmpdir(), 'bridge-web-'));
    mkdirSync(join(root, 'dist'));
    writeFileSync(join(root, 'dist', 'index.html'), '<!doctype html><title>app</title>');
    writeFileSync(join(root, 'secret.txt'), 'TOP-SECRET');
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it.each(['/../secret.txt', '/%2e%2e/secret.txt', '/..%2fsecret.txt', '/%2e%2e%2fsecret.txt', '/..\\secret.txt', '/.%2e/secret.txt'])(
    'GET %s does not leave the web root',
    async (path) => {
      const t = await bridge({ webRoot: join(root, 'dist') });
      const r = await rawHttp(t.port, `GET ${path} HTTP/1.1\r\nHost: ${t.host}\r\nConnection: close\r\n\r\n`);
      expect(r.body).not.toContain('TOP-SECRET');
    },
  );

  it('serves the app with its security headers (no framing, no sniffing, same-origin resources)', async () => {
    const t = await bridge({ webRoot: join(root, 'dist') });
    const r = await rawHttp(t.port, `GET / HTTP/1.1\r\nHost: ${t.host}\r\nConnection: close\r\n\r\n`);
    expect(r.status).toBe(200);
    expect(r.body).toContain('<title>app</title>');
    expect(r.headers).toMatchObject({
      'x-frame-options': 'DENY',
      'x-content-type-options': 'nosniff',
      'cross-origin-resource-policy': 'same-origin',
    });
    expect(r.headers['access-control-allow-origin']).toBeUndefined();
  });
});
