import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startLab, type Lab } from '@krypton-web/krypton-lab';
import { BridgeClient, BridgeRemoteError, requestBridgeApproval, type PairingPrompt } from '@krypton-web/sim-transport';
import { startBridge, TOKEN_HEADER } from '../src/index.ts';
import {
  connectClient,
  eventually,
  rawHttp,
  startTestBridge,
  UNTOUCHED,
  VIRTUAL_READER_NAME,
  wsFrom,
  type TestBridge,
} from './support/harness.test-support.ts';

// Control 4: another origin is approved only by the person, on the bridge's own page (not frameable),
// which shows the requesting origin with the same code the page shows (and so does the terminal).
// Approval yields a random token the page sends in its first message or a header, never the URL;
// approvals can be listed and revoked, and revoking ends what the origin holds; --allow-origin
// pre-approves for development.

const PAGE = 'http://localhost:5173';

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
async function bridge(options: Parameters<typeof startTestBridge>[0] = {}): Promise<TestBridge> {
  const b = await startTestBridge({ lab, ...options });
  started.push(b);
  return b;
}

/** A form token from a fresh render of the approvals page. */
async function formToken(t: TestBridge): Promise<string> {
  const token = /name="csrf" value="([^"]+)"/.exec((await approvalsPage(t)).body)?.[1];
  if (!token) throw new Error('the approvals page offers no form (nothing pending or approved?)');
  return token;
}

/** A POST to the approvals page as its form would send it (with a fresh form token unless `csrf` is given), with the given extra header lines. */
async function post(t: TestBridge, path: string, headerLines: string, body = '', csrf?: string): ReturnType<typeof rawHttp> {
  const fields = [`csrf=${encodeURIComponent(csrf ?? (await formToken(t)))}`, ...(body ? [body] : [])].join('&');
  return rawHttp(
    t.port,
    `POST ${path} HTTP/1.1\r\nHost: ${t.host}\r\n${headerLines}Content-Type: application/x-www-form-urlencoded\r\nContent-Length: ${fields.length}\r\nConnection: close\r\n\r\n${fields}`,
  );
}
const ownOrigin = (t: TestBridge) => `Origin: ${t.url}\r\n`;

/** The bridge's approvals page as the person sees it (typed into the address bar). */
function approvalsPage(t: TestBridge): ReturnType<typeof rawHttp> {
  return rawHttp(t.port, `GET /approvals HTTP/1.1\r\nHost: ${t.host}\r\nSec-Fetch-Site: none\r\nConnection: close\r\n\r\n`);
}

/** Starts a page's approval request and waits for the code it shows. */
async function ask(t: TestBridge, origin = PAGE): Promise<{ prompt: PairingPrompt; token: Promise<string>; abort: AbortController }> {
  const abort = new AbortController();
  let prompt!: PairingPrompt;
  const token = requestBridgeApproval(`ws://127.0.0.1:${t.port}/pair`, (p) => (prompt = p), {
    WebSocket: wsFrom(origin),
    signal: abort.signal,
  });
  token.catch(() => undefined);
  await eventually(() => prompt !== undefined, 'the page got its code');
  return { prompt, token, abort };
}

/** The approve action the approvals page offers for the entry showing `origin` and `code`. */
function approveActionFor(html: string, origin: string, code: string): string | undefined {
  const entry = html.split('<li>').find((li) => li.includes(`<strong>${origin}</strong>`) && li.includes(`<code>${code}</code>`));
  return entry ? /action="(\/approvals\/[^"]+\/approve)"/.exec(entry)?.[1] : undefined;
}

describe('approving another origin, end to end', () => {
  it('the page and the bridge (page and terminal) show the same code; approving there hands the page a token that works in its first message', async () => {
    const t = await bridge();
    const { prompt, token } = await ask(t);
    expect(prompt.code).toMatch(/^[0-9]{6}$/);
    expect(prompt.approvalPage).toBe(`${t.url}/approvals`);
    // The terminal names the origin and the code.
    expect(t.lines.some((l) => l.includes(PAGE) && l.includes(prompt.code) && /approve at .*\/approvals/.test(l))).toBe(true);
    // The approvals page shows both, cannot be framed, and offers the decision.
    const page = await approvalsPage(t);
    expect(page.status).toBe(200);
    expect(page.headers['x-frame-options']).toBe('DENY');
    expect(page.headers['content-security-policy']).toContain("frame-ancestors 'none'");
    const action = approveActionFor(page.body, PAGE, prompt.code);
    expect(action).toBeDefined();

    const decided = await post(t, action!, ownOrigin(t));
    expect(decided.status).toBe(303);
    const tk = await token;
    expect(tk).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(t.bridge.approvals.listApproved()).toEqual([expect.objectContaining({ origin: PAGE, preApproved: false })]);

    const client = await connectClient(t, { origin: PAGE, token: tk });
    expect((await client.readers()).map((r) => r.name)).toEqual([VIRTUAL_READER_NAME]);
    const session = await client.open(VIRTUAL_READER_NAME);
    expect(await session.readImsi()).toBe('001010000000001');
    client.close();
    // The token never reaches the log.
    expect(t.lines.join('\n')).not.toContain(tk);
  });

  it.each([
    ['the requesting origin itself', `Origin: ${PAGE}\r\n`],
    ['another site', 'Origin: http://evil.example\r\n'],
    ['the null origin', 'Origin: null\r\n'],
    ['our origin over https', 'Origin: https://127.0.0.1:PORT\r\n'],
    ['a form without Origin claiming same-origin', 'Sec-Fetch-Site: same-origin\r\n'],
    ['a request without Origin or fetch metadata', ''],
  ])('an approval POSTed by %s is refused (403) and the page still waits', async (_why, lines) => {
    const t = await bridge();
    const { prompt } = await ask(t);
    const pending = t.bridge.approvals.listPending()[0]!;
    expect(pending.code).toBe(prompt.code);
    const r = await post(t, `/approvals/${pending.id}/approve`, lines.replace('PORT', String(t.port)));
    expect(r.status).toBe(403);
    expect(t.bridge.approvals.listPending().map((p) => p.id)).toEqual([pending.id]);
    expect(t.bridge.approvals.listApproved()).toEqual([]);
  });

  it.each([
    ['no form token', ''],
    ['a made-up form token', 'abc.def.ghi'],
    ['a form token with its signature changed', 'TAMPER'],
  ])('an approval POSTed with our Origin but %s is refused (403) and the page still waits', async (_why, csrf) => {
    const t = await bridge();
    await ask(t);
    const pending = t.bridge.approvals.listPending()[0]!;
    const real = await formToken(t);
    const token = csrf === 'TAMPER' ? `${real.slice(0, -2)}${real.endsWith('AA') ? 'BB' : 'AA'}` : csrf;
    const r = await rawHttp(
      t.port,
      `POST /approvals/${pending.id}/approve HTTP/1.1\r\nHost: ${t.host}\r\n${ownOrigin(t)}Content-Type: application/x-www-form-urlencoded\r\nContent-Length: ${5 + token.length}\r\nConnection: close\r\n\r\ncsrf=${token}`,
    );
    expect(r.status).toBe(403);
    expect(t.bridge.approvals.listApproved()).toEqual([]);
    expect(t.bridge.approvals.listPending().map((p) => p.id)).toEqual([pending.id]);
  });

  it('an approval POSTed with our Origin and a valid form token, but marked cross-site or same-site by the browser, is refused (403)', async () => {
    const t = await bridge();
    await ask(t);
    const pending = t.bridge.approvals.listPending()[0]!;
    for (const site of ['cross-site', 'same-site', 'none']) {
      const r = await post(t, `/approvals/${pending.id}/approve`, `${ownOrigin(t)}Sec-Fetch-Site: ${site}\r\n`);
      expect(r.status).toBe(403);
    }
    expect(t.bridge.approvals.listApproved()).toEqual([]);
  });

  it('the page Chromium and Firefox POST from sends its Origin: Referrer-Policy same-origin, forms carry a token, nothing cached', async () => {
    const t = await bridge();
    await ask(t);
    const page = await approvalsPage(t);
    expect(page.headers['referrer-policy']).toBe('same-origin');
    expect(page.headers['cache-control']).toBe('no-store');
    expect(page.body.match(/name="csrf"/g)).toHaveLength(2);
  });

  it.each([
    [
      'a link on another site (top-level navigation)',
      'Sec-Fetch-Site: cross-site\r\nSec-Fetch-Mode: navigate\r\nSec-Fetch-Dest: document\r\n',
      200,
    ],
    ['a link on a same-site page', 'Sec-Fetch-Site: same-site\r\nSec-Fetch-Mode: navigate\r\nSec-Fetch-Dest: document\r\n', 200],
    ['another site framing it', 'Sec-Fetch-Site: cross-site\r\nSec-Fetch-Mode: navigate\r\nSec-Fetch-Dest: iframe\r\n', 403],
    ['another site fetching it', 'Sec-Fetch-Site: cross-site\r\nSec-Fetch-Mode: cors\r\nSec-Fetch-Dest: empty\r\n', 403],
    ['another site fetching it without CORS', 'Sec-Fetch-Site: cross-site\r\nSec-Fetch-Mode: no-cors\r\nSec-Fetch-Dest: empty\r\n', 403],
    [
      'a navigation that carries another Origin',
      'Origin: http://evil.example\r\nSec-Fetch-Site: cross-site\r\nSec-Fetch-Mode: navigate\r\nSec-Fetch-Dest: document\r\n',
      403,
    ],
  ])('GET /approvals from %s: %i', async (_why, lines, status) => {
    const t = await bridge();
    await ask(t);
    const r = await rawHttp(t.port, `GET /approvals HTTP/1.1\r\nHost: ${t.host}\r\n${lines}Connection: close\r\n\r\n`);
    expect(r.status).toBe(status);
    if (status === 200) expect(r.headers['x-frame-options']).toBe('DENY');
    else expect(r.body).not.toContain(t.bridge.approvals.listPending()[0]!.code);
  });

  it('the list of approvals (JSON) stays own-pages-only, even for a top-level navigation from another site', async () => {
    const t = await bridge();
    await ask(t);
    const r = await rawHttp(
      t.port,
      `GET /approvals/list HTTP/1.1\r\nHost: ${t.host}\r\nSec-Fetch-Site: cross-site\r\nSec-Fetch-Mode: navigate\r\nSec-Fetch-Dest: document\r\nConnection: close\r\n\r\n`,
    );
    expect(r.status).toBe(403);
  });

  it('a GET of the approve or revoke address changes nothing (no state-changing GET)', async () => {
    const t = await bridge();
    await ask(t);
    const pending = t.bridge.approvals.listPending()[0]!;
    for (const path of [`/approvals/${pending.id}/approve`, `/approvals/${pending.id}/deny`]) {
      const r = await rawHttp(t.port, `GET ${path} HTTP/1.1\r\nHost: ${t.host}\r\nSec-Fetch-Site: none\r\nConnection: close\r\n\r\n`);
      expect(r.status).not.toBe(303);
    }
    expect(t.bridge.approvals.listPending().map((p) => p.id)).toEqual([pending.id]);
    t.bridge.approvals.preApprove('http://keep.example');
    await rawHttp(
      t.port,
      `GET /approvals/revoke?origin=${encodeURIComponent('http://keep.example')} HTTP/1.1\r\nHost: ${t.host}\r\nSec-Fetch-Site: none\r\nConnection: close\r\n\r\n`,
    );
    expect(t.bridge.approvals.listApproved().map((a) => a.origin)).toEqual(['http://keep.example']);
  });

  it('an unknown approval id approves nothing', async () => {
    const t = await bridge();
    await ask(t);
    const r = await post(t, '/approvals/not-a-real-id/approve', ownOrigin(t));
    expect(r.status).toBe(303);
    expect(t.bridge.approvals.listApproved()).toEqual([]);
    expect(t.bridge.approvals.listPending()).toHaveLength(1);
  });

  it('denying tells the page, which gets no token', async () => {
    const t = await bridge();
    const { token } = await ask(t);
    const pending = t.bridge.approvals.listPending()[0]!;
    expect((await post(t, `/approvals/${pending.id}/deny`, ownOrigin(t))).status).toBe(303);
    const e = await token.catch((x: unknown) => x);
    expect(e).toBeInstanceOf(BridgeRemoteError);
    expect((e as BridgeRemoteError).code).toBe('ABORTED');
    expect(t.bridge.approvals.listApproved()).toEqual([]);
  });

  it('a page that stops asking (closes its pairing socket) leaves the list', async () => {
    const t = await bridge();
    const { abort } = await ask(t);
    expect(t.bridge.approvals.listPending()).toHaveLength(1);
    abort.abort();
    await eventually(() => t.bridge.approvals.listPending().length === 0, 'the request was withdrawn');
  });
});

describe('the token', () => {
  async function approvedPage(t: TestBridge): Promise<string> {
    const { token } = await ask(t);
    t.bridge.approvals.approve(t.bridge.approvals.listPending()[0]!.id);
    return token;
  }

  it.each([
    ['no token', (_tk: string) => ({ path: '/ws', token: undefined })],
    ['a wrong token', (_tk: string) => ({ path: '/ws', token: 'A'.repeat(43) })],
    ['the token in the URL instead of the hello', (tk: string) => ({ path: `/ws?token=${tk}`, token: undefined })],
    ['the token in the URL under the header’s name', (tk: string) => ({ path: `/ws?${TOKEN_HEADER}=${tk}`, token: undefined })],
  ])('an approved origin with %s is closed at its hello (4401), before any card command', async (_why, how) => {
    const t = await bridge();
    const { path, token } = how(await approvedPage(t));
    let closedWith: string | undefined;
    const e = await BridgeClient.connect(`ws://127.0.0.1:${t.port}${path}`, {
      WebSocket: wsFrom(PAGE),
      ...(token ? { token } : {}),
      onClose: (err) => (closedWith = err.message),
    }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(BridgeRemoteError);
    expect(closedWith).toMatch(/refused this page: not approved: missing or revoked token/);
    expect(t.touched()).toEqual(UNTOUCHED);
  });

  it('revoking ends the origin’s open connection at once (4403), frees its reader, and its token stops working — also after a new approval', async () => {
    const t = await bridge();
    const tk = await approvedPage(t);
    let closed: string | undefined;
    const client = await BridgeClient.connect(`ws://127.0.0.1:${t.port}/ws`, {
      WebSocket: wsFrom(PAGE),
      token: tk,
      onClose: (e) => (closed = e.message),
    });
    const session = await client.open(VIRTUAL_READER_NAME);
    expect(await session.readIccid()).toMatch(/^89/);

    // A revoke from anywhere but the bridge's own page is refused.
    expect((await post(t, '/approvals/revoke', `Origin: ${PAGE}\r\n`, `origin=${encodeURIComponent(PAGE)}`)).status).toBe(403);
    expect(t.bridge.approvals.listApproved()).toHaveLength(1);

    const page = await approvalsPage(t);
    expect(page.body).toContain(`value="${PAGE}"`);
    const startedAt = performance.now();
    expect((await post(t, '/approvals/revoke', ownOrigin(t), `origin=${encodeURIComponent(PAGE)}`)).status).toBe(303);
    await eventually(() => closed !== undefined, 'the revoked page’s connection ended', 1000);
    expect(performance.now() - startedAt).toBeLessThan(1000);
    expect(closed).toMatch(/refused this page: approval revoked/);
    expect(t.bridge.approvals.listApproved()).toEqual([]);

    // Its reader is free for the bridge's own page right away.
    const own = await connectClient(t);
    await eventually(async () => !(await own.readers())[0]!.inUse, 'the reader is free');
    const ownSession = await own.open(VIRTUAL_READER_NAME);
    await ownSession.close();
    own.close();

    // The old token is refused, even once the origin is approved again with a new token.
    const newToken = await approvedPage(t);
    expect(newToken).not.toBe(tk);
    const old = await connectClient(t, { origin: PAGE, token: tk }).catch((x: unknown) => x);
    expect(old).toBeInstanceOf(BridgeRemoteError);
    const fresh = await connectClient(t, { origin: PAGE, token: newToken });
    expect(await fresh.readers()).toHaveLength(1);
    fresh.close();
  });

  it('a connection made with a token from before a revocation cannot go on after the origin is approved again', async () => {
    const t = await bridge();
    const tk = await approvedPage(t);
    // The connection said hello with the old token; the origin is revoked and approved again meanwhile.
    const client = await connectClient(t, { origin: PAGE, token: tk });
    t.bridge.approvals.revoke(PAGE);
    await approvedPage(t);
    const e = await client.readers().catch((x: unknown) => x);
    expect(e).toBeInstanceOf(BridgeRemoteError);
    expect(t.touched().readerLists).toBe(0);
  });
});

describe('--allow-origin', () => {
  it('pre-approves an origin: no pairing, no token, /ws and the proxy work for it; the list shows it as pre-approved', async () => {
    const t = await bridge({ allowOrigins: [PAGE] });
    expect(t.bridge.approvals.listApproved()).toEqual([expect.objectContaining({ origin: PAGE, preApproved: true })]);
    const client = await connectClient(t, { origin: PAGE });
    expect((await client.readers())[0]!.name).toBe(VIRTUAL_READER_NAME);
    client.close();
    const body = '{"imsi":"001010000000001"}';
    const r = await rawHttp(
      t.port,
      `POST /krypton/lab/v1/keys HTTP/1.1\r\nHost: ${t.host}\r\nOrigin: ${PAGE}\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`,
    );
    expect(r.status).toBe(200);
    expect(r.headers['access-control-allow-origin']).toBe(PAGE);
    // Only that exact origin.
    const other = await connectClient(t, { origin: 'http://localhost:5174' }).catch((x: unknown) => x);
    expect(other).toBeInstanceOf(BridgeRemoteError);
  });

  it.each([
    '*',
    'null',
    'localhost:5173',
    'http://localhost:5173/app',
    'file:///tmp/x.html',
    'http://user@localhost:5173',
    'HTTP://localhost:5173',
    'http://localhost:5173?x=1',
    'ws://localhost:5173',
  ])('refuses to start with --allow-origin %s', async (value) => {
    await expect(startBridge({ port: 0, pcsc: false, allowOrigins: [value] })).rejects.toThrow(/--allow-origin needs an origin/);
  });
});
