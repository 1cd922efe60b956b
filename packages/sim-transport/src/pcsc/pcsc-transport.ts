/**
 * A connection to the card in one PC/SC reader, as an ApduTransport. Shared by default, as smart-card
 * middleware opens readers: other programs may use the card between our command groups, and a PC/SC
 * transaction (SCardBeginTransaction) keeps them out during one — a burst of APDUs that follow each
 * other without a pause, or whatever `withTransaction` runs. The protocol is whatever pcscd negotiates
 * from the ATR. `transmit` returns exactly what the card answered: T=0 GET RESPONSE is krypton-core's job.
 *
 * Every exchange has a deadline, and the transport also listens to the service: a card pulled out,
 * an unplugged reader or a stopped pcscd ends the exchange in flight at once instead of leaving it
 * to the driver. The connection is then "lost" until `reconnect()`.
 */
import type { TransmitOptions } from '@krypton-web/krypton-core';
import { ExclusiveTransport } from '../exclusive-transport.ts';
import { PcscError, START_PCSCD, pcscFailure, type PcscProblem } from './pcsc-error.ts';
import { PcscService, serviceLink, type ServiceLink } from './pcsc-service.ts';
import { isCardReset, ScardCard } from './scard-card.ts';

/** Exclusive: no other program can use the card while we are connected. Shared: others can, between our transactions. */
export type PcscShareMode = 'exclusive' | 'shared';
/** The transmission protocol pcscd negotiated with the card. */
export type PcscProtocol = 'T=0' | 'T=1';
/** What closing does to the card: leave it powered as it is, reset it (clearing PIN state and selection), or power it off. */
export type PcscDisposition = 'leave' | 'reset' | 'unpower';
/** Where the connection is: usable, broken until `reconnect()`, or closed. */
export type PcscTransportState = 'connected' | 'lost' | 'closed';

/** How to open a reader. */
export interface PcscOpenOptions {
  /** Default 'shared' (command groups run in PC/SC transactions). */
  share?: PcscShareMode;
  /** The longest one exchange (or connect) may take before it fails with TIMEOUT (default 5000 ms). */
  timeoutMs?: number;
  /** What close() does to the card: by default 'leave', or 'reset' when a PIN was verified in this session (the next program must not find it open). */
  disposition?: PcscDisposition;
  /** How long without an APDU ends the transaction of a command group (default 25 ms). */
  groupIdleMs?: number;
  /** The service to use; by default the transport opens its own and closes it with itself. */
  service?: PcscService;
}

const DEFAULT_TIMEOUT_MS = 5000;
/**
 * After a failure that does not say why ("Transaction failed" when the reader loses the card
 * mid-command, "Access denied" from a pcscd shutting down, an empty answer), how long to wait for the
 * service to report the card, reader or pcscd gone, which then names the failure.
 */
const EXPLAIN_GRACE_MS = 1000;
/** How long close() and reconnect() wait for pcsclite's pool work (a stuck transmit) before giving up on it. */
const SETTLE_MS = 2000;
/** Room for any response: short APDUs answer at most 256 bytes and SW1 SW2, a reader may add more; memory is cheap. */
const MAX_RESPONSE = 0x10002;
/** How long open() waits for the reader's status to show the card's ATR after connecting. */
const ATR_WAIT_MS = 1000;
const DEFAULT_GROUP_IDLE_MS = 25;
/** Instructions whose success leaves PIN1 verified (VERIFY with a PIN, CHANGE, DISABLE, ENABLE, UNBLOCK: TS 102 221 §11.1.9–13). */
const PIN_VERIFYING = new Set([0x20, 0x24, 0x26, 0x28, 0x2c]);

const noop = (): void => undefined;

/** Set by PcscTransport's static block (before any use), so openOn can reach its private opener. */
type OpenTransport = (service: PcscService, readerName: string, options: PcscOpenOptions, ownsService: boolean) => Promise<PcscTransport>;
let openTransport: OpenTransport;

/** An APDU link to the card in one PC/SC reader (kind 'pcsc'), through pcscd and pcsclite. */
export class PcscTransport extends ExclusiveTransport {
  readonly kind = 'pcsc';
  /** The reader name. */
  readonly name: string;
  /** How the card is shared with other programs. */
  readonly share: PcscShareMode;
  readonly #service: PcscService;
  readonly #link: ServiceLink;
  #ownsService: boolean;
  readonly #timeoutMs: number;
  readonly #disposition: PcscDisposition | undefined;
  readonly #groupIdleMs: number;
  readonly #unsubscribe: (() => void)[] = [];
  #card: ScardCard | undefined;
  /** A PIN was verified in this session: closing resets the card so nobody finds it open. */
  #pinVerified = false;
  /** The PC/SC transaction held now (a command group, or withTransaction). */
  #held = false;
  #groupTimer: ReturnType<typeof setTimeout> | undefined;
  #protocol: PcscProtocol = 'T=0';
  #atr = new Uint8Array(0);
  #state: PcscTransportState = 'lost';
  #lost: PcscError | undefined;
  /** pcsclite pool work (connect, transmit, disconnect), chained: nothing overlaps, even work given up on. */
  #tail: Promise<void> = Promise.resolve();
  /** Ends the exchange waiting now when the connection is lost under it. */
  #interrupt: ((error: PcscError) => void) | undefined;
  /** An exchange or a reconnect is running. */
  #busy = false;
  #reconnecting: Promise<void> | undefined;
  #inTransaction = false;

  static {
    openTransport = (service, name, options, ownsService) => PcscTransport.#openOn(service, name, options, ownsService);
  }

  private constructor(service: PcscService, name: string, options: PcscOpenOptions, ownsService: boolean) {
    super();
    this.name = name;
    this.share = options.share ?? 'shared';
    this.#service = service;
    this.#link = serviceLink(service);
    this.#ownsService = ownsService;
    this.#timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.#disposition = options.disposition;
    this.#groupIdleMs = options.groupIdleMs ?? DEFAULT_GROUP_IDLE_MS;
  }

  /**
   * Connects to the card in `readerName` (T=0 or T=1, as negotiated). Rejects with TRANSPORT_FAILED
   * (pcscd not running, unknown reader, card in use by another program) or NO_CARD (reader empty,
   * card mute).
   */
  static async open(readerName: string, options: PcscOpenOptions = {}): Promise<PcscTransport> {
    validate(readerName, options);
    const service = options.service ?? (await PcscService.open());
    try {
      return await PcscTransport.#openOn(service, readerName, options, options.service === undefined);
    } catch (e) {
      if (options.service === undefined) await service.close();
      throw e;
    }
  }

  /** The card's answer to reset, as pcscd reported it when we connected. */
  get atr(): Uint8Array {
    return this.#atr.slice();
  }

  /** The protocol in use. */
  get protocol(): PcscProtocol {
    return this.#protocol;
  }

  /** Whether a PIN was verified in this session (closing then resets the card, unless told otherwise). */
  get pinVerified(): boolean {
    return this.#pinVerified;
  }

  /** Whether the connection is usable, lost (card removed or reset, reader or pcscd gone: call `reconnect()`), or closed. */
  get state(): PcscTransportState {
    return this.closed ? 'closed' : this.#state;
  }

  /** Why the connection is lost, while it is. */
  get lostBecause(): PcscError | undefined {
    return this.#state === 'lost' && !this.closed ? this.#lost : undefined;
  }

  /**
   * Connects again to the card in the same reader, with the same share mode (after the card was
   * removed and reinserted, reset by another program, or pcscd restarted). The card's volatile state
   * (selected files, verified PIN) may be gone: tell krypton-core (`usim.forgetSelection()`).
   */
  async reconnect(): Promise<void> {
    if (this.closed) throw closedError(this.name);
    if (this.#busy) throw new PcscError('TRANSPORT_BUSY', 'failed', `The link to the SIM (${this.name}) is busy with another command`);
    this.#busy = true;
    const run = (async () => {
      if (!(await settled(this.#tail, SETTLE_MS))) {
        throw new PcscError(
          'TIMEOUT',
          'timeout',
          `The reader "${this.name}" is still busy with an earlier command: remove and reinsert the card, then reconnect`,
        );
      }
      this.#state = 'lost';
      const old = this.#card;
      this.#card = undefined;
      if (old) await this.#disconnect(old, 'leave');
      if (this.closed) throw closedError(this.name);
      try {
        await this.#connect();
      } catch (e) {
        if (e instanceof PcscError) this.#lost = e;
        throw e;
      }
    })();
    this.#reconnecting = run.then(noop, noop);
    try {
      await run;
    } finally {
      this.#busy = false;
      this.#reconnecting = undefined;
    }
  }

  /**
   * Runs `fn` with the card to ourselves: one PC/SC transaction around all of it, so no other
   * program's APDUs come between ours (one whole authentication, say). Command groups inside it do
   * not begin transactions of their own.
   */
  async withTransaction<T>(fn: (transport: this) => Promise<T>): Promise<T> {
    if (this.closed) throw closedError(this.name);
    if (this.#inTransaction)
      throw new PcscError('TRANSPORT_BUSY', 'failed', `The link to the SIM (${this.name}) is already in a transaction`);
    this.#inTransaction = true;
    try {
      const card = this.#card;
      if (this.#state !== 'connected' || !card) throw this.#stillLost();
      await this.#hold(card);
      return await fn(this);
    } finally {
      this.#inTransaction = false;
      this.#releaseSoon(0);
    }
  }

  static async #openOn(service: PcscService, readerName: string, options: PcscOpenOptions, ownsService: boolean): Promise<PcscTransport> {
    validate(readerName, options);
    await service.listReaders();
    const link = serviceLink(service);
    if (!link.reader(readerName)) throw unknownReader(readerName, link.readerNames());
    const transport = new PcscTransport(service, readerName, options, ownsService);
    link.claim(readerName, transport);
    try {
      await transport.#start();
    } catch (e) {
      // Closed without its service, even one it was to own: the caller may try another reader on it.
      transport.#ownsService = false;
      link.unclaim(readerName, transport);
      await transport.close().catch(noop);
      throw e;
    }
    return transport;
  }

  /** Follows the service's events for this reader, then connects for the first time. */
  async #start(): Promise<void> {
    this.#unsubscribe.push(
      this.#service.on('card-removed', (e) => {
        if (e.reader === this.name)
          this.#markLost(
            new PcscError('NO_CARD', 'card-removed', `The card was removed from reader "${this.name}": insert it again, then reconnect`),
          );
      }),
      this.#service.on('reader-removed', (e) => {
        if (e.reader === this.name)
          this.#markLost(
            new PcscError(
              'TRANSPORT_FAILED',
              'unknown-reader',
              `The card reader "${this.name}" was unplugged: plug it in again, then reconnect`,
            ),
          );
      }),
      this.#service.on('service-lost', (e) =>
        this.#markLost(
          new PcscError('TRANSPORT_FAILED', 'no-service', `The PC/SC service (pcscd) stopped: ${START_PCSCD}, then reconnect`, {
            cause: e.error,
          }),
        ),
      ),
    );
    await this.#connect();
  }

  protected async exchange(apdu: Uint8Array, options: TransmitOptions): Promise<Uint8Array> {
    const card = this.#card;
    if (this.#state !== 'connected' || !card) throw this.#stillLost();
    if (this.#busy) throw new PcscError('TRANSPORT_BUSY', 'failed', `The link to the SIM (${this.name}) is reconnecting`);
    this.#busy = true;
    clearTimeout(this.#groupTimer);
    try {
      await this.#hold(card);
      const response = await this.#transmit(card, apdu, options.signal);
      const sw = response.length >= 2 ? (response[response.length - 2]! << 8) | response[response.length - 1]! : 0;
      // VERIFY without data only asks for the PIN's state; with a PIN (or any other PIN command) a 9000 opens the card.
      if (sw === 0x9000 && PIN_VERIFYING.has(apdu[1]!) && (apdu[1] !== 0x20 || apdu.length > 5)) this.#pinVerified = true;
      return response;
    } finally {
      this.#busy = false;
      this.#releaseSoon(this.#groupIdleMs);
    }
  }

  protected async release(): Promise<void> {
    await this.#reconnecting;
    this.#state = 'closed';
    for (const off of this.#unsubscribe.splice(0)) off();
    this.#link.unclaim(this.name, this);
    clearTimeout(this.#groupTimer);
    const card = this.#card;
    this.#card = undefined;
    // A transmit the card never answered may still hold the handle: then leave the handle to it.
    // Disconnecting ends any transaction held, with the disposition given.
    if (card && (await settled(this.#tail, SETTLE_MS)))
      await this.#disconnect(card, this.#disposition ?? (this.#pinVerified ? 'reset' : 'leave'));
    if (this.#ownsService) await this.#service.close();
  }

  // ---- Native calls ----

  /** Queues pcsclite pool work behind any earlier work, so calls never overlap on one reader. */
  #enqueue<T>(work: () => Promise<T>): Promise<T> {
    const run = this.#tail.then(work);
    this.#tail = run.then(noop, noop);
    return run;
  }

  async #connect(): Promise<void> {
    if (!this.#link.reader(this.name)) throw unknownReader(this.name, this.#link.readerNames());
    const attempt = this.#enqueue(() => ScardCard.connect(this.name, this.share));
    let card: ScardCard;
    try {
      card = await deadline(attempt, this.#timeoutMs, () => {
        // If the connect succeeds after all, nobody must be left holding the card.
        attempt.then((late) => this.#disconnect(late, 'leave'), noop);
        return new PcscError('TIMEOUT', 'timeout', `The reader "${this.name}" did not connect to the card within ${this.#timeoutMs} ms`);
      });
    } catch (e) {
      throw e instanceof PcscError ? e : pcscFailure('connect', this.name, e);
    }
    const name = protocolName(card.protocol);
    if (!name || this.closed) {
      // Closed while connecting (its service closed, say): nobody must be left holding the card.
      await this.#disconnect(card, 'leave');
      if (this.closed) throw closedError(this.name);
      throw new PcscError(
        'TRANSPORT_FAILED',
        'failed',
        `The card in "${this.name}" speaks neither T=0 nor T=1 (PC/SC protocol ${card.protocol})`,
      );
    }
    this.#card = card;
    this.#protocol = name;
    this.#held = false;
    this.#pinVerified = false;
    this.#lost = undefined;
    this.#state = 'connected';
    // The ATR comes from the reader's status; right after an insertion it may lag the connect a little.
    const info = await this.#link
      .until(
        () => {
          const current = this.#link.reader(this.name)?.info;
          return current?.card === 'present' ? current : undefined;
        },
        ATR_WAIT_MS,
        () => new Error('no status'),
      )
      .catch(() => undefined);
    this.#atr = info ? info.atr.slice() : new Uint8Array(0);
  }

  #disconnect(card: ScardCard, disposition: PcscDisposition): Promise<void> {
    this.#held = false;
    const work = this.#enqueue(() => card.disconnect(disposition));
    // A dead pcscd or a removed card makes disconnect fail or stall; there is nothing left to release then.
    return settled(work, SETTLE_MS).then(noop);
  }

  /** Begins the PC/SC transaction of a command group unless one is held; a card reset by another program is reconnected first. */
  async #hold(card: ScardCard): Promise<void> {
    if (this.#held) return;
    try {
      await this.#enqueue(() => card.begin());
    } catch (e) {
      if (!isCardReset(e)) throw this.#failed(e);
      await this.#recoverReset(card);
      await this.#enqueue(() => card.begin()).catch((again: unknown) => {
        throw this.#failed(again);
      });
    }
    this.#held = true;
  }

  /** Ends the command group's transaction after `ms` without an APDU (at once for 0), unless withTransaction holds it. */
  #releaseSoon(ms: number): void {
    clearTimeout(this.#groupTimer);
    if (!this.#held || this.#inTransaction) return;
    const end = (): void => {
      const card = this.#card;
      if (!this.#held || this.#inTransaction || this.#busy || !card) return;
      this.#held = false;
      void this.#enqueue(() => card.end()).catch(noop);
    };
    if (ms === 0) end();
    else this.#groupTimer = setTimeout(end, ms);
  }

  /** Another program reset the card: SCardReconnect, and what the session had verified is gone. */
  async #recoverReset(card: ScardCard): Promise<void> {
    this.#held = false;
    this.#pinVerified = false;
    await this.#enqueue(() => card.reconnect(this.share, 'leave')).catch((e: unknown) => {
      throw this.#failed(e);
    });
  }

  #failed(e: unknown): PcscError {
    const error = e instanceof PcscError ? e : pcscFailure('transmit', this.name, e);
    if (LOSING.has(error.problem)) this.#markLost(error);
    return error;
  }

  #transmit(card: ScardCard, apdu: Uint8Array, signal: AbortSignal | undefined): Promise<Uint8Array> {
    // A reset by another program between our groups: reconnect and send the command again, once.
    // The card's selection is gone then; krypton-core notices a stale selection and selects again.
    const work = this.#enqueue(() => card.transmit(apdu, MAX_RESPONSE)).catch(async (e: unknown) => {
      if (!isCardReset(e)) throw e;
      this.#pinVerified = false;
      await this.#enqueue(() => card.reconnect(this.share, 'leave'));
      await this.#enqueue(() => card.begin());
      return this.#enqueue(() => card.transmit(apdu, MAX_RESPONSE));
    });
    return new Promise<Uint8Array>((resolve, reject) => {
      let finished = false;
      let grace: ReturnType<typeof setTimeout> | undefined;
      const finish = (settle: () => void): void => {
        if (finished) return;
        finished = true;
        clearTimeout(timer);
        clearTimeout(grace);
        signal?.removeEventListener('abort', onAbort);
        this.#interrupt = undefined;
        settle();
      };
      const timer = setTimeout(() => {
        const error = new PcscError(
          'TIMEOUT',
          'timeout',
          `The card in "${this.name}" did not answer within ${this.#timeoutMs} ms: remove and reinsert it, then reconnect`,
        );
        finish(() => reject(error));
        // pcsclite cannot cancel a transmit: the reader stays busy until the driver gives up.
        this.#markLost(error);
      }, this.#timeoutMs);
      const onAbort = (): void =>
        finish(() => reject(new PcscError('ABORTED', 'aborted', 'The command was cancelled; the card may still be working on it')));
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#interrupt = (error) => finish(() => reject(error));
      // A loss reported within the grace period (through #interrupt) names the failure instead.
      const unlessExplained = (error: PcscError): void => {
        grace = setTimeout(() => finish(() => reject(error)), EXPLAIN_GRACE_MS);
      };
      work.then(
        (response) => {
          // vpcd answers "success, no bytes" when the card goes away mid-command.
          if (response.length < 2)
            unlessExplained(
              new PcscError(
                'TRANSPORT_FAILED',
                'failed',
                `The reader "${this.name}" returned ${response.length} byte(s), without a status word`,
              ),
            );
          else finish(() => resolve(response));
        },
        (e: unknown) => {
          const error = pcscFailure('transmit', this.name, e);
          if (error.problem === 'failed') return unlessExplained(error);
          if (LOSING.has(error.problem)) this.#markLost(error);
          finish(() => reject(error));
        },
      );
    });
  }

  // ---- State ----

  #markLost(error: PcscError): void {
    if (this.#state !== 'connected') return;
    this.#state = 'lost';
    this.#lost = error;
    this.#interrupt?.(error);
  }

  #stillLost(): PcscError {
    if (this.closed) return closedError(this.name);
    const why = this.#lost;
    if (!why) return new PcscError('TRANSPORT_FAILED', 'failed', `The link to the SIM (${this.name}) is not connected: reconnect`);
    const message = /reconnect/.test(why.message) ? why.message : `${why.message}; then reconnect`;
    return new PcscError(why.code, why.problem, message, {
      cause: why,
      ...(why.scardCode === undefined ? {} : { scardCode: why.scardCode }),
    });
  }
}

/** The protocol's name, for a protocol pcscd negotiated. */
function protocolName(protocol: number): PcscProtocol | undefined {
  if (protocol === 0x0001) return 'T=0';
  if (protocol === 0x0002) return 'T=1';
  return undefined;
}

/** Problems after which the connection cannot be used again without reconnecting. */
const LOSING = new Set<PcscProblem>(['no-service', 'unknown-reader', 'card-removed', 'card-reset', 'card-mute', 'no-card', 'timeout']);

/**
 * Opens a transport on an existing service; `ownsService` makes the transport close the service
 * with itself (for openFirstReaderWithCard). Not exported from the package. @internal
 */
export function openOn(service: PcscService, readerName: string, options: PcscOpenOptions, ownsService: boolean): Promise<PcscTransport> {
  return openTransport(service, readerName, options, ownsService);
}

function validate(readerName: string, options: PcscOpenOptions): void {
  if (typeof readerName !== 'string' || readerName.length === 0) throw new TypeError('readerName must be a non-empty string');
  if (options.share !== undefined && options.share !== 'exclusive' && options.share !== 'shared')
    throw new TypeError(`share must be 'exclusive' or 'shared'`);
  if (options.timeoutMs !== undefined && !(Number.isFinite(options.timeoutMs) && options.timeoutMs > 0))
    throw new RangeError('timeoutMs must be a positive number');
  if (options.disposition !== undefined && !['leave', 'reset', 'unpower'].includes(options.disposition))
    throw new TypeError(`disposition must be 'leave', 'reset' or 'unpower'`);
}

function unknownReader(name: string, known: string[]): PcscError {
  if (known.length === 0) return new PcscError('TRANSPORT_FAILED', 'no-reader', `No card reader found: plug one in, or ${START_PCSCD}`);
  return new PcscError('TRANSPORT_FAILED', 'unknown-reader', `No card reader named "${name}" (readers: ${known.join(', ')})`);
}

function closedError(name: string): PcscError {
  return new PcscError('TRANSPORT_CLOSED', 'closed', `The link to the SIM (${name}) is closed`);
}

/** Resolves true once `work` settles, or false after `ms` (the work goes on). */
function settled(work: Promise<unknown>, ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), ms);
    work.then(
      () => {
        clearTimeout(timer);
        resolve(true);
      },
      () => {
        clearTimeout(timer);
        resolve(true);
      },
    );
  });
}

/** `work`, or the error `onTimeout` builds after `ms`. */
function deadline<T>(work: Promise<T>, ms: number, onTimeout: () => Error): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(onTimeout()), ms);
    work.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (e: unknown) => {
        clearTimeout(timer);
        reject(e);
      },
    );
  });
}
