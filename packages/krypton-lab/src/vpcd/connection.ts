/**
 * Connects a VirtualCard to vsmartcard's vpcd driver inside pcscd, so every PC/SC application sees
 * it as a card in the reader "Virtual PCD 00 00" (or 00 01 on the next port).
 *
 * vpcd listens on TCP; the card side is the client. While the socket is open the card is in the
 * reader; closing the socket is pulling the card out, and pcscd notices on its next presence poll
 * (vpcd asks for the ATR about every 400 ms). When pcscd stops, the socket ends and the connector
 * dials again with a short backoff, so restarting pcscd puts the card back by itself.
 *
 * Latency: vsmartcard 0.8 (Debian 12) writes the 2-byte length and the APDU as two segments with
 * Nagle on, and the card side's delayed ACK holds the second one for about 40 ms per command.
 * Node cannot set TCP_QUICKACK, and nothing the card side writes can help (it has nothing to say
 * before the APDU arrives), so through plain 127.0.0.1 each APDU costs ~46 ms. A loopback address
 * with a `quickack 1` route (see `enableLoopbackQuickAck` in src/rigs) brings it under 1 ms.
 * What the card side does control it does: no Nagle, and length plus response in one write.
 */
import net from 'node:net';
import type { VirtualCard } from '../card/virtual-card.ts';
import { VpcdError } from './errors.ts';
import { FrameDecoder, MAX_FRAME_PAYLOAD, VpcdControl, encodeFrame, parseMessage, type VpcdControlCode } from './framing.ts';
import { ApduTraceFormatter, type VpcdTraceSink } from './trace.ts';

/** Where the connector is in its life: dialling, in the reader, waiting to redial, pulled out, or finished. */
export type VpcdConnectionState = 'connecting' | 'connected' | 'backoff' | 'removed' | 'closed';

/** What the connector reports as it runs; APDU bytes are included, so never log them unmasked. */
export type VpcdEvent =
  | { type: 'connecting'; attempt: number }
  | { type: 'connected' }
  | { type: 'connect-failed'; attempt: number; reason: string; retryInMs: number }
  | { type: 'disconnected'; reason: string; retryInMs: number | undefined }
  | { type: 'control'; code: VpcdControlCode }
  | { type: 'apdu'; command: Uint8Array; response: Uint8Array; elapsedMs: number }
  | { type: 'error'; error: VpcdError };

/** How to reach vpcd and which card to put in the reader. */
export interface VpcdConnectionOptions {
  /** Where vpcd listens (pcscd's host; vpcd binds every interface). */
  host: string;
  /** vpcd's TCP port: 35963 (0x8C7B) for the first reader of Debian's default config. */
  port: number;
  card: VirtualCard;
  /** Receives `=> command` / `<= response` lines (lowercase hex, secrets masked). */
  trace?: VpcdTraceSink;
  onEvent?: (event: VpcdEvent) => void;
  /** First redial delay after vpcd goes away or refuses, doubled up to `maxMs` (defaults 100 and 2000 ms). */
  backoff?: { initialMs?: number; maxMs?: number };
  /** How long one dial may take before it counts as failed (default 5000 ms). */
  connectTimeoutMs?: number;
  /** Frames from vpcd longer than this drop the connection as malformed (default 65535). */
  maxFramePayload?: number;
}

/** SW 6F00, "technical problem": what the reader gets when the virtual card throws. */
const SW_TECHNICAL_PROBLEM = new Uint8Array([0x6f, 0x00]);

/** A virtual card in vpcd's reader, redialling when pcscd restarts, until `close()`. */
export class VpcdConnection {
  readonly host: string;
  readonly port: number;
  readonly card: VirtualCard;
  #state: VpcdConnectionState = 'connecting';
  #socket: net.Socket | undefined;
  #socketClosed: Promise<void> = Promise.resolve();
  #timer: NodeJS.Timeout | undefined;
  #attempt = 0;
  #delayMs: number;
  #powered = false;
  #queue: Promise<void> = Promise.resolve();
  readonly #waiters = new Set<{ resolve: () => void; reject: (e: VpcdError) => void }>();
  readonly #options: VpcdConnectionOptions;
  readonly #initialDelayMs: number;
  readonly #maxDelayMs: number;
  readonly #trace: { sink: VpcdTraceSink; formatter: ApduTraceFormatter } | undefined;

  constructor(options: VpcdConnectionOptions) {
    if (typeof options.host !== 'string' || options.host.length === 0)
      throw new VpcdError('BAD_OPTION', 'vpcd: host must be a non-empty string');
    if (!Number.isInteger(options.port) || options.port < 1 || options.port > 65535) {
      throw new VpcdError('BAD_OPTION', `vpcd: port must be an integer from 1 to 65535, got ${options.port}`);
    }
    this.#initialDelayMs = options.backoff?.initialMs ?? 100;
    this.#maxDelayMs = options.backoff?.maxMs ?? 2000;
    if (!(this.#initialDelayMs > 0 && this.#maxDelayMs >= this.#initialDelayMs)) {
      throw new VpcdError('BAD_OPTION', 'vpcd: backoff needs 0 < initialMs <= maxMs');
    }
    this.host = options.host;
    this.port = options.port;
    this.card = options.card;
    this.#options = options;
    this.#delayMs = this.#initialDelayMs;
    this.#trace = options.trace ? { sink: options.trace, formatter: new ApduTraceFormatter() } : undefined;
    // Fail fast on a bad bound rather than on the first frame.
    new FrameDecoder({ maxPayload: options.maxFramePayload ?? MAX_FRAME_PAYLOAD });
    this.#dial();
  }

  /** Where the connector is now. */
  get state(): VpcdConnectionState {
    return this.#state;
  }

  /**
   * Resolves once the card is connected to vpcd (at once if it is; a removed card waits for `insert()`);
   * rejects on timeout or `close()`. Connected means vpcd's port took the TCP connection: if another
   * card already sits in that reader, vpcd leaves this one queued until the other goes.
   */
  whenConnected(timeoutMs = 10_000): Promise<void> {
    if (this.#state === 'connected') return Promise.resolve();
    if (this.#state === 'closed') return Promise.reject(new VpcdError('CLOSED', 'vpcd: the connection is closed'));
    return new Promise((resolve, reject) => {
      const waiter = {
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
        reject: (e: VpcdError) => {
          clearTimeout(timer);
          reject(e);
        },
      };
      const timer = setTimeout(() => {
        this.#waiters.delete(waiter);
        reject(
          new VpcdError(
            'TIMEOUT',
            `vpcd at ${this.host}:${this.port} did not take the card within ${timeoutMs} ms (is pcscd running with a vpcd reader on that port?)`,
          ),
        );
      }, timeoutMs);
      this.#waiters.add(waiter);
    });
  }

  /** Pulls the card out: closes the socket (pcscd then reports the reader empty) and stops redialling until `insert()`. */
  async remove(): Promise<void> {
    if (this.#state === 'closed') return;
    this.#state = 'removed';
    await this.#hangUp();
  }

  /** Puts a removed card back: dials vpcd again. Does nothing unless the card was removed. */
  insert(): void {
    if (this.#state !== 'removed') return;
    this.#delayMs = this.#initialDelayMs;
    this.#dial();
  }

  /** Removes the card for good and waits for the exchange in flight, if any, to finish. */
  async close(): Promise<void> {
    if (this.#state === 'closed') return;
    this.#state = 'closed';
    for (const w of this.#waiters) w.reject(new VpcdError('CLOSED', 'vpcd: the connection was closed'));
    this.#waiters.clear();
    await this.#hangUp();
    await this.#queue;
  }

  async #hangUp(): Promise<void> {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#socket?.destroy();
    await this.#socketClosed;
  }

  #emit(event: VpcdEvent): void {
    this.#options.onEvent?.(event);
  }

  #dial(): void {
    this.#state = 'connecting';
    this.#attempt++;
    this.#emit({ type: 'connecting', attempt: this.#attempt });
    const socket = net.connect({ host: this.host, port: this.port });
    // Our half of the Nagle stall: a response must never wait for an ACK.
    socket.setNoDelay(true);
    socket.setTimeout(this.#options.connectTimeoutMs ?? 5000);
    this.#socket = socket;
    const decoder = new FrameDecoder({ maxPayload: this.#options.maxFramePayload ?? MAX_FRAME_PAYLOAD });
    let connected = false;
    let reason = 'vpcd closed the connection';
    this.#socketClosed = new Promise((resolve) => {
      socket.once('close', () => {
        this.#onClosed(socket, connected, reason);
        resolve();
      });
    });
    socket.once('timeout', () => {
      reason = 'connect timed out';
      socket.destroy();
    });
    socket.once('connect', () => {
      connected = true;
      socket.setTimeout(0);
      this.#attempt = 0;
      this.#delayMs = this.#initialDelayMs;
      this.#state = 'connected';
      this.#emit({ type: 'connected' });
      for (const w of this.#waiters) w.resolve();
      this.#waiters.clear();
    });
    socket.on('error', (e: NodeJS.ErrnoException) => {
      reason = e.code ?? e.message;
    });
    socket.on('data', (chunk: Buffer) => {
      let frames: Uint8Array[];
      try {
        frames = decoder.push(chunk);
      } catch (e) {
        reason = 'malformed data from vpcd';
        this.#emit({ type: 'error', error: e as VpcdError });
        socket.destroy();
        return;
      }
      for (const frame of frames) {
        // A failed step must not break the chain, or every later frame would be dropped.
        this.#queue = this.#queue
          .then(() => this.#handle(socket, frame))
          .catch((e: unknown) => {
            this.#emit({ type: 'error', error: asVpcdError(e) });
            socket.destroy();
          });
      }
    });
    socket.on('end', () => {
      try {
        decoder.finish();
      } catch (e) {
        this.#emit({ type: 'error', error: e as VpcdError });
      }
    });
  }

  #onClosed(socket: net.Socket, wasConnected: boolean, reason: string): void {
    if (this.#socket !== socket) return;
    this.#socket = undefined;
    // A card pulled from a reader loses power, and with it its volatile state.
    if (this.#powered) {
      this.#powered = false;
      this.#callCard(() => this.card.powerOff());
    }
    if (this.#state === 'removed' || this.#state === 'closed') {
      if (wasConnected) this.#emit({ type: 'disconnected', reason: `card ${this.#state}`, retryInMs: undefined });
      return;
    }
    const delay = this.#delayMs;
    this.#delayMs = Math.min(this.#delayMs * 2, this.#maxDelayMs);
    this.#state = 'backoff';
    this.#timer = setTimeout(() => this.#dial(), delay);
    if (wasConnected) this.#emit({ type: 'disconnected', reason, retryInMs: delay });
    else this.#emit({ type: 'connect-failed', attempt: this.#attempt, reason, retryInMs: delay });
  }

  /** Handles one frame; frames are chained, so the card sees commands one at a time and in order. */
  async #handle(socket: net.Socket, frame: Uint8Array): Promise<void> {
    if (socket !== this.#socket) return;
    const message = parseMessage(frame);
    if (message.kind === 'unknown-control') {
      // vpcd waits for no answer to an unknown code, so ignoring it keeps the stream in step.
      this.#emit({ type: 'error', error: new VpcdError('UNKNOWN_CONTROL', `vpcd: ignored unknown control code ${message.code}`) });
      return;
    }
    if (message.kind === 'control') {
      this.#emit({ type: 'control', code: message.code });
      switch (message.code) {
        case VpcdControl.PowerOff:
          this.#powered = false;
          this.#callCard(() => this.card.powerOff());
          return;
        case VpcdControl.PowerOn:
          this.#powered = true;
          this.#callCard(() => this.card.powerOn());
          return;
        case VpcdControl.Reset:
          this.#powered = true;
          this.#callCard(() => this.card.reset());
          return;
        case VpcdControl.GetAtr:
          if (this.card.atr.length === 0) {
            // An empty answer would read as "no card"; say why instead of silently vanishing.
            this.#emit({ type: 'error', error: new VpcdError('CARD_FAILED', 'vpcd: the virtual card has an empty ATR') });
            socket.destroy();
            return;
          }
          socket.write(encodeFrame(this.card.atr));
          return;
      }
    }
    const started = performance.now();
    let response: Uint8Array;
    try {
      // The card gets its own copy: what it does to its input must not change the trace or events.
      response = await this.card.transmit(message.apdu.slice());
      if (response.length < 2) throw new Error(`response of ${response.length} byte(s) has no status word`);
      if (response.length > MAX_FRAME_PAYLOAD) throw new Error(`response of ${response.length} bytes does not fit a vpcd frame`);
    } catch (e) {
      this.#emit({ type: 'error', error: new VpcdError('CARD_FAILED', `vpcd: the virtual card failed: ${(e as Error).message}`) });
      response = SW_TECHNICAL_PROBLEM;
    }
    const elapsedMs = performance.now() - started;
    // The card may have been pulled while it was working: the answer then goes nowhere.
    if (socket !== this.#socket) return;
    socket.write(encodeFrame(response));
    if (this.#trace) {
      const [out, back] = this.#trace.formatter.format(message.apdu, response);
      this.#trace.sink.write(`${out}\n${back}\n`);
    }
    this.#emit({ type: 'apdu', command: message.apdu, response, elapsedMs });
  }

  #callCard(action: () => unknown): void {
    try {
      action();
    } catch (e) {
      this.#emit({ type: 'error', error: new VpcdError('CARD_FAILED', `vpcd: the virtual card failed: ${(e as Error).message}`) });
    }
  }
}

function asVpcdError(e: unknown): VpcdError {
  return e instanceof VpcdError ? e : new VpcdError('CARD_FAILED', `vpcd: ${(e as Error).message ?? String(e)}`);
}

/** Starts connecting `card` to vpcd at `host:port` and keeps it there (redialling) until `close()`. */
export function connectCardToVpcd(options: VpcdConnectionOptions): VpcdConnection {
  return new VpcdConnection(options);
}
