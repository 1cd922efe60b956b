import http from 'node:http';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rawHttp, startTestBridge, type RawAnswer, type TestBridge } from './support/harness.test-support.ts';

// The build's dotfiles are not served, and the Krypton proxy passes on only what Krypton answers:
// JSON or text, never a redirect and never an HTML page (a captive portal's, a proxy's error page).

const SORACOM = 'https://g.api.soracom.io';
const SECRET_MARK = 'built-from-commit-0123456789abcdef';

/** What the stand-in for Krypton answers next: status, headers and body. */
let answer: { status: number; headers: Record<string, string>; body: string };
let upstream: http.Server;
let upstreamUrl: string;
let webRoot: string;
let t: TestBridge;

beforeAll(async () => {
  upstream = http.createServer((req, res) => {
    req.resume();
    res.writeHead(answer.status, answer.headers);
    res.end(answer.body);
  });
  await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
  upstreamUrl = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`;

  webRoot = mkdtempSync(join(tmpdir(), 'krypton-web-static-'));
  writeFileSync(join(webRoot, 'index.html'), '<!doctype html><title>app</title>');
  writeFileSync(join(webRoot, '.built-from'), SECRET_MARK);
  writeFileSync(join(webRoot, '.env'), SECRET_MARK);
  mkdirSync(join(webRoot, '.vite'));
  writeFileSync(join(webRoot, '.vite', 'manifest.json'), JSON.stringify({ mark: SECRET_MARK }));
  mkdirSync(join(webRoot, 'assets'));
  writeFileSync(join(webRoot, 'assets', 'app.js'), 'console.log(1)');
  writeFileSync(join(webRoot, 'assets', '.hidden'), SECRET_MARK);

  t = await startTestBridge({
    webRoot,
    upstreamFetch: (input, init) => fetch((input instanceof Request ? input.url : String(input)).replace(SORACOM, upstreamUrl), init),
  });
});
afterAll(async () => {
  await t?.close();
  upstream?.closeAllConnections();
  await new Promise((resolve) => upstream?.close(resolve));
  rmSync(webRoot, { recursive: true, force: true });
});

const get = (path: string): Promise<RawAnswer> =>
  rawHttp(t.port, `GET ${path} HTTP/1.1\r\nHost: ${t.host}\r\nSec-Fetch-Site: none\r\nConnection: close\r\n\r\n`);

describe('dotfiles of the build', () => {
  it.each([
    '/.built-from',
    '/.env',
    '/.vite/manifest.json',
    '/.vite/',
    '/assets/.hidden',
    '/%2Ebuilt-from',
    '/%2evite/manifest.json',
    '/.vite%2Fmanifest.json',
    '/assets/%2Ehidden',
    '/assets/../.built-from',
    '/x/%2E%2E/.built-from',
  ])('%s: 404, and nothing of the file', async (path) => {
    const r = await get(path);
    expect(r.status).toBe(404);
    expect(r.body).not.toContain(SECRET_MARK);
    expect(r.body).not.toContain('<title>app</title>');
  });

  it('the app and its assets are still served', async () => {
    expect((await get('/')).status).toBe(200);
    expect((await get('/assets/app.js')).body).toContain('console.log(1)');
    expect((await get('/some/route')).body).toContain('<title>app</title>');
  });
});

describe('paths of the download service worker', () => {
  it.each(['/krypton-download/0b6f1c2e-4d0a-4a57-9d1e-8f3a2b1c0d9e/firmware.bin', '/krypton-download/x', '/krypton-download/'])(
    '%s (missed by the worker): 404 JSON that says so, not the app',
    async (path) => {
      const r = await get(path);
      expect(r.status).toBe(404);
      expect(r.headers['content-type']).toMatch(/^application\/json/);
      expect(r.headers['cache-control']).toBe('no-store');
      expect(r.body).not.toContain('<title>app</title>');
      const body = JSON.parse(r.body) as { code: string; message: string };
      expect(body).toEqual({ code: 'NOT_FOUND', message: expect.stringMatching(/download service worker did not take this download/) });
    },
  );

  it('paths that only start alike still get the app', async () => {
    expect((await get('/krypton-downloads')).body).toContain('<title>app</title>');
  });
});

/** A Krypton key agreement call from the bridge's own page, through the proxy. */
function keysCall(): Promise<RawAnswer> {
  return rawHttp(
    t.port,
    `POST /krypton/global/v1/keys HTTP/1.1\r\nHost: ${t.host}\r\nOrigin: ${t.url}\r\nContent-Type: application/json\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}`,
  );
}

describe('what the Krypton proxy passes on', () => {
  it.each([
    [200, 'application/json', '{"keyId":"k"}'],
    [200, 'application/json; charset=utf-8', '{"keyId":"k"}'],
    [400, 'application/json', '{"code":"KRY0001","message":"bad"}'],
    [400, 'application/problem+json', '{"title":"bad"}'],
    [401, 'text/plain; charset=utf-8', 'Unauthorized'],
    [204, '', ''],
  ])('HTTP %i %s: passed on as is', async (status, type, body) => {
    answer = { status, headers: type ? { 'Content-Type': type } : {}, body };
    const r = await keysCall();
    expect(r.status).toBe(status);
    expect(r.body).toBe(body);
  });

  it.each([
    [301, { Location: 'http://evil.example/' }],
    [302, { Location: 'http://portal.example/login' }],
    [303, { Location: '/elsewhere' }],
    [307, { Location: 'http://evil.example/v1/keys' }],
    [308, { Location: 'http://evil.example/v1/keys', 'Content-Type': 'application/json' }],
  ])('HTTP %i redirect: 502 UPSTREAM_REDIRECT, no Location, nothing of the upstream body', async (status, headers) => {
    answer = { status, headers, body: '<html>moved</html>' };
    const r = await keysCall();
    expect(r.status).toBe(502);
    expect(r.headers.location).toBeUndefined();
    expect(r.body).not.toContain('moved');
    const body = JSON.parse(r.body) as { code: string; message: string };
    expect(body.code).toBe('UPSTREAM_REDIRECT');
    expect(body.message).toMatch(/redirect \(HTTP 30\d\).*check the network/);
  });

  it.each([
    [200, 'text/html', '<html><script>alert(1)</script></html>'],
    [200, 'text/html; charset=utf-8', '<!doctype html><h1>Captive portal</h1>'],
    [502, 'text/html', '<html><body>Bad Gateway (nginx)</body></html>'],
    [200, 'application/xhtml+xml', '<html xmlns="http://www.w3.org/1999/xhtml"/>'],
    [200, 'image/svg+xml', '<svg onload="alert(1)"/>'],
    [200, 'application/javascript', 'alert(1)'],
    [200, 'text/xml', '<x/>'],
    [200, '', '{"untyped":true}'],
  ])('HTTP %i "%s": 502 UPSTREAM_NOT_JSON, nothing of the upstream body', async (status, type, body) => {
    answer = { status, headers: type ? { 'Content-Type': type } : {}, body };
    const r = await keysCall();
    expect(r.status).toBe(502);
    expect(r.headers['content-type']).toMatch(/^application\/json/);
    expect(r.body).not.toContain(body);
    const parsed = JSON.parse(r.body) as { code: string; message: string };
    expect(parsed.code).toBe('UPSTREAM_NOT_JSON');
    expect(parsed.message).toMatch(/instead of JSON/);
  });
});
