import {
  BRIDGE_PROTOCOL_VERSION,
  parseBridgeMessage,
  type BridgeError,
  type BridgeEvent,
  type BridgeModemFacts,
  type BridgeOp,
  type BridgeRequest,
  type BridgeResults,
  type ReaderInfo,
} from './bridge-protocol.ts';

/** A refusal or failure reported by the bridge: the bridge's KryptonError, code, message and action intact. */
export class BridgeRemoteError extends Error {
  override readonly name = 'BridgeRemoteError';
  readonly code: string;
  readonly action: string;
  readonly details: Record<string, string | number>;

  constructor(error: BridgeError) {
    super(error.message);
    this.code = error.code;
    this.action = error.action;
    this.details = error.details ?? {};
  }
}

/** The WebSocket constructor to use (the browser's, or a test's). */
export type WebSocketLike = new (url: string) => WebSocket;

/** Options of a bridge connection. */
export interface BridgeClientOptions {
  /** The approval token for a page not served by the bridge itself (never put in the URL). */
  token?: string;
  /** Per-request timeout, ms (default 10 s; AUTHENTICATE on a slow card takes well under a second). */
  requestTimeoutMs?: number;
  /** Called for reader changes and lost sessions. */
  onEvent?: (event: BridgeEvent) => void;
  /** Called once when the connection ends, with the reason. */
  onClose?: (error: BridgeRemoteError) => void;
  WebSocket?: WebSocketLike;
}

type Pending = { resolve: (v: unknown) => void; reject: (e: Error) => void; timer: ReturnType<typeof setTimeout> };
type Payload<Op extends BridgeOp> = Omit<Extract<BridgeRequest, { op: Op }>, 'id' | 'op'>;

/**
 * The page's side of the local bridge: one WebSocket, requests paired with replies by id, a timeout
 * on every request, and every pending request failed at once when the connection drops.
 */
export class BridgeClient {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private closed: BridgeRemoteError | undefined;
  /** Whether the bridge was started with raw APDU passthrough (a developer flag). */
  rawApdu = false;
  /** The bridge's name and version, from its hello. */
  bridge = '';

  private constructor(
    private readonly socket: WebSocket,
    private readonly options: BridgeClientOptions,
  ) {
    socket.addEventListener('message', (e: MessageEvent) => this.onMessage(e.data));
    socket.addEventListener('close', (e: CloseEvent) => this.fail(closeError(e.code, e.reason)));
    socket.addEventListener('error', () =>
      this.fail(
        new BridgeRemoteError({
          code: 'TRANSPORT_FAILED',
          message: 'The connection to the bridge failed',
          action: 'Check that `pnpm bridge` is still running',
        }),
      ),
    );
  }

  /** Connects to the bridge's `/ws` and introduces this page (with its approval token, if any). */
  static async connect(url: string, options: BridgeClientOptions = {}): Promise<BridgeClient> {
    const Ws = options.WebSocket ?? WebSocket;
    const socket = new Ws(url);
    await new Promise<void>((resolve, reject) => {
      const onOpen = () => {
        cleanup();
        resolve();
      };
      const onFail = () => {
        cleanup();
        reject(
          new BridgeRemoteError({
            code: 'TRANSPORT_FAILED',
            message: 'The card reader bridge is not reachable',
            action: 'Start it with `pnpm bridge` in the project folder, then try again',
          }),
        );
      };
      const cleanup = () => {
        socket.removeEventListener('open', onOpen);
        socket.removeEventListener('error', onFail);
        socket.removeEventListener('close', onFail);
      };
      socket.addEventListener('open', onOpen);
      socket.addEventListener('error', onFail);
      socket.addEventListener('close', onFail);
    });
    const client = new BridgeClient(socket, options);
    const hello = await client.request('hello', { version: BRIDGE_PROTOCOL_VERSION, ...(options.token ? { token: options.token } : {}) });
    client.rawApdu = hello.rawApdu;
    client.bridge = hello.bridge;
    return client;
  }

  /** The readers the bridge sees, with card presence. */
  async readers(): Promise<ReaderInfo[]> {
    return (await this.request('readers', {})).readers;
  }

  /** Opens an exclusive SIM session on a reader or a modem ("in use" when another page holds it). */
  async open(reader: string): Promise<BridgeSimSession> {
    const opened = await this.request('open', { reader });
    const session = new BridgeSimSession(this, opened.session, opened.reader, opened.atr, opened.kind === 'modem' ? 'modem' : 'reader');
    if (opened.csim === false) session.csim = false;
    return session;
  }

  /** Sends one request and waits for its reply. */
  request<Op extends BridgeOp>(op: Op, payload: Payload<Op>): Promise<BridgeResults[Op]> {
    if (this.closed) return Promise.reject(this.closed);
    const id = this.nextId++;
    const timeoutMs = this.options.requestTimeoutMs ?? 10_000;
    return new Promise<BridgeResults[Op]>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(
          new BridgeRemoteError({
            code: 'TIMEOUT',
            message: `The bridge did not answer "${op}" within ${Math.round(timeoutMs / 1000)} s`,
            action: 'Check the reader and the card, then try again',
          }),
        );
      }, timeoutMs);
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject, timer });
      this.socket.send(JSON.stringify({ id, op, ...payload }));
    });
  }

  /** Closes the connection; pending requests fail with TRANSPORT_CLOSED. */
  close(): void {
    this.fail(
      new BridgeRemoteError({ code: 'TRANSPORT_CLOSED', message: 'The connection to the bridge was closed', action: 'Connect again' }),
    );
    this.socket.close(1000);
  }

  /** Whether the connection is over. */
  get isClosed(): boolean {
    return this.closed !== undefined;
  }

  private onMessage(data: unknown): void {
    if (typeof data !== 'string') return;
    let message;
    try {
      message = parseBridgeMessage(data);
    } catch {
      return; // A bridge that speaks garbage gets no say; the request times out.
    }
    if ('event' in message) {
      this.options.onEvent?.(message);
      return;
    }
    const pending = this.pending.get(message.id);
    if (!pending) return;
    this.pending.delete(message.id);
    clearTimeout(pending.timer);
    if (message.ok) pending.resolve(message.result);
    else pending.reject(new BridgeRemoteError(message.error));
  }

  private fail(error: BridgeRemoteError): void {
    if (this.closed) return;
    this.closed = error;
    for (const [, p] of this.pending) {
      clearTimeout(p.timer);
      p.reject(error);
    }
    this.pending.clear();
    this.options.onClose?.(error);
  }
}

/** A SIM session on one reader through the bridge: the narrow SIM command set, nothing raw unless enabled. */
export class BridgeSimSession {
  /** False for a modem that refused AT+CSIM: its SIM cannot be authenticated through it. */
  csim = true;

  constructor(
    private readonly client: BridgeClient,
    readonly session: string,
    readonly reader: string,
    readonly atr: string,
    /** A card reader, or a modem (whose session also answers modemInfo). */
    readonly kind: 'reader' | 'modem' = 'reader',
  ) {}

  /** Reads the IMSI. */
  async readImsi(): Promise<string> {
    return (await this.client.request('imsi', { session: this.session })).imsi;
  }

  /** Reads the ICCID. */
  async readIccid(): Promise<string> {
    return (await this.client.request('iccid', { session: this.session })).iccid;
  }

  /** Reads PIN1's state. */
  async pinState(): Promise<BridgeResults['pin-state']> {
    return this.client.request('pin-state', { session: this.session });
  }

  /** What a modem says about itself and the network (maker, model, IMEI, signal, registration); a modem's session only. */
  async modemInfo(): Promise<BridgeModemFacts> {
    return this.client.request('modem-info', { session: this.session });
  }

  /** Verifies PIN1 (refused on the last try unless allowLastTry). */
  async verifyPin(pin: string, options: { allowLastTry?: boolean } = {}): Promise<void> {
    await this.client.request('verify-pin', { session: this.session, pin, allowLastTry: options.allowLastTry === true });
  }

  /** Unblocks PIN1 with the PUK and sets a new PIN (refused on the PUK's last try unless allowLastTry). */
  async unblockPin(puk: string, newPin: string, options: { allowLastTry?: boolean } = {}): Promise<void> {
    await this.client.request('unblock-pin', { session: this.session, puk, newPin, allowLastTry: options.allowLastTry === true });
  }

  /** Changes PIN1 (refused on the last try unless allowLastTry). */
  async changePin(pin: string, newPin: string, options: { allowLastTry?: boolean } = {}): Promise<void> {
    await this.client.request('change-pin', { session: this.session, pin, newPin, allowLastTry: options.allowLastTry === true });
  }

  /** Enables or disables PIN1 with its code (refused on the last try unless allowLastTry). */
  async setPinEnabled(enabled: boolean, pin: string, options: { allowLastTry?: boolean } = {}): Promise<void> {
    await this.client.request('set-pin-enabled', { session: this.session, enabled, pin, allowLastTry: options.allowLastTry === true });
  }

  /** Runs AUTHENTICATE in 3G context with a 16-byte RAND and AUTN. */
  async authenticate(rand: Uint8Array, autn: Uint8Array): Promise<AuthenticateAnswer> {
    const r = await this.client.request('authenticate', { session: this.session, rand: base64(rand), autn: base64(autn) });
    if (r.kind === 'sync-failure') return { kind: 'sync-failure', auts: unbase64(r.auts) };
    return { kind: 'success', res: unbase64(r.res), ck: unbase64(r.ck), ik: unbase64(r.ik), ...(r.kc ? { kc: unbase64(r.kc) } : {}) };
  }

  /** Sends a raw APDU; only when the bridge runs with its developer flag. */
  async transmit(apdu: Uint8Array): Promise<Uint8Array> {
    const r = await this.client.request('apdu', {
      session: this.session,
      apdu: Array.from(apdu, (b) => b.toString(16).padStart(2, '0')).join(''),
    });
    return Uint8Array.from(r.response.match(/../g) ?? [], (h) => parseInt(h, 16));
  }

  /** Ends the session and frees the reader. */
  async close(): Promise<void> {
    if (this.client.isClosed) return;
    await this.client.request('close', { session: this.session }).catch(() => undefined);
  }
}

/** What AUTHENTICATE returned through the bridge, in the shape krypton-core's SimAuthenticator expects. */
export type AuthenticateAnswer =
  | {
      kind: 'success';
      res: Uint8Array<ArrayBuffer>;
      ck: Uint8Array<ArrayBuffer>;
      ik: Uint8Array<ArrayBuffer>;
      kc?: Uint8Array<ArrayBuffer>;
    }
  | { kind: 'sync-failure'; auts: Uint8Array<ArrayBuffer> };

function closeError(code: number, reason: string): BridgeRemoteError {
  if (code === 4401 || code === 4403) {
    return new BridgeRemoteError({
      code: 'TRANSPORT_FAILED',
      message: `The bridge refused this page: ${reason || 'not approved'}`,
      action: 'Approve this page in the bridge window (or its terminal), then connect again',
    });
  }
  return new BridgeRemoteError({
    code: 'TRANSPORT_FAILED',
    message: `The connection to the bridge ended${reason ? `: ${reason}` : ''}`,
    action: 'Check that `pnpm bridge` is still running, then connect again',
  });
}

function base64(bytes: Uint8Array): string {
  let s = '';
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s);
}

function unbase64(text: string): Uint8Array<ArrayBuffer> {
  const s = atob(text);
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}
