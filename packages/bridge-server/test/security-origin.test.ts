import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLab, type Lab } from '@krypton-web/krypton-lab';
import { TOKEN_HEADER } from '../src/index.ts';
import { rawHttp, rawUpgrade, startTestBridge, UNTOUCHED, type RawAnswer, type TestBridge } from './support/harness.test-support.ts';

// Control 3: the bridge's own origin is trusted; every other origin — look-alikes, http/https swaps,
// other ports, `null`, a missing Origin, non-canonical spellings — is refused unless the person
// approved it. No `*`, no reflection of an unapproved origin, `Vary: Origin`, never credentials.
// Control 7 (part): nothing identifying (version, readers) reaches an unapproved origin.

let lab: Lab;
let t: TestBridge;
beforeAll(async () => {
  lab = await startLab();
  t = await startTestBridge({ lab });
});
afterAll(async () => {
  await t?.close();
  await lab?.close();
});

const KEYS_BODY = '{"imsi":"001010000000001"}';

/** Origin header lines for a row (none for "missing"), and whether the origin may ask for approval on /pair. */
interface OriginRow {
  why: string;
  lines: () => string;
  /** A well-formed origin that is not ours may ask the person for approval; anything malformed may not. */
  mayAsk: boolean;
}
const one = (value: () => string) => () => `Origin: ${value()}\r\n`;
const HOSTILE: OriginRow[] = [
  { why: 'https instead of http', lines: one(() => `https://127.0.0.1:${t.port}`), mayAsk: true },
  { why: 'https on localhost', lines: one(() => `https://localhost:${t.port}`), mayAsk: true },
  { why: 'another port on 127.0.0.1', lines: one(() => `http://127.0.0.1:${t.port + 1}`), mayAsk: true },
  { why: 'another port on localhost', lines: one(() => `http://localhost:${t.port + 1}`), mayAsk: true },
  { why: '127.0.0.1 without a port', lines: one(() => 'http://127.0.0.1'), mayAsk: true },
  { why: 'a look-alike name (localhost.evil.example)', lines: one(() => 'http://localhost.evil.example'), mayAsk: true },
  {
    why: 'a DNS name resolving to 127.0.0.1 (127.0.0.1.nip.io) on our port',
    lines: one(() => `http://127.0.0.1.nip.io:${t.port}`),
    mayAsk: true,
  },
  { why: 'localhost with a trailing dot', lines: one(() => `http://localhost.:${t.port}`), mayAsk: true },
  { why: '[::1] while not listening on IPv6', lines: one(() => `http://[::1]:${t.port}`), mayAsk: true },
  { why: 'the literal null (sandboxed frames, file: pages)', lines: one(() => 'null'), mayAsk: false },
  { why: 'no Origin at all', lines: () => '', mayAsk: false },
  { why: 'an empty Origin', lines: () => 'Origin: \r\n', mayAsk: false },
  { why: 'a file: origin', lines: one(() => 'file://'), mayAsk: false },
  { why: 'a browser extension', lines: one(() => 'chrome-extension://abcdefghijklmnop'), mayAsk: false },
  { why: 'a ws: scheme', lines: one(() => `ws://127.0.0.1:${t.port}`), mayAsk: false },
  { why: 'an uppercase scheme', lines: one(() => `HTTP://127.0.0.1:${t.port}`), mayAsk: false },
  { why: 'an uppercase host', lines: one(() => `http://LOCALHOST:${t.port}`), mayAsk: false },
  { why: 'a trailing slash', lines: one(() => `http://127.0.0.1:${t.port}/`), mayAsk: false },
  { why: 'a path', lines: one(() => `http://127.0.0.1:${t.port}/app`), mayAsk: false },
  { why: 'userinfo', lines: one(() => `http://user@127.0.0.1:${t.port}`), mayAsk: false },
  { why: 'a zero-padded port', lines: one(() => `http://127.0.0.1:0${t.port}`), mayAsk: false },
  { why: '127.0.0.1 as a decimal number', lines: one(() => `http://2130706433:${t.port}`), mayAsk: false },
  { why: 'a list with ours first', lines: one(() => `http://127.0.0.1:${t.port}, http://evil.example`), mayAsk: false },
  {
    why: 'two Origin headers, ours first',
    lines: () => `Origin: http://127.0.0.1:${t.port}\r\nOrigin: http://evil.example\r\n`,
    mayAsk: false,
  },
];

const host = () => `Host: 127.0.0.1:${t.port}\r\n`;

/** No answer of the bridge ever allows every origin, or credentials. */
function noWildcardNoCredentials(r: RawAnswer): void {
  expect(r.headers['access-control-allow-origin']).not.toBe('*');
  expect(r.headers['access-control-allow-credentials']).toBeUndefined();
}

/** An answer to an unapproved origin: no CORS grant at all, and nothing identifying the bridge. */
function refusedQuietly(r: RawAnswer): void {
  expect(r.status).toBe(403);
  expect(r.headers['access-control-allow-origin']).toBeUndefined();
  noWildcardNoCredentials(r);
  expect(r.body).not.toMatch(/krypton-web-bridge|0\.1\.0|Virtual|reader/i);
}

describe.each(HOSTILE)('Origin: $why', ({ lines, mayAsk }) => {
  it('/ws upgrade: 403, no socket, no card command', async () => {
    expect(await rawUpgrade(t.port, '/ws', `${host()}${lines()}`)).toBe(403);
    expect(t.touched()).toEqual(UNTOUCHED);
  });

  it(`/pair upgrade: ${mayAsk ? 'may ask the person (101), and learns nothing but a code' : '403, no approval request'}`, async () => {
    const before = t.bridge.approvals.listPending().length;
    const status = await rawUpgrade(t.port, '/pair', `${host()}${lines()}`);
    expect(status).toBe(mayAsk ? 101 : 403);
    if (!mayAsk) expect(t.bridge.approvals.listPending().length).toBe(before);
    expect(t.bridge.approvals.listApproved()).toEqual([]);
    expect(t.touched()).toEqual(UNTOUCHED);
  });

  it('GET /api/config: 403 with nothing identifying (no version, mode or readers)', async () => {
    refusedQuietly(await rawHttp(t.port, `GET /api/config HTTP/1.1\r\n${host()}${lines()}Connection: close\r\n\r\n`));
    expect(t.touched()).toEqual(UNTOUCHED);
  });

  it('GET /api/config claiming a cross-site or same-site fetch without Origin: 403', async () => {
    for (const site of ['cross-site', 'same-site']) {
      refusedQuietly(
        await rawHttp(t.port, `GET /api/config HTTP/1.1\r\n${host()}${lines()}Sec-Fetch-Site: ${site}\r\nConnection: close\r\n\r\n`),
      );
    }
  });

  it('POST to the Krypton proxy: 403, no CORS grant, Vary: Origin, nothing sent upstream', async () => {
    const r = await rawHttp(
      t.port,
      `POST /krypton/lab/v1/keys HTTP/1.1\r\n${host()}${lines()}Content-Type: text/plain\r\nContent-Length: ${KEYS_BODY.length}\r\nConnection: close\r\n\r\n${KEYS_BODY}`,
    );
    refusedQuietly(r);
    expect(r.headers.vary).toBe('Origin');
    expect(t.touched()).toEqual(UNTOUCHED);
  });

  it('preflight of the Krypton proxy: 403, no CORS grant, Vary: Origin', async () => {
    const r = await rawHttp(
      t.port,
      `OPTIONS /krypton/lab/v1/keys HTTP/1.1\r\n${host()}${lines()}Access-Control-Request-Method: POST\r\nAccess-Control-Request-Headers: content-type, ${TOKEN_HEADER}\r\nConnection: close\r\n\r\n`,
    );
    refusedQuietly(r);
    expect(r.headers['access-control-allow-methods']).toBeUndefined();
    expect(r.headers.vary).toBe('Origin');
  });

  it('GET /approvals (the approvals page): 403', async () => {
    refusedQuietly(
      await rawHttp(t.port, `GET /approvals HTTP/1.1\r\n${host()}${lines()}Sec-Fetch-Site: cross-site\r\nConnection: close\r\n\r\n`),
    );
  });
});

describe('the origins that are allowed', () => {
  let token: string;
  const approved = 'http://localhost:5173';
  beforeAll(() => {
    const pending = t.bridge.approvals.request(
      approved,
      (tk) => (token = tk),
      () => undefined,
    );
    t.bridge.approvals.approve(pending!.id);
  });

  it.each([['127.0.0.1'], ['localhost']])('own origin http://%s:<port>: /api/config answers, /ws upgrades', async (name) => {
    const origin = `http://${name}:${t.port}`;
    const r = await rawHttp(t.port, `GET /api/config HTTP/1.1\r\n${host()}Origin: ${origin}\r\nConnection: close\r\n\r\n`);
    expect(r.status).toBe(200);
    expect(JSON.parse(r.body)).toMatchObject({ mode: 'demo', bridge: expect.stringMatching(/^krypton-web-bridge/) });
    expect(await rawUpgrade(t.port, '/ws', `${host()}Origin: ${origin}\r\n`)).toBe(101);
  });

  it('own origin: the proxy forwards, with no CORS headers (same origin needs none) and Vary: Origin', async () => {
    const before = t.upstream.length;
    const r = await rawHttp(
      t.port,
      `POST /krypton/lab/v1/keys HTTP/1.1\r\n${host()}Origin: ${t.url}\r\nContent-Type: application/json\r\nContent-Length: ${KEYS_BODY.length}\r\nConnection: close\r\n\r\n${KEYS_BODY}`,
    );
    expect(r.status).toBe(200);
    expect(JSON.parse(r.body)).toHaveProperty('rand');
    expect(t.upstream.length).toBe(before + 1);
    expect(r.headers['access-control-allow-origin']).toBeUndefined();
    expect(r.headers.vary).toBe('Origin');
    noWildcardNoCredentials(r);
  });

  it('an own page loaded by typing its address (no Origin, Sec-Fetch-Site none or same-origin) may read /api/config', async () => {
    for (const site of ['none', 'same-origin']) {
      const r = await rawHttp(t.port, `GET /api/config HTTP/1.1\r\n${host()}Sec-Fetch-Site: ${site}\r\nConnection: close\r\n\r\n`);
      expect(r.status).toBe(200);
      // A page on another origin (behind a dev server's proxy) compares its own against these to know it must ask for approval.
      expect((JSON.parse(r.body) as { origins: string[] }).origins).toEqual([`http://127.0.0.1:${t.port}`, `http://localhost:${t.port}`]);
    }
  });

  it('approved origin: the preflight echoes exactly that origin, with Vary: Origin and no credentials', async () => {
    const r = await rawHttp(
      t.port,
      `OPTIONS /krypton/lab/v1/keys HTTP/1.1\r\n${host()}Origin: ${approved}\r\nAccess-Control-Request-Method: POST\r\nAccess-Control-Request-Headers: content-type, ${TOKEN_HEADER}\r\nConnection: close\r\n\r\n`,
    );
    expect(r.status).toBe(204);
    expect(r.headers['access-control-allow-origin']).toBe(approved);
    expect(r.headers.vary).toBe('Origin');
    expect(r.headers['access-control-allow-methods']).toBe('POST');
    expect(r.headers['access-control-allow-headers']).toContain(TOKEN_HEADER);
    noWildcardNoCredentials(r);
  });

  it('approved origin with its token: the proxy forwards, echoes the origin, exposes Date and the upstream host, never credentials', async () => {
    const before = t.upstream.length;
    const r = await rawHttp(
      t.port,
      `POST /krypton/lab/v1/keys HTTP/1.1\r\n${host()}Origin: ${approved}\r\n${TOKEN_HEADER}: ${token}\r\nContent-Type: application/json\r\nContent-Length: ${KEYS_BODY.length}\r\nConnection: close\r\n\r\n${KEYS_BODY}`,
    );
    expect(r.status).toBe(200);
    expect(t.upstream.length).toBe(before + 1);
    expect(r.headers['access-control-allow-origin']).toBe(approved);
    expect(r.headers['access-control-expose-headers']).toBe('Date, X-Krypton-Upstream-Host');
    expect(r.headers.date).toBeDefined();
    expect(r.headers.vary).toBe('Origin');
    noWildcardNoCredentials(r);
  });

  it.each([
    ['no token', ''],
    ['a wrong token', `${TOKEN_HEADER}: ${'A'.repeat(43)}\r\n`],
    ['the token in the query string', '?token'],
  ])('approved origin with %s: 403, nothing sent upstream', async (_why, extra) => {
    const before = t.upstream.length;
    const query = extra === '?token' ? `?${TOKEN_HEADER}=${token}` : '';
    const header = extra === '?token' ? '' : extra;
    const r = await rawHttp(
      t.port,
      `POST /krypton/lab/v1/keys${query} HTTP/1.1\r\n${host()}Origin: ${approved}\r\n${header}Content-Type: application/json\r\nContent-Length: ${KEYS_BODY.length}\r\nConnection: close\r\n\r\n${KEYS_BODY}`,
    );
    expect(r.status).toBe(403);
    expect(r.headers['access-control-allow-origin']).toBeUndefined();
    expect(t.upstream.length).toBe(before);
  });

  it('approved origin: /api/config stays own-only (403), /ws upgrades (the token comes in the hello)', async () => {
    refusedQuietly(await rawHttp(t.port, `GET /api/config HTTP/1.1\r\n${host()}Origin: ${approved}\r\nConnection: close\r\n\r\n`));
    expect(await rawUpgrade(t.port, '/ws', `${host()}Origin: ${approved}\r\n`)).toBe(101);
  });

  it('the approved origin’s look-alikes stay refused (https swap, other port, trailing slash)', async () => {
    for (const o of ['https://localhost:5173', 'http://localhost:5174', 'http://localhost:5173/', 'http://127.0.0.1:5173']) {
      expect(await rawUpgrade(t.port, '/ws', `${host()}Origin: ${o}\r\n`)).toBe(403);
      const r = await rawHttp(
        t.port,
        `OPTIONS /krypton/lab/v1/keys HTTP/1.1\r\n${host()}Origin: ${o}\r\nAccess-Control-Request-Method: POST\r\nConnection: close\r\n\r\n`,
      );
      expect(r.status).toBe(403);
      expect(r.headers['access-control-allow-origin']).toBeUndefined();
    }
  });
});
