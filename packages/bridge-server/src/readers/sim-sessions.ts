import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import {
  cardKeyOfAtr,
  defaultCardPaths,
  fromBase64Exact,
  fromHex,
  KryptonError,
  toBase64,
  toHex,
  Tracer,
  TranscriptRecorder,
  Usim,
  type CardPathMemory,
  type StepName,
} from '@krypton-web/krypton-core';
import type { BridgeError, BridgeRequest, BridgeResults } from '@krypton-web/sim-transport';
import { DEFAULT_LIMITS, type RateSpec } from '../limits.ts';
import type { Logger } from '../log.ts';
import { RateLimiter } from '../security/rate-limit.ts';
import { writeWhole } from '../record/transcript-files.ts';
import type { OpenedCard, ReaderBackend } from './reader-backend.ts';

/** One page's hold on one reader. */
interface SimSession {
  id: string;
  reader: string;
  owner: string;
  card: OpenedCard;
  usim: Usim;
  backend: ReaderBackend;
  /** The page's origin: its Krypton calls through the proxy belong in this session's transcript. */
  origin: string | undefined;
  /** With --record DIR: the session's APDUs (masked by core) and its origin's proxied Krypton calls, written when the session ends. */
  recording?: { recorder: TranscriptRecorder; tracer: Tracer };
  /** The IMSI the page read, and the keyIds Krypton gave for it: they tie a proxied call to this session. */
  imsi?: string;
  keyIds: Set<string>;
  /** When the page last ran a command here (performance.now), to pick among one origin's sessions. */
  lastActive: number;
}

/** What ties a proxied Krypton call to a session: who made it, and the IMSI or keyId it names. */
export interface ProxiedCallFacts {
  origin: string | undefined;
  imsi?: string;
  keyId?: string;
}

/** A recording session's transcript, as the Krypton proxy writes into it. */
export interface SessionRecording {
  recorder: TranscriptRecorder;
  /** Ties a keyId Krypton gave to this session, so the calls that use it are recorded here too. */
  claimKey(keyId: string): void;
}

// The timeline step each session command is, so a transcript groups its APDUs as krypton-cli's does.
const STEP_OF: Partial<Record<SessionOp['op'], StepName>> = {
  imsi: 'imsi',
  'pin-state': 'pin',
  'verify-pin': 'pin',
  'unblock-pin': 'pin',
  'change-pin': 'pin',
  'set-pin-enabled': 'pin',
  authenticate: 'authenticate',
};

type SessionOp = Extract<BridgeRequest, { session: string }>;

/**
 * The SIM sessions of every connected page. A reader has at most one session (exclusive, so no
 * other page or program can interleave APDUs); the narrow SIM command set runs krypton-core's USIM
 * commands here, next to the card, and only the results cross the WebSocket.
 */
export class SimSessions {
  private readonly sessions = new Map<string, SimSession>();
  private readonly opening = new Set<string>();
  /** Connections that may hold sessions: admitted when they connect, gone once closeOwner ran. */
  private readonly owners = new Set<string>();
  /** Readers whose session is being closed: an open waits for the card to be released first. */
  private readonly closing = new Map<string, Promise<void>>();
  private readonly authenticateLimit: RateLimiter;

  constructor(
    private readonly backends: ReaderBackend[],
    private readonly log: Logger,
    private readonly rawApdu: boolean,
    authenticates: RateSpec = DEFAULT_LIMITS.authenticates,
    /** Where each session's transcript goes when it ends (`--record DIR`); none when absent. */
    private readonly recordDir?: string,
    /** What each card make refused before (decision 0014): a file in the bridge, memory in tests. */
    private readonly cardPaths: CardPathMemory = defaultCardPaths,
  ) {
    this.authenticateLimit = new RateLimiter(authenticates.burst, authenticates.perMinute);
  }

  /** The readers of every backend, with whether a session holds them. */
  async readers(): Promise<BridgeResults['readers']['readers']> {
    const lists = await Promise.all(this.backends.map((b) => b.readers().catch(() => [])));
    const held = new Set([...this.sessions.values()].map((s) => s.reader));
    return lists.flat().map((r) => ({ ...r, inUse: held.has(r.name) || this.opening.has(r.name) }));
  }

  /** Lets a connection hold sessions, until `closeOwner` says it went away. */
  admit(owner: string): void {
    this.owners.add(owner);
  }

  /** Opens an exclusive session on a reader for a connection (of `origin`, whose proxied calls its transcript then holds). */
  async open(reader: string, owner: string, origin?: string): Promise<BridgeResults['open']> {
    if (!this.owners.has(owner)) throw ownerGone();
    if (this.opening.has(reader) || [...this.sessions.values()].some((s) => s.reader === reader)) {
      throw new KryptonError(
        'TRANSPORT_BUSY',
        `The reader "${reader}" is in use by another page or tab`,
        'Close the SIM session there (or that tab), then try again',
        { step: 'open' },
      );
    }
    // Claimed before the first await: two opens racing for one reader cannot both pass the check above.
    this.opening.add(reader);
    try {
      const backend = await this.backendOf(reader);
      await this.closing.get(reader);
      const card = await backend.open(reader);
      const id = sessionId();
      // The page may have gone while pcscd was connecting (its closeOwner found nothing to close):
      // the card is released now, never left to a session nobody can close.
      if (!this.owners.has(owner)) {
        this.sessions.set(id, {
          id,
          reader,
          owner,
          card,
          usim: new Usim(card.transport),
          backend,
          origin,
          keyIds: new Set(),
          lastActive: performance.now(),
        });
        await this.close(id, 'page disconnected while opening');
        throw ownerGone();
      }
      const recording = this.recordDir === undefined ? undefined : startRecording(reader, card.atr, card.modemFacts !== undefined);
      // A reader knows the ATR before any command, so the card make's path is known at once (as in krypton-cli).
      const usim = new Usim(card.transport, {
        cardPaths: this.cardPaths,
        ...(card.atr ? { cardKey: cardKeyOfAtr(fromHex(card.atr)) } : {}),
        ...(recording ? { tracer: recording.tracer } : {}),
        ...(card.imsiSource ? { imsiSource: card.imsiSource } : {}),
        ...(card.simInfoSource ? { simInfoSource: card.simInfoSource } : {}),
      });
      this.sessions.set(id, {
        id,
        reader,
        owner,
        origin,
        card,
        usim,
        backend,
        keyIds: new Set(),
        lastActive: performance.now(),
        ...(recording ? { recording } : {}),
      });
      this.log.info('session opened', { reader, owner, protocol: card.protocol });
      return {
        session: id,
        reader,
        atr: card.atr,
        protocol: card.protocol,
        kind: card.modemFacts ? 'modem' : 'reader',
        ...(card.csim !== undefined ? { csim: card.csim } : {}),
      };
    } finally {
      this.opening.delete(reader);
    }
  }

  /** Runs one SIM command of a session its owner asked for. */
  async run(request: SessionOp, owner: string): Promise<unknown> {
    const s = this.sessions.get(request.session);
    if (!s || s.owner !== owner) {
      throw new KryptonError('TRANSPORT_CLOSED', 'This SIM session is not open (the card may have been removed)', 'Open the reader again');
    }
    s.lastActive = performance.now();
    const step = STEP_OF[request.op];
    const run = () => (s.recording && step ? s.recording.tracer.run(step, () => this.command(s, request)) : this.command(s, request));
    if (request.op === 'close' || !s.card.exclusively) return run();
    return s.card.exclusively(run);
  }

  /** One command, run as the session's card allows (see OpenedCard.exclusively). */
  private async command(s: SimSession, request: SessionOp): Promise<unknown> {
    switch (request.op) {
      case 'close':
        await this.close(s.id, 'closed by the page');
        return {};
      case 'imsi':
        s.imsi = await s.usim.readImsi();
        return { imsi: s.imsi } satisfies BridgeResults['imsi'];
      case 'iccid':
        return { iccid: await s.usim.readIccid() } satisfies BridgeResults['iccid'];
      case 'pin-state': {
        const p = await s.usim.pinState();
        return {
          enabled: p.enabled,
          verified: p.verified,
          ...(p.triesLeft !== undefined ? { triesLeft: p.triesLeft } : {}),
          ...(p.pukTriesLeft !== undefined ? { pukTriesLeft: p.pukTriesLeft } : {}),
        } satisfies BridgeResults['pin-state'];
      }
      case 'modem-info':
        if (!s.card.modemFacts)
          throw new KryptonError('BAD_INPUT', `"${s.reader}" is a card reader, not a modem`, 'Ask modem facts of a modem session only');
        return (await s.card.modemFacts()) satisfies BridgeResults['modem-info'];
      case 'verify-pin':
        await s.usim.verifyPin(request.pin, { allowLastTry: request.allowLastTry });
        this.log.info('PIN verified', { reader: s.reader });
        return {};
      // The codes go to the card and nowhere else: the log names what was done, never with what.
      case 'unblock-pin':
        await s.usim.unblockPin(request.puk, request.newPin, { allowLastTry: request.allowLastTry });
        this.log.info('PIN unblocked with the PUK', { reader: s.reader });
        return {};
      case 'change-pin':
        await s.usim.changePin(request.pin, request.newPin, { allowLastTry: request.allowLastTry });
        this.log.info('PIN changed', { reader: s.reader });
        return {};
      case 'set-pin-enabled':
        await s.usim.setPinEnabled(request.enabled, request.pin, { allowLastTry: request.allowLastTry });
        this.log.info(request.enabled ? 'PIN enabled' : 'PIN disabled', { reader: s.reader });
        return {};
      case 'authenticate': {
        // Per reader, not per session: opening new sessions does not buy a hostile page more tries on the card.
        if (!this.authenticateLimit.take(s.reader)) {
          throw new KryptonError(
            'TRANSPORT_BUSY',
            'Too many AUTHENTICATE commands on this card in a short time',
            'Wait a minute before trying again',
          );
        }
        const result = await s.usim.authenticate(fromBase64Exact(request.rand, 16, 'rand'), fromBase64Exact(request.autn, 16, 'autn'));
        this.log.info('AUTHENTICATE done', { reader: s.reader, outcome: result.kind });
        if (result.kind === 'sync-failure')
          return { kind: 'sync-failure', auts: toBase64(result.auts) } satisfies BridgeResults['authenticate'];
        return {
          kind: 'success',
          res: toBase64(result.res),
          ck: toBase64(result.ck),
          ik: toBase64(result.ik),
          ...(result.kc ? { kc: toBase64(result.kc) } : {}),
        } satisfies BridgeResults['authenticate'];
      }
      case 'apdu': {
        if (!this.rawApdu)
          throw new KryptonError(
            'BAD_INPUT',
            'Raw APDUs are disabled on this bridge',
            'Start the bridge with --dev-raw-apdu (development only)',
          );
        const response = await s.card.transport.transmit(fromHex(request.apdu));
        s.usim.forgetSelection();
        return { response: toHex(response) } satisfies BridgeResults['apdu'];
      }
    }
  }

  /**
   * The recording session a proxied Krypton call belongs to: among the sessions its origin holds open,
   * the one that uses its keyId, else the one that read its IMSI, else the only one, else the one that
   * ran a command last (several readers checked at once from one page). None when the origin holds none.
   */
  recordingFor(call: ProxiedCallFacts): SessionRecording | undefined {
    const mine = [...this.sessions.values()].filter((s) => s.recording && s.origin !== undefined && s.origin === call.origin);
    const s =
      (call.keyId !== undefined ? mine.find((m) => m.keyIds.has(call.keyId!)) : undefined) ??
      (call.imsi !== undefined ? mine.find((m) => m.imsi === call.imsi) : undefined) ??
      mine.reduce<SimSession | undefined>((a, b) => (a && a.lastActive >= b.lastActive ? a : b), undefined);
    if (!s) return undefined;
    return { recorder: s.recording!.recorder, claimKey: (keyId) => s.keyIds.add(keyId) };
  }

  /** Ends a session and frees its reader. */
  async close(id: string, why: string): Promise<void> {
    const s = this.sessions.get(id);
    if (!s) return;
    this.sessions.delete(id);
    const released = s.card.transport.close().catch(() => undefined);
    this.closing.set(s.reader, released);
    try {
      await released;
    } finally {
      if (this.closing.get(s.reader) === released) this.closing.delete(s.reader);
    }
    this.log.info('session closed', { reader: s.reader, why });
    if (s.recording) await this.writeRecording(s, why);
  }

  // A transcript that cannot be written is logged, never a reason to fail closing the session.
  private async writeRecording(s: SimSession, why: string): Promise<void> {
    const recording = s.recording!;
    recording.recorder.note(`session closed: ${why}`);
    const file = join(this.recordDir!, `${new Date().toISOString().replace(/[:.]/g, '-')}-${slug(s.reader)}-${s.id.slice(0, 8)}.jsonl`);
    try {
      await mkdir(this.recordDir!, { recursive: true });
      await writeWhole(file, recording.recorder.toJsonl());
      const counts = recording.recorder.counts();
      this.log.info('transcript written', { file, apdus: counts.apdu, httpCalls: counts.http });
    } catch (e) {
      this.log.warn('transcript not written', { file, error: (e as Error).message });
    }
  }

  /** Ends every session of a connection (it went away); an open of it still under way is undone when it completes. */
  async closeOwner(owner: string): Promise<void> {
    this.owners.delete(owner);
    await Promise.all([...this.sessions.values()].filter((s) => s.owner === owner).map((s) => this.close(s.id, 'page disconnected')));
  }

  /** Sessions on a reader whose card was removed: closed, and their owners told. */
  async cardRemoved(reader: string): Promise<{ id: string; owner: string; reader: string }[]> {
    const lost = [...this.sessions.values()].filter((s) => s.reader === reader);
    await Promise.all(lost.map((s) => this.close(s.id, 'card removed')));
    return lost.map((s) => ({ id: s.id, owner: s.owner, reader: s.reader }));
  }

  /** Sessions of a backend whose service went away (pcscd stopped): closed, and their owners told. */
  async backendLost(backend: ReaderBackend): Promise<{ id: string; owner: string; reader: string }[]> {
    const lost = [...this.sessions.values()].filter((s) => s.backend === backend);
    await Promise.all(lost.map((s) => this.close(s.id, 'reader service lost')));
    return lost.map((s) => ({ id: s.id, owner: s.owner, reader: s.reader }));
  }

  /** Closes every session. */
  async closeAll(): Promise<void> {
    await Promise.all([...this.sessions.keys()].map((id) => this.close(id, 'bridge stopping')));
    // Closes already under way (a page that just went away) finish before the backends are released.
    await Promise.all([...this.closing.values()]);
  }

  private async backendOf(reader: string): Promise<ReaderBackend> {
    for (const b of this.backends) {
      const readers = await b.readers().catch(() => []);
      if (readers.some((r) => r.name === reader)) return b;
    }
    throw new KryptonError('NO_CARD', `There is no reader named "${reader}"`, 'Plug the reader in, or pick one from the list');
  }
}

/** An error as it may cross to the page: code, message, action and plain facts, nothing else. */
export function toBridgeError(e: unknown): BridgeError {
  if (e instanceof KryptonError) {
    const details: Record<string, string | number> = {};
    for (const [k, v] of Object.entries(e.details)) if (typeof v === 'string' || typeof v === 'number') details[k] = v;
    return { code: e.code, message: e.message, action: e.action, details };
  }
  const err = e as { name?: string; code?: string; message?: string };
  if (err?.name === 'TransportError' && typeof err.code === 'string') {
    return { code: err.code, message: err.message ?? 'The card reader failed', action: 'Check the reader and the card, then try again' };
  }
  return {
    code: 'BRIDGE_ERROR',
    message: 'The bridge could not complete the command',
    action: 'Try again; if it repeats, restart `pnpm bridge`',
  };
}

function startRecording(reader: string, atr: string, modem: boolean): { recorder: TranscriptRecorder; tracer: Tracer } {
  const recorder = new TranscriptRecorder({
    tool: 'krypton-web bridge',
    identity: {
      link: 'bridge',
      description: modem
        ? `USB modem on ${reader} through the bridge (APDUs only; the AT lines are not recorded)`
        : `PC/SC reader "${reader}" through the bridge`,
      reader,
      ...(atr ? { atr: atr.toUpperCase() } : {}),
    },
  });
  return { recorder, tracer: new Tracer(recorder.trace) };
}

/** A reader name as a file name part: letters, digits and dashes only. */
function slug(name: string): string {
  return (
    name
      .replace(/[^A-Za-z0-9]+/g, '-')
      .replace(/^-|-$/g, '')
      .slice(0, 40) || 'reader'
  );
}

function ownerGone(): KryptonError {
  return new KryptonError(
    'TRANSPORT_CLOSED',
    'The page closed its connection while opening the reader',
    'Connect again, then open the reader',
    {
      step: 'open',
    },
  );
}

function sessionId(): string {
  return Buffer.from(crypto.getRandomValues(new Uint8Array(18))).toString('base64url');
}
