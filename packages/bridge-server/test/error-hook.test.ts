import http from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi, type MockInstance } from 'vitest';
import { demoProfileSet, findSim, VirtualUsim } from '@krypton-web/krypton-lab';
import { VirtualReaderBackend } from '../src/virtual-reader.ts';
import type { BackendReader, OpenedCard, ReaderBackend, ReaderChange } from '../src/index.ts';
import {
  rawHttp,
  ScriptedPage,
  startTestBridge,
  VIRTUAL_READER_NAME,
  type RawAnswer,
  type TestBridge,
} from './support/harness.test-support.ts';

// Item 7: every error in the bridge — in the HTTP app (the Krypton proxy's sub-app included) and in the
// WebSocket gateway — ends in a typed answer and one log line of facts; never hono's plain-text 500,
// never console.error, never an unhandled rejection.

const SORACOM = 'https://g.api.soracom.io';

/** How the stand-in for Krypton misbehaves on the next call. */
type Misbehaviour = 'reset-mid-body' | 'stall-mid-body' | 'corrupt-gzip' | 'fine';

let upstream: http.Server;
let upstreamUrl: string;
let misbehaviour: Misbehaviour = 'fine';

beforeAll(async () => {
  upstream = http.createServer((req, res) => {
    req.resume();
    switch (misbehaviour) {
      case 'reset-mid-body':
        // The head and a first piece of a promised 100-byte body, then the connection is gone.
        res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': '100' });
        res.write('{"keyId":"');
        setTimeout(() => res.socket?.destroy(), 30);
        return;
      case 'stall-mid-body':
        res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': '100' });
        res.write('{"keyId":"');
        return;
      case 'corrupt-gzip':
        res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Encoding': 'gzip' });
        res.end('this is not gzip');
        return;
      case 'fine':
        res.writeHead(200, { 'Content-Type': 'application/json' });
        res.end('{"ok":true}');
    }
  });
  await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
  upstreamUrl = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`;
});
afterAll(async () => {
  upstream.closeAllConnections();
  await new Promise((resolve) => upstream.close(resolve));
});

let consoleError: MockInstance;
let unhandled: unknown[];
const onUnhandled = (e: unknown) => unhandled.push(e);
const bridges: TestBridge[] = [];
beforeEach(() => {
  misbehaviour = 'fine';
  consoleError = vi.spyOn(console, 'error');
  unhandled = [];
  process.on('unhandledRejection', onUnhandled);
});
afterEach(async () => {
  process.off('unhandledRejection', onUnhandled);
  await Promise.all(bridges.splice(0).map((b) => b.close()));
  // Checked after the bridge closed: a failure logged late (a dangling stream) would show here too.
  const printed = consoleError.mock.calls.map((args) => args.map(String).join(' '));
  consoleError.mockRestore();
  expect(printed).toEqual([]);
  expect(unhandled.map(String)).toEqual([]);
});

/** A bridge whose calls to SORACOM's global endpoint go to the stand-in above, or to `fetch` when given. */
async function bridge(options: { upstreamTimeoutMs?: number; fetch?: typeof fetch; readers?: ReaderBackend[] } = {}): Promise<TestBridge> {
  const t = await startTestBridge({
    ...(options.upstreamTimeoutMs ? { limits: { upstreamTimeoutMs: options.upstreamTimeoutMs } } : {}),
    ...(options.readers ? { readers: options.readers } : {}),
    upstreamFetch:
      options.fetch ?? ((input, init) => fetch((input instanceof Request ? input.url : String(input)).replace(SORACOM, upstreamUrl), init)),
  });
  bridges.push(t);
  return t;
}

/** A Krypton key agreement call from the bridge's own page, through the proxy. */
function keysCall(t: TestBridge, timeoutMs = 3000): Promise<RawAnswer> {
  return rawHttp(
    t.port,
    `POST /krypton/global/v1/keys HTTP/1.1\r\nHost: ${t.host}\r\nOrigin: ${t.url}\r\nContent-Type: application/json\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}`,
    { timeoutMs },
  );
}

/** The facts of a log line (`key=value`, strings JSON-quoted), by name. */
function factsOf(line: string): Record<string, string> {
  const facts: Record<string, string> = {};
  for (const m of line.matchAll(/ ([A-Za-z]+)=("(?:[^"\\]|\\.)*"|\S+)/g))
    facts[m[1]!] = m[2]!.startsWith('"') ? (JSON.parse(m[2]!) as string) : m[2]!;
  return facts;
}

/** The one log line that starts with `prefix` (level and message); fails if there is none or more than one. */
function onlyLine(t: TestBridge, prefix: RegExp): string {
  const found = t.lines.filter((l) => prefix.test(l));
  expect(found, `log lines matching ${prefix}:\n${t.lines.join('\n')}`).toHaveLength(1);
  return found[0]!;
}

/** What every error answer must be: JSON `{ code, message }` with the status, never hono's default text. */
function expectTypedAnswer(
  r: RawAnswer,
  status: number,
  code: string,
): { code: string; message: string; host?: string; reason?: string; action?: string } {
  expect(r.status).toBe(status);
  // hono's default answer is the text "Internal Server Error" (the status line's reason phrase may say it, the body must not).
  expect(r.body).not.toContain('Internal Server Error');
  expect(r.headers['content-type']).toMatch(/^application\/json/);
  const body = JSON.parse(r.body) as { code: string; message: string; host?: string; reason?: string; action?: string };
  // Upstream failures add the host, which failure it was and what to do; nothing else ever goes in.
  expect(['action', 'code', 'host', 'message', 'reason']).toEqual(expect.arrayContaining(Object.keys(body)));
  expect(body.code).toBe(code);
  return body;
}

describe('the Krypton proxy: failures while reading the upstream answer', () => {
  it('an upstream that sends its head, then resets the connection mid-body: 502 UPSTREAM_BROKEN, logged as facts', async () => {
    const t = await bridge();
    misbehaviour = 'reset-mid-body';
    const r = await keysCall(t);
    const body = expectTypedAnswer(r, 502, 'UPSTREAM_BROKEN');
    expect(body.message).toBe(
      'g.api.soracom.io broke off its answer before the end: try again; if it repeats, check the network connection and the endpoint URL',
    );
    // The answer still carries the headers the guards set before the handler failed.
    expect(r.headers['x-content-type-options']).toBe('nosniff');
    expect(r.headers['vary']).toBe('Origin');
    const line = onlyLine(t, /^bridge warn +request failed /);
    expect(factsOf(line)).toMatchObject({
      code: 'UPSTREAM_BROKEN',
      status: '502',
      method: 'POST',
      route: '/krypton/:target/*',
      target: 'global',
      path: '/v1/keys',
      phase: 'body',
      upstreamStatus: '200',
      reason: 'connection lost',
      cause: 'UND_ERR_SOCKET',
    });
    // The piece of body that did arrive is not in the log.
    expect(line).not.toContain('keyId');
    expect(t.lines.filter((l) => /Krypton call/.test(l))).toEqual([]);
  });

  it('an upstream that stalls mid-body past the timeout: 504 UPSTREAM_TIMEOUT at the timeout, logged as facts', async () => {
    const t = await bridge({ upstreamTimeoutMs: 300 });
    misbehaviour = 'stall-mid-body';
    const started = performance.now();
    const r = await keysCall(t);
    const elapsed = performance.now() - started;
    const body = expectTypedAnswer(r, 504, 'UPSTREAM_TIMEOUT');
    expect(body.message).toBe(
      'SORACOM (g.api.soracom.io) began to answer but did not finish within 0.3 s: check the network connection (a slow or filtered line, a proxy?) and try again',
    );
    expect(elapsed).toBeGreaterThanOrEqual(250);
    expect(elapsed).toBeLessThan(2000);
    expect(factsOf(onlyLine(t, /^bridge warn +request failed /))).toMatchObject({
      code: 'UPSTREAM_TIMEOUT',
      status: '504',
      route: '/krypton/:target/*',
      target: 'global',
      phase: 'body',
      upstreamStatus: '200',
      reason: 'timeout',
    });
  });

  it('an upstream whose body does not decode (corrupt gzip): 502 UPSTREAM_BROKEN saying so', async () => {
    const t = await bridge();
    misbehaviour = 'corrupt-gzip';
    const body = expectTypedAnswer(await keysCall(t), 502, 'UPSTREAM_BROKEN');
    expect(body.message).toBe(
      'g.api.soracom.io sent an answer that could not be decoded: try again; if it repeats, check the network connection and the endpoint URL',
    );
    expect(factsOf(onlyLine(t, /^bridge warn +request failed /))).toMatchObject({
      code: 'UPSTREAM_BROKEN',
      phase: 'body',
      reason: 'undecodable',
      cause: 'Z_DATA_ERROR',
    });
  });

  it('an upstream that cannot be reached at all: 502 UPSTREAM_UNREACHABLE before any head', async () => {
    // A port that was just free: nothing listens there.
    const closed = http.createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const deadUrl = `http://127.0.0.1:${(closed.address() as AddressInfo).port}`;
    await new Promise((resolve) => closed.close(resolve));
    const t = await bridge({
      fetch: (input, init) => fetch((input instanceof Request ? input.url : String(input)).replace(SORACOM, deadUrl), init),
    });
    const body = expectTypedAnswer(await keysCall(t), 502, 'UPSTREAM_UNREACHABLE');
    expect(body.message).toBe(
      'Cannot reach SORACOM (g.api.soracom.io): the connection to g.api.soracom.io was refused; no internet, a DNS failure or a proxy in the way',
    );
    expect(body).toMatchObject({ host: 'g.api.soracom.io', reason: 'refused' });
    expect(body.action).toMatch(/internet connection, its DNS and any proxy/);
    expect(factsOf(onlyLine(t, /^bridge warn +request failed /))).toMatchObject({
      code: 'UPSTREAM_UNREACHABLE',
      phase: 'connect',
      reason: 'refused',
      cause: 'ECONNREFUSED',
    });
  });

  it('an upstream name that does not resolve (DNS): 502 UPSTREAM_UNREACHABLE saying the name does not resolve', async () => {
    // `.invalid` never resolves (RFC 2606): the real resolver answers NXDOMAIN, or fails when offline — both are DNS.
    const t = await bridge({
      fetch: (input, init) =>
        fetch((input instanceof Request ? input.url : String(input)).replace(SORACOM, 'http://krypton.nowhere.invalid'), init),
    });
    const body = expectTypedAnswer(await keysCall(t, 10_000), 502, 'UPSTREAM_UNREACHABLE');
    expect(body).toMatchObject({ host: 'g.api.soracom.io', reason: 'dns' });
    expect(body.message).toBe(
      'Cannot reach SORACOM (g.api.soracom.io): the name g.api.soracom.io does not resolve (DNS); no internet, a DNS failure or a proxy in the way',
    );
    expect(factsOf(onlyLine(t, /^bridge warn +request failed /))).toMatchObject({ code: 'UPSTREAM_UNREACHABLE', reason: 'dns' });
  });

  it('an upstream that accepts the connection and never answers: 504 UPSTREAM_TIMEOUT at the timeout, phase connect', async () => {
    const held: net.Socket[] = [];
    const silent = net.createServer((socket) => void held.push(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const silentUrl = `http://127.0.0.1:${(silent.address() as AddressInfo).port}`;
    try {
      const t = await bridge({
        upstreamTimeoutMs: 300,
        fetch: (input, init) => fetch((input instanceof Request ? input.url : String(input)).replace(SORACOM, silentUrl), init),
      });
      const body = expectTypedAnswer(await keysCall(t), 504, 'UPSTREAM_TIMEOUT');
      expect(body).toMatchObject({ host: 'g.api.soracom.io', reason: 'timeout' });
      expect(body.message).toMatch(/^SORACOM \(g\.api\.soracom\.io\) did not answer the bridge within 0\.3 s: /);
      expect(factsOf(onlyLine(t, /^bridge warn +request failed /))).toMatchObject({ phase: 'connect', reason: 'timeout' });
    } finally {
      for (const socket of held) socket.destroy();
      await new Promise((resolve) => silent.close(resolve));
    }
  });

  it('a sound answer still passes through, logged as a Krypton call, naming the upstream host', async () => {
    const t = await bridge();
    const r = await keysCall(t);
    expect(r.status).toBe(200);
    expect(r.body).toBe('{"ok":true}');
    expect(r.headers['x-krypton-upstream-host']).toBe('g.api.soracom.io');
    expect(t.lines.filter((l) => /request failed/.test(l))).toEqual([]);
    expect(factsOf(onlyLine(t, /^bridge info +Krypton call /))).toMatchObject({ target: 'global', path: '/v1/keys', status: '200' });
  });
});

describe("the page's own request", () => {
  it('a request body that never arrives whole is logged as REQUEST_INCOMPLETE (not as Krypton unreachable), and nothing goes upstream', async () => {
    const t = await startTestBridge({ limits: { headersTimeoutMs: 300, requestTimeoutMs: 600, timeoutCheckMs: 100 } });
    bridges.push(t);
    const answer = await new Promise<string>((resolve) => {
      const s = net.connect(t.port, '127.0.0.1', () =>
        s.write(
          `POST /krypton/global/v1/keys HTTP/1.1\r\nHost: ${t.host}\r\nOrigin: ${t.url}\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"imsi"`,
        ),
      );
      let got = '';
      s.on('data', (d) => (got += d.toString()));
      s.on('close', () => resolve(got));
      s.on('error', () => undefined);
    });
    // Node answers 408 itself and drops the socket; the handler, still reading the body, fails after that.
    expect(answer).toMatch(/^HTTP\/1\.1 408/);
    await vi.waitFor(() => expect(t.lines.filter((l) => /request failed/.test(l))).toHaveLength(1), { timeout: 2000 });
    expect(factsOf(onlyLine(t, /^bridge warn +request failed /))).toMatchObject({
      code: 'REQUEST_INCOMPLETE',
      status: '400',
      route: '/krypton/:target/*',
    });
    expect(t.upstream).toEqual([]);
  });
});

describe('a fault of the bridge itself', () => {
  it('an unexpected error in a handler: 500 BRIDGE_ERROR with a generic message; the log names its kind, not its message', async () => {
    const t = await bridge({
      fetch: () => {
        throw new RangeError('offset 4242 out of range in x-soracom-signature');
      },
    });
    const body = expectTypedAnswer(await keysCall(t), 500, 'BRIDGE_ERROR');
    expect(body.message).toBe(
      'The bridge failed while handling this request: try again; if it repeats, restart `pnpm bridge` and report what you did',
    );
    const line = onlyLine(t, /^bridge error +request failed /);
    expect(factsOf(line)).toMatchObject({
      code: 'BRIDGE_ERROR',
      status: '500',
      method: 'POST',
      route: '/krypton/:target/*',
      error: 'RangeError',
    });
    expect(line).not.toContain('4242');
    expect(line).not.toContain('signature');
  });

  it('a thrown non-Error (which hono passes on) ends in the same typed answer', async () => {
    const t = await bridge({
      fetch: () => {
        throw 'a string, not an Error';
      },
    });
    expectTypedAnswer(await keysCall(t), 500, 'BRIDGE_ERROR');
    expect(factsOf(onlyLine(t, /^bridge error +request failed /))).toMatchObject({
      code: 'BRIDGE_ERROR',
      route: '(outside the app)',
      error: 'string',
    });
  });
});

/** A virtual reader whose card cannot be opened, or whose reader list is broken: a backend with a bug. */
class FaultyBackend implements ReaderBackend {
  readonly kind = 'faulty';
  brokenList = false;
  private readonly listeners = new Set<(change: ReaderChange) => void>();

  constructor(private readonly inner: ReaderBackend) {}

  async readers(): Promise<BackendReader[]> {
    // A list with a hole in it, as a backend with a bug would return.
    return this.brokenList ? ([null] as unknown as BackendReader[]) : this.inner.readers();
  }

  onChange(listener: (change: ReaderChange) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Announces a change of the reader list. */
  announce(): void {
    for (const l of this.listeners) l({ type: 'readers' });
  }

  async open(_reader: string): Promise<OpenedCard> {
    throw new TypeError("Cannot read properties of undefined (reading 'atr') at card 8988211000000000001");
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}

async function faultyBackend(): Promise<FaultyBackend> {
  return new FaultyBackend(new VirtualReaderBackend({ card: await VirtualUsim.create(findSim(demoProfileSet(), 'demo')) }));
}

describe('the WebSocket gateway', () => {
  it('an unexpected error in a command: a typed error reply, one log line of facts, and the connection goes on', async () => {
    const backend = await faultyBackend();
    const t = await bridge({ readers: [backend] });
    const page = await ScriptedPage.connect(`ws://127.0.0.1:${t.port}/ws`, t.url);
    try {
      await page.hello();
      const r = await page.request({ id: 1, op: 'open', reader: VIRTUAL_READER_NAME });
      expect(r).toEqual({
        id: 1,
        ok: false,
        error: {
          code: 'BRIDGE_ERROR',
          message: 'The bridge could not complete the command',
          action: 'Try again; if it repeats, restart `pnpm bridge`',
        },
      });
      const line = onlyLine(t, /^bridge error +WebSocket command failed /);
      expect(factsOf(line)).toMatchObject({ op: 'open', error: 'TypeError' });
      expect(line).not.toContain('8988211000000000001');
      // The connection is still served.
      const readers = await page.request({ id: 2, op: 'readers' });
      expect(readers.ok).toBe(true);
    } finally {
      page.close();
    }
  });

  it('a reader change that fails to be passed on is logged as a fact, not left as an unhandled rejection', async () => {
    const backend = await faultyBackend();
    const t = await bridge({ readers: [backend] });
    const page = await ScriptedPage.connect(`ws://127.0.0.1:${t.port}/ws`, t.url);
    try {
      await page.hello();
      backend.brokenList = true;
      backend.announce();
      await vi.waitFor(() => expect(t.lines.filter((l) => /reader change not passed on/.test(l))).toHaveLength(1), { timeout: 2000 });
      expect(factsOf(onlyLine(t, /^bridge error +reader change not passed on /))).toMatchObject({
        backend: 'faulty',
        change: 'readers',
        error: 'TypeError',
      });
      // Asking for the list answers with a typed error too.
      const r = await page.request({ id: 1, op: 'readers' });
      expect(r).toMatchObject({ id: 1, ok: false, error: { code: 'BRIDGE_ERROR' } });
      // Once the backend mends, the next change reaches the page.
      backend.brokenList = false;
      backend.announce();
      await page.waitFor((m) => (m as { event?: string }).event === 'readers');
    } finally {
      page.close();
    }
  });
});
