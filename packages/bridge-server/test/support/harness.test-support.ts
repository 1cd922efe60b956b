/**
 * What the bridge's tests share: a real bridge on a real loopback socket, a virtual card whose APDUs
 * are counted (so a test can prove that no card command ran), a reader backend that counts what it was
 * asked, a count of what the Krypton proxy sent upstream, the bridge's whole log, and small clients:
 * raw HTTP over `net` (for Host headers no library would send), WebSocket upgrades that report the
 * refusal status, and a scripted page speaking the bridge protocol.
 */
import net from 'node:net';
import WebSocket from 'ws';
import { demoProfileSet, findSim, VirtualUsim, type Lab, type VirtualCard } from '@krypton-web/krypton-lab';
import { BridgeClient, type WebSocketLike } from '@krypton-web/sim-transport';
import { VirtualReaderBackend } from '../../src/virtual-reader.ts';
import {
  Logger,
  startBridge,
  VIRTUAL_READER_NAME,
  type BackendReader,
  type BridgeOptions,
  type OpenedCard,
  type ReaderBackend,
  type ReaderChange,
  type RunningBridge,
} from '../../src/index.ts';

export { VIRTUAL_READER_NAME };

/** A reader backend around another that counts what the bridge asked of it. */
export class CountingBackend implements ReaderBackend {
  readonly kind: string;
  readerLists = 0;
  opens = 0;
  /** Makes listing readers take this long, as a round trip to pcscd does (it widens races). */
  listDelayMs = 0;

  constructor(private readonly inner: ReaderBackend) {
    this.kind = inner.kind;
  }

  async readers(): Promise<BackendReader[]> {
    this.readerLists++;
    if (this.listDelayMs > 0) await new Promise((r) => setTimeout(r, this.listDelayMs));
    return this.inner.readers();
  }

  onChange(listener: (change: ReaderChange) => void): () => void {
    return this.inner.onChange(listener);
  }

  open(reader: string): Promise<OpenedCard> {
    this.opens++;
    return this.inner.open(reader);
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}

/** A virtual card that counts AUTHENTICATE commands and can be told to sit on the next command. */
export class WatchedCard implements VirtualCard {
  authenticates = 0;
  #holdNext: { match: (apdu: Uint8Array) => boolean; held: () => void } | undefined;
  #release: (() => void) | undefined;

  constructor(readonly inner: VirtualUsim) {}

  get atr(): Uint8Array {
    return this.inner.atr;
  }
  get apduCount(): number {
    return this.inner.apduCount;
  }
  powerOn(): Uint8Array {
    return this.inner.powerOn();
  }
  powerOff(): void {
    this.inner.powerOff();
  }
  reset(): Uint8Array {
    return this.inner.reset();
  }

  /** Holds the next command that `match` accepts until `release()`; resolves once that command is held. */
  holdNext(match: (apdu: Uint8Array) => boolean = () => true): Promise<void> {
    return new Promise<void>((held) => (this.#holdNext = { match, held }));
  }

  /** Lets a held command go on (its answer goes nowhere if the card was pulled meanwhile). */
  release(): void {
    const go = this.#release;
    this.#release = undefined;
    go?.();
  }

  async transmit(apdu: Uint8Array): Promise<Uint8Array> {
    if (apdu[1] === 0x88) this.authenticates++;
    const hold = this.#holdNext;
    if (hold?.match(apdu)) {
      this.#holdNext = undefined;
      await new Promise<void>((resolve) => {
        this.#release = resolve;
        hold.held();
      });
    }
    return this.inner.transmit(apdu);
  }
}

/** AUTHENTICATE's instruction byte. */
export const isAuthenticate = (apdu: Uint8Array): boolean => apdu[1] === 0x88;

/** A running bridge under test and everything a test looks at. */
export interface TestBridge {
  bridge: RunningBridge;
  port: number;
  /** `http://127.0.0.1:<port>`: the bridge's own origin. */
  url: string;
  /** The Host a browser sends for the bridge's own page. */
  host: string;
  card: WatchedCard;
  backend: CountingBackend;
  /** URLs the Krypton proxy fetched upstream. */
  upstream: string[];
  /** Every log line, debug included. */
  lines: string[];
  /** Everything that would show a handler ran: card commands, reader opens and listings, upstream calls. */
  touched(): { apdus: number; opens: number; readerLists: number; upstream: number };
  close(): Promise<void>;
}

/** Starts a bridge on a free port with a counted virtual card (the demo SIM unless told otherwise). */
export async function startTestBridge(options: Partial<BridgeOptions> & { sim?: string; card?: VirtualUsim } = {}): Promise<TestBridge> {
  const { sim, card: givenCard, ...rest } = options;
  const card = new WatchedCard(givenCard ?? (await VirtualUsim.create(findSim(demoProfileSet(), sim ?? 'demo'))));
  const backend = new CountingBackend(new VirtualReaderBackend({ card }));
  const lines: string[] = [];
  const upstream: string[] = [];
  const bridge = await startBridge({
    port: 0,
    pcsc: false,
    readers: [backend],
    log: new Logger((line) => lines.push(line), 'debug'),
    upstreamFetch: (input, init) => {
      upstream.push(input instanceof Request ? input.url : String(input));
      return fetch(input, init);
    },
    ...rest,
  });
  return {
    bridge,
    port: bridge.port,
    url: bridge.url,
    host: `127.0.0.1:${bridge.port}`,
    card,
    backend,
    upstream,
    lines,
    touched: () => ({ apdus: card.apduCount, opens: backend.opens, readerLists: backend.readerLists, upstream: upstream.length }),
    close: () => bridge.close(),
  };
}

/** Nothing at all ran behind the guards. */
export const UNTOUCHED = { apdus: 0, opens: 0, readerLists: 0, upstream: 0 };

/** An HTTP answer read off a raw socket. */
export interface RawAnswer {
  status: number;
  headers: Record<string, string>;
  body: string;
  raw: string;
}

/** Sends `request` (a whole HTTP/1.x request, CRLFs included) on a fresh socket and reads the answer until the server closes. */
export function rawHttp(port: number, request: string, options: { timeoutMs?: number; host?: string } = {}): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, options.host ?? '127.0.0.1', () => socket.write(request));
    let raw = '';
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no complete answer within ${options.timeoutMs ?? 3000} ms: ${JSON.stringify(raw.slice(0, 200))}`));
    }, options.timeoutMs ?? 3000);
    socket.on('data', (d) => (raw += d.toString('latin1')));
    socket.on('error', () => undefined);
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(parseAnswer(raw));
    });
  });
}

function parseAnswer(raw: string): RawAnswer {
  const end = raw.indexOf('\r\n\r\n');
  const head = end < 0 ? raw : raw.slice(0, end);
  const [statusLine, ...headerLines] = head.split('\r\n');
  const headers: Record<string, string> = {};
  for (const line of headerLines) {
    const i = line.indexOf(':');
    if (i > 0) headers[line.slice(0, i).trim().toLowerCase()] = line.slice(i + 1).trim();
  }
  return {
    status: Number(/^HTTP\/1\.[01] (\d{3})/.exec(statusLine ?? '')?.[1] ?? 0),
    headers,
    body: end < 0 ? '' : raw.slice(end + 4),
    raw,
  };
}

/** Header lines of a WebSocket upgrade (no Host, no Origin: the caller adds what it tests). */
export const UPGRADE_HEADERS =
  'Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n';

/** Sends a raw WebSocket upgrade and resolves with the status line's code (101 when accepted), then hangs up. */
export function rawUpgrade(port: number, path: string, headerLines: string, timeoutMs = 3000): Promise<number> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1', () => socket.write(`GET ${path} HTTP/1.1\r\n${headerLines}${UPGRADE_HEADERS}\r\n`));
    let raw = '';
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no answer to the upgrade within ${timeoutMs} ms`));
    }, timeoutMs);
    const done = () => {
      clearTimeout(timer);
      socket.destroy();
      resolve(Number(/^HTTP\/1\.[01] (\d{3})/.exec(raw)?.[1] ?? 0));
    };
    socket.on('data', (d) => {
      raw += d.toString('latin1');
      if (raw.includes('\r\n\r\n')) done();
    });
    socket.on('error', () => undefined);
    socket.on('close', done);
  });
}

/** A WebSocket upgrade through the `ws` client: the open socket, or the status it was refused with. */
export function upgrade(
  url: string,
  options: { origin?: string; headers?: Record<string, string> } = {},
): Promise<{ ok: true; ws: WebSocket } | { ok: false; status: number }> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url, {
      ...(options.origin !== undefined ? { origin: options.origin } : {}),
      ...(options.headers ? { headers: options.headers } : {}),
    });
    ws.once('open', () => resolve({ ok: true, ws }));
    ws.once('unexpected-response', (_req, res) => {
      resolve({ ok: false, status: res.statusCode ?? 0 });
      res.resume();
      ws.terminate();
    });
    ws.once('error', () => resolve({ ok: false, status: 0 }));
  });
}

/** A page speaking the bridge protocol by hand: what it sent is exactly what a test wrote. */
export class ScriptedPage {
  readonly messages: unknown[] = [];
  readonly closed: Promise<{ code: number; reason: string }>;
  private waiters: (() => void)[] = [];

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data) => {
      this.messages.push(JSON.parse((data as Buffer).toString()));
      this.waiters.splice(0).forEach((w) => w());
    });
    this.closed = new Promise((resolve) => ws.once('close', (code, reason) => resolve({ code, reason: String(reason) })));
    ws.on('error', () => undefined);
  }

  /** Connects to `/ws` (or another path) with an Origin; throws when refused. */
  static async connect(url: string, origin: string): Promise<ScriptedPage> {
    const r = await upgrade(url, { origin });
    if (!r.ok) throw new Error(`upgrade refused with ${r.status}`);
    return new ScriptedPage(r.ws);
  }

  /** Sends a text frame (an object is JSON-encoded). */
  send(message: unknown): void {
    this.ws.send(typeof message === 'string' ? message : JSON.stringify(message));
  }

  /** Sends and waits for the reply with the same id. */
  async request(
    message: { id: number; op: string; [k: string]: unknown },
    timeoutMs = 3000,
  ): Promise<{ id: number; ok: boolean; result?: Record<string, unknown>; error?: { code: string; message: string } }> {
    this.send(message);
    return (await this.waitFor((m) => (m as { id?: number }).id === message.id, timeoutMs)) as never;
  }

  /** Waits for a message `match` accepts (already received or coming). */
  async waitFor(match: (m: unknown) => boolean, timeoutMs = 3000): Promise<unknown> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.messages.find(match);
      if (found !== undefined) return found;
      if (Date.now() > deadline) throw new Error(`no matching message within ${timeoutMs} ms; got ${JSON.stringify(this.messages)}`);
      await Promise.race([new Promise<void>((r) => this.waiters.push(r)), new Promise((r) => setTimeout(r, 50))]);
    }
  }

  /** Hello, as the bridge's own page sends it. */
  async hello(token?: string): Promise<void> {
    const r = await this.request({ id: 0, op: 'hello', version: 1, ...(token ? { token } : {}) });
    if (!r.ok) throw new Error(`hello refused: ${JSON.stringify(r)}`);
  }

  /** Resolves with the close code and reason, or rejects if the socket is still open after `timeoutMs`. */
  async closedWithin(timeoutMs = 3000): Promise<{ code: number; reason: string }> {
    return Promise.race([
      this.closed,
      new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`still open after ${timeoutMs} ms`)), timeoutMs)),
    ]);
  }

  close(): void {
    this.ws.terminate();
  }
}

/** `ws`'s WebSocket, sending a fixed Origin as a browser page of that origin would. */
export function wsFrom(origin: string): WebSocketLike {
  return class extends WebSocket {
    constructor(url: string) {
      super(url, { origin });
    }
  } as unknown as WebSocketLike;
}

/** A BridgeClient of a page of `origin` (the bridge's own unless told), over `ws`. */
export function connectClient(
  t: { url: string; port: number },
  options: {
    origin?: string;
    token?: string;
    onEvent?: Parameters<typeof BridgeClient.connect>[1] extends infer O ? (O extends { onEvent?: infer E } ? E : never) : never;
  } = {},
): Promise<BridgeClient> {
  return BridgeClient.connect(`ws://127.0.0.1:${t.port}/ws`, {
    WebSocket: wsFrom(options.origin ?? t.url),
    ...(options.token ? { token: options.token } : {}),
    ...(options.onEvent ? { onEvent: options.onEvent } : {}),
  });
}

/** Base64 of 16 bytes, as the protocol carries RAND and AUTN. */
export const B64_16 = Buffer.alloc(16, 7).toString('base64');

/** Waits until `check` holds, or fails naming `what`. */
export async function eventually(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 3000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

export type { Lab };

/** Approves a waiting request as the person does on the approvals page: its form, with the page's token and our Origin. */
export async function approveOnPage(t: { port: number; host: string; url: string }, id: string): Promise<RawAnswer> {
  const page = await rawHttp(t.port, `GET /approvals HTTP/1.1\r\nHost: ${t.host}\r\nSec-Fetch-Site: none\r\nConnection: close\r\n\r\n`);
  const csrf = /name="csrf" value="([^"]+)"/.exec(page.body)?.[1] ?? '';
  const body = `csrf=${encodeURIComponent(csrf)}`;
  return rawHttp(
    t.port,
    `POST /approvals/${id}/approve HTTP/1.1\r\nHost: ${t.host}\r\nOrigin: ${t.url}\r\nSec-Fetch-Site: same-origin\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`,
  );
}
