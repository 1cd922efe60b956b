import type { SimAuthResult } from '@krypton-web/krypton-core';
import type { CheckedSim, CheckResult, CheckStep, PinRequest, Verdict } from '@krypton-web/sim-check';
import type { Failure } from './api.ts';
import type { LaneView } from './batch-api.ts';
import { failure, toFailure } from './failure.ts';
import { LaneMachine, laneView, type AbortReason, type LaneEffect, type LaneInput } from './lane-machine.ts';

/** A reader as the bridge lists it (sim-transport's ReaderInfo fits). */
export interface LaneReader {
  name: string;
  card: boolean;
  inUse: boolean;
}

/** A SIM session on one reader (sim-transport's BridgeSimSession fits). */
export interface LaneSession {
  readonly session: string;
  readIccid(): Promise<string>;
  readImsi(): Promise<string>;
  pinState(): Promise<{ enabled: boolean; verified: boolean; triesLeft?: number | undefined; pukTriesLeft?: number | undefined }>;
  verifyPin(pin: string, options?: { allowLastTry?: boolean }): Promise<void>;
  authenticate(rand: Uint8Array, autn: Uint8Array): Promise<SimAuthResult>;
  close(): Promise<void>;
}

/** The bridge as a lane uses it (sim-transport's BridgeClient fits). */
export interface LaneBridge {
  readers(): Promise<LaneReader[]>;
  open(reader: string): Promise<LaneSession>;
  close(): void;
}

/** What the bridge tells a lane's connection without being asked. */
export interface LaneBridgeEvents {
  onReaders(readers: LaneReader[]): void;
  onSessionLost(session: string): void;
  /** The connection ended by itself (the bridge stopped, the network dropped). */
  onClose(failure: Failure): void;
  /** The device itself went away (a USB modem unplugged): the lane shows it gone and waits for it to come back. */
  onUnplugged?(): void;
}

/** One check as the lane hands it to the batch: how to stop it, and how to report on it. */
export interface LaneRun {
  /** The reader's name: the lane the report names. */
  reader: string;
  signal: AbortSignal;
  /** A command showed that the card is gone: the check must end as interrupted, at once. */
  cardGone: () => void;
  /** The SIM's ICCID is known: false when it was checked before (the lane then says so). */
  onSimRead: (sim: CheckedSim) => boolean;
  onStep: (step: CheckStep) => void;
  /** The PIN of a PIN-enabled SIM (the batch's, or the person's); undefined: none given. */
  pin: (request: PinRequest) => Promise<string | undefined>;
}

/** What a lane needs from the batch. */
export interface LaneDeps {
  connect(events: LaneBridgeEvents): Promise<LaneBridge>;
  /** Runs one check of the SIM behind `session`. */
  check(session: LaneSession, run: LaneRun): Promise<CheckResult | undefined>;
  /** Persists a result; resolves once it is kept (or storage refused), before the lane shows it. */
  record(result: CheckResult): Promise<void>;
  /** The earlier check of a SIM in this batch, if any. */
  previous(iccid: string): { at: number; verdict: Verdict } | undefined;
  /** The PIN kept for this batch ("same PIN for this batch"), if any. */
  batchPin(): string | undefined;
  emit(view: LaneView): void;
  /** How often the reader list is read again, ms (also keeps the connection from idling out). */
  pollMs?: number;
  /** First wait before reconnecting to the bridge, ms (doubled up to 30 s). */
  reconnectMs?: number;
  /** How long a card waits for a busy reader (another page's session, the bridge's rate of opens), ms. */
  busyWaitMs?: number;
  /** How often a busy reader is tried again meanwhile, ms. */
  busyRetryMs?: number;
}

interface RunningCheck {
  controller: AbortController;
  reason?: AbortReason;
  session?: string;
  pinAnswer?: (pin: string | undefined) => void;
}

/**
 * One card reader of a batch: its own connection to the bridge, its state machine, and the check of
 * whatever card is in it. A card that arrives is checked at once (a session opened, the check run,
 * the session closed); a card that leaves aborts the check and clears the lane.
 */
export class Lane {
  private readonly machine = new LaneMachine();
  private bridge: LaneBridge | undefined;
  private connecting: Promise<LaneBridge> | undefined;
  private readonly runs = new Map<number, RunningCheck>();
  private poll: ReturnType<typeof setInterval> | undefined;
  private retry: ReturnType<typeof setTimeout> | undefined;
  private retryMs: number;
  private stopped = false;

  constructor(
    readonly reader: string,
    private readonly deps: LaneDeps,
    /** A card reader of the bridge, or a USB modem the page opened. */
    readonly kind: 'reader' | 'modem' = 'reader',
  ) {
    this.retryMs = deps.reconnectMs ?? 1000;
  }

  /** What the lane shows now. */
  get view(): LaneView {
    const view = laneView(this.reader, this.machine.state);
    return this.kind === 'modem' ? { ...view, modem: true } : view;
  }

  /** Connects and looks at the reader; a card already in is checked at once. */
  async start(): Promise<void> {
    this.deps.emit(this.view);
    await this.connect();
    const every = this.deps.pollMs ?? 20_000;
    if (every > 0)
      this.poll = setInterval(() => {
        const bridge = this.bridge;
        if (bridge)
          bridge.readers().then(
            (r) => this.onReaders(r),
            () => undefined,
          );
      }, every);
  }

  /** Stops: a check under way is dropped, the connection closed. */
  stop(): void {
    this.stopped = true;
    clearInterval(this.poll);
    clearTimeout(this.retry);
    this.send({ type: 'stop' });
    this.bridge?.close();
    this.bridge = undefined;
  }

  /** Checks the SIM in the reader again. */
  recheck(): void {
    this.send({ type: 'recheck' });
  }

  /** The person's answer to this lane's PIN prompt. */
  answerPin(pin: string | undefined): void {
    for (const [run, r] of this.runs) {
      if (!r.pinAnswer) continue;
      const answer = r.pinAnswer;
      r.pinAnswer = undefined;
      this.send({ type: 'pin-answered', run });
      answer(pin);
    }
  }

  private async connect(): Promise<void> {
    if (this.stopped) return;
    try {
      this.connecting ??= this.deps.connect({
        onReaders: (readers) => this.onReaders(readers),
        onSessionLost: (session) => {
          if ([...this.runs.values()].some((r) => r.session === session)) this.send({ type: 'card-gone' });
        },
        onClose: (f) => {
          if (this.stopped) return;
          this.bridge = undefined;
          this.send({ type: 'offline', failure: f });
          this.reconnectLater();
        },
        onUnplugged: () => {
          if (this.stopped) return;
          this.bridge = undefined;
          this.send({ type: 'reader-gone' });
          this.reconnectLater();
        },
      });
      const bridge = await this.connecting;
      if (this.stopped) {
        bridge.close();
        return;
      }
      this.bridge = bridge;
      this.retryMs = this.deps.reconnectMs ?? 1000;
      this.onReaders(await bridge.readers());
    } catch (e) {
      if (this.stopped) return;
      this.bridge = undefined;
      this.send({ type: 'offline', failure: toFailure(e) });
      this.reconnectLater();
    } finally {
      this.connecting = undefined;
    }
  }

  private reconnectLater(): void {
    if (this.stopped || this.retry) return;
    this.retry = setTimeout(() => {
      this.retry = undefined;
      void this.connect();
    }, this.retryMs);
    this.retryMs = Math.min(this.retryMs * 2, 30_000);
  }

  private onReaders(readers: LaneReader[]): void {
    const r = readers.find((x) => x.name === this.reader);
    this.send(r ? { type: 'reader', card: r.card, inUse: r.inUse } : { type: 'reader-gone' });
  }

  private send(input: LaneInput): void {
    const before = this.machine.state;
    const effects = this.machine.send(input);
    // Effects first: an abort must land before anything else runs (a command that failed waits on it).
    for (const e of effects) this.apply(e);
    const after = this.machine.state;
    // The bridge repeats itself (a reader list per change anywhere): only news is sent to the page.
    if (after !== before && JSON.stringify(after) !== JSON.stringify(before)) this.deps.emit(this.view);
  }

  private apply(effect: LaneEffect): void {
    if (effect.type === 'start') {
      void this.run(effect.run, effect.force);
      return;
    }
    const r = this.runs.get(effect.run);
    if (!r) return;
    r.reason ??= effect.reason;
    r.controller.abort();
    r.pinAnswer?.(undefined);
    r.pinAnswer = undefined;
  }

  private async run(run: number, force: boolean): Promise<void> {
    const state: RunningCheck = { controller: new AbortController() };
    this.runs.set(run, state);
    const signal = state.controller.signal;
    let session: LaneSession | undefined;
    try {
      const bridge = this.bridge ?? (await this.connected());
      session = await this.open(bridge, signal);
      state.session = session.session;
      if (signal.aborted) return;
      const result = await this.deps.check(session, {
        reader: this.reader,
        signal,
        cardGone: () => {
          if (!signal.aborted) this.send({ type: 'card-gone' });
        },
        onSimRead: (sim) => {
          const previous = !force && sim.iccid ? this.deps.previous(sim.iccid) : undefined;
          if (previous && sim.iccid) {
            this.send({ type: 'declined', run, iccid: sim.iccid, previous });
            return false;
          }
          this.send({ type: 'sim-read', run, ...(sim.iccid ? { iccid: sim.iccid } : {}) });
          return true;
        },
        onStep: (step) => this.send({ type: 'step', run, step }),
        pin: (request) => this.pin(run, state, request),
      });
      if (!result) return;
      // A check the lane dropped (stopped, bridge lost) proved nothing and no card left: it is not a result.
      if (state.reason !== undefined && state.reason !== 'card') return;
      // Interrupted before the ICCID was read: no SIM to put a row against.
      if (result.interrupted && !result.iccid) return;
      await this.deps.record(result);
      this.send({ type: 'finished', run, result });
    } catch (e) {
      if (!signal.aborted) this.send({ type: 'failed', run, failure: toFailure(e) });
    } finally {
      this.runs.delete(run);
      await session?.close().catch(() => undefined);
    }
  }

  /**
   * Opens the reader; a busy answer (another page holds it, or the bridge's limit on opens per minute
   * was reached by a quick stack of cards) is waited out while the card stays in, not shown as a failure.
   */
  private async open(bridge: LaneBridge, signal: AbortSignal): Promise<LaneSession> {
    const deadline = Date.now() + (this.deps.busyWaitMs ?? 60_000);
    for (;;) {
      try {
        return await bridge.open(this.reader);
      } catch (e) {
        if (toFailure(e).code !== 'TRANSPORT_BUSY' || signal.aborted || Date.now() >= deadline) throw e;
        await pause(this.deps.busyRetryMs ?? 2000, signal);
        if (signal.aborted) throw e;
      }
    }
  }

  private async connected(): Promise<LaneBridge> {
    await this.connect();
    if (!this.bridge)
      throw failure('TRANSPORT_FAILED', 'The card reader bridge is not reachable', 'Check that `pnpm bridge` is still running');
    return this.bridge;
  }

  /**
   * The PIN for this SIM: the batch's when the person said "same PIN for this batch" — but never on
   * a SIM with one try left (a wrong PIN would block it), and not when the SIM does not say.
   */
  private async pin(run: number, state: RunningCheck, request: PinRequest): Promise<string | undefined> {
    if (request.triesLeft === 1)
      throw failure(
        'PIN_ONE_TRY_LEFT',
        'PIN1 of this SIM has one try left: the check does not spend it',
        'Verify the PIN on the single-SIM screen (it asks before using the last try), then check this SIM again',
        { triesLeft: 1 },
      );
    const kept = this.deps.batchPin();
    if (kept !== undefined && request.triesLeft !== undefined && request.triesLeft >= 2) return kept;
    if (state.controller.signal.aborted) return undefined;
    return new Promise<string | undefined>((resolve) => {
      state.pinAnswer = resolve;
      this.send({ type: 'pin-asked', run, ...(request.triesLeft !== undefined ? { triesLeft: request.triesLeft } : {}) });
    });
  }
}

/** Waits `ms`, or less when the signal aborts. */
function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
    function done(): void {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
  });
}
