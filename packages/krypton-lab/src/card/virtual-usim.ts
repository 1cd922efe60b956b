import { cardKeys, type StoredPinState, type SimProfile } from '../profiles/index.ts';
import { Milenage } from '../milenage/index.ts';
import { parseCommandApdu, caseTwoLe, type CommandApdu } from './apdu.ts';
import { usimAtr } from './atr.ts';
import { authenticate, type AuthenticationState } from './authenticate.ts';
import type { CardSession } from './card-session.ts';
import { checkClassAndInstruction } from './command-class.ts';
import { readBinary, readRecord, select, status } from './file-commands.ts';
import { INS } from './instructions.ts';
import { pinCommand } from './pin-commands.ts';
import { PinCounter } from './pin.ts';
import { reply, type Reply } from './reply.ts';
import { initialSelection } from './selection.ts';
import { SqnFreshness, sqnFromBytes, sqnToBytes, type SqnState } from './sqn-freshness.ts';
import { SW } from './status-words.ts';
import { getResponse } from './t0-response.ts';
import { buildUsimFileTree, type UsimFileTree } from './usim-file-tree.ts';
import type { VirtualCard } from './virtual-card.ts';

/** One processed APDU, as the trace hook sees it. */
export interface ApduExchange {
  /** 1 for the first APDU the card processed, counting across power cycles. */
  readonly index: number;
  readonly command: Uint8Array;
  readonly response: Uint8Array;
}

/** The state a USIM keeps across power cycles, in a JSON-friendly form (to save and restore a lab SIM). */
export interface UsimPersistentState {
  pin1: StoredPinState;
  pin2: StoredPinState;
  sqn: SqnState;
}

/** Options of a virtual USIM. */
export interface VirtualUsimOptions {
  /**
   * T=0 conventions (default true): SELECT with FCP and AUTHENTICATE answer `61xx` and hand their data
   * out through GET RESPONSE; a wrong Le is answered `6Cxx`. With false the card answers at APDU level
   * (data then `9000` directly), as a T=1 card behind a reader would. Defaults to false for a profile
   * with the `t1-direct` quirk.
   */
  t0Responses?: boolean;
  /** Called after every APDU with the command and the response; exceptions it throws are ignored. */
  onApdu?: (exchange: ApduExchange) => void;
  /** MNC length for EF_AD; guessed from the IMSI's MCC when absent. */
  mncLength?: 2 | 3;
  /** PIN2 and its PUK (the profile has none): enabled, code 0000, PUK 00000000 by default. */
  pin2?: StoredPinState;
  /** Persistent state saved with `exportState()`, replacing the profile's PIN1, PIN2 and SQN. */
  state?: UsimPersistentState;
}

/** Bytes per GET RESPONSE on a `chained-61xx` card: small enough that FCPs and AUTHENTICATE answers chain. */
const CHAINED_CHUNK = 16;

const DEFAULT_PIN2: StoredPinState = { enabled: true, code: '0000', retries: 3, puk: '00000000', pukRetries: 10 };

/**
 * A USIM in memory answering APDUs as a T=0 UICC does (TS 102 221, TS 31.102): MF with EF_DIR and
 * EF_ICCID, ADF USIM with EF_IMSI, EF_AD and EF_MSISDN, PIN1/PIN2 management and Milenage AUTHENTICATE
 * with the SQN array of TS 33.102 Annex C. `transmit` never throws: every input gets a response APDU.
 */
export class VirtualUsim implements VirtualCard {
  private readonly session: CardSession;
  private powered = true;
  private pending: Uint8Array | undefined;
  private processed = 0;
  private queue: Promise<unknown> = Promise.resolve();

  private constructor(
    private readonly profile: SimProfile,
    tree: UsimFileTree,
    private readonly auth: AuthenticationState,
    pin1: PinCounter,
    pin2: PinCounter,
    private readonly options: VirtualUsimOptions,
  ) {
    const quirks = new Set(profile.quirks ?? []);
    this.session = { tree, selection: initialSelection(tree), pin1, pin2, t0: options.t0Responses ?? !quirks.has('t1-direct'), quirks };
  }

  /** Builds a powered-on card from a SIM profile (WebCrypto key import makes this asynchronous). */
  static async create(profile: SimProfile, options: VirtualUsimOptions = {}): Promise<VirtualUsim> {
    const keys = cardKeys(profile);
    const milenage = await Milenage.withOpc(keys.k, keys.opc);
    const saved = options.state;
    const sqn = saved ? SqnFreshness.fromState(saved.sqn) : SqnFreshness.fromInitialSqn(sqnFromBytes(keys.sqn));
    // imsi-behind-pin: the profile's PIN1 (code, tries) but enabled, as on a card issued with the PIN on.
    const pin1State = profile.quirks?.includes('imsi-behind-pin') === true ? { ...profile.pin1, enabled: true } : profile.pin1;
    const pin1 = new PinCounter(saved?.pin1 ?? pin1State);
    const pin2 = new PinCounter(saved?.pin2 ?? options.pin2 ?? DEFAULT_PIN2);
    const tree = buildUsimFileTree(profile, {
      ...(options.mncLength === undefined ? {} : { mncLength: options.mncLength }),
      othersInEfDir: profile.quirks?.includes('ef-dir-others-first') === true,
    });
    // A private copy: later changes to the caller's profile object must not leak into the card's views.
    return new VirtualUsim(structuredClone(profile), tree, { milenage, sqn }, pin1, pin2, options);
  }

  /** The ATR: T=0 offered first, T=15 global bytes, TCK (see `atr.ts`). */
  get atr(): Uint8Array {
    return usimAtr();
  }

  /** The profile name this card was built from. */
  get name(): string {
    return this.profile.name;
  }

  /** The IMSI stored in EF_IMSI. */
  get imsi(): string {
    return this.profile.imsi;
  }

  /** The ICCID stored in EF_ICCID. */
  get iccid(): string {
    return this.profile.iccid;
  }

  /** Whether the card is powered (a powered-off card answers `6F00` to every APDU). */
  get isPowered(): boolean {
    return this.powered;
  }

  /** How many APDUs `transmit` has processed since the card was created. */
  get apduCount(): number {
    return this.processed;
  }

  /** PIN1 attempts left (0 = blocked). */
  get pin1TriesLeft(): number {
    return this.session.pin1.triesLeft;
  }

  /** Whether PIN1 is enabled. */
  get pin1Enabled(): boolean {
    return this.session.pin1.enabled;
  }

  /** Whether PIN1 has been verified since the last reset (what a modem's `AT+CPIN?` reflects). */
  get pin1Verified(): boolean {
    return this.session.pin1.verified;
  }

  /** PUK1 attempts left (0 = PIN1 can no longer be unblocked). */
  get puk1TriesLeft(): number {
    return this.session.pin1.pukTriesLeft;
  }

  /** The highest accepted SQN, SQN_MS = SEQ ‖ IND (6 bytes), which AUTS would carry. */
  get highestSqn(): Uint8Array {
    return sqnToBytes(this.auth.sqn.highestSqn);
  }

  /** SEQ_MS for IND 0..31 (TS 33.102 Annex C.3.2). */
  get seqArray(): number[] {
    return this.auth.sqn.seqArray;
  }

  /** The persistent state (PINs, SQN array), to restore later with the `state` option. */
  exportState(): UsimPersistentState {
    return { pin1: this.session.pin1.snapshot(), pin2: this.session.pin2.snapshot(), sqn: this.auth.sqn.snapshot() };
  }

  /** Cold reset: powers the card, clears selection, pending data and PIN verification; returns the ATR. */
  powerOn(): Uint8Array {
    this.clearVolatileState();
    this.powered = true;
    return this.atr;
  }

  /** Removes power: volatile state is lost, PIN counters and the SQN array stay. */
  powerOff(): void {
    this.clearVolatileState();
    this.powered = false;
  }

  /** Warm reset: the same volatile state is cleared as on power-on. */
  reset(): Uint8Array {
    return this.powerOn();
  }

  /**
   * Processes one command APDU. APDUs are handled one at a time in arrival order, as on a card; the
   * input is copied at once, so the caller may reuse its buffer. Never rejects.
   */
  transmit(apdu: Uint8Array): Promise<Uint8Array> {
    // new Uint8Array(view) copies, also for a Node Buffer (whose slice() would share memory).
    const command = apdu instanceof Uint8Array ? new Uint8Array(apdu) : new Uint8Array(0);
    const run = this.queue.then(() => this.process(command));
    this.queue = run;
    return run;
  }

  private async process(command: Uint8Array): Promise<Uint8Array> {
    let response: Uint8Array;
    try {
      response = await this.respond(command);
    } catch {
      // A bug must not take the reader down: answer as a card with an internal fault does.
      response = swBytes(SW.NO_PRECISE_DIAGNOSIS);
    }
    this.processed += 1;
    try {
      this.options.onApdu?.({ index: this.processed, command, response: response.slice() });
    } catch {
      // The trace hook is an observer; its failures do not change the card's answer.
    }
    return response;
  }

  private async respond(command: Uint8Array): Promise<Uint8Array> {
    if (!this.powered) return swBytes(SW.NO_PRECISE_DIAGNOSIS);
    const parsed = parseCommandApdu(command);
    const pending = this.pending;
    // Response data waits for GET RESPONSE only until the next command (TS 102 221 §12.1.1.1).
    this.pending = undefined;
    if (!parsed.ok) return swBytes(parsed.sw);
    const apdu = parsed.apdu;
    const rejected = checkClassAndInstruction(apdu.cla, apdu.ins);
    if (rejected !== undefined) return swBytes(rejected);
    if (apdu.ins === INS.GET_RESPONSE) return this.encode(this.getResponse(apdu, pending));
    return this.encode(await this.dispatch(apdu));
  }

  private getResponse(apdu: CommandApdu, pending: Uint8Array | undefined): Reply {
    const le = caseTwoLe(apdu);
    if (apdu.p1 !== 0 || apdu.p2 !== 0) {
      this.pending = pending;
      return reply(SW.WRONG_P1P2);
    }
    if (le === undefined) {
      this.pending = pending;
      return reply(SW.WRONG_LENGTH);
    }
    const result = getResponse(pending, le, this.chunk);
    this.pending = result.pending;
    return result.reply;
  }

  private dispatch(apdu: CommandApdu): Reply | Promise<Reply> {
    switch (apdu.ins) {
      case INS.SELECT:
        return select(apdu, this.session);
      case INS.STATUS:
        return status(apdu, this.session);
      case INS.READ_BINARY:
        return readBinary(apdu, this.session);
      case INS.READ_RECORD:
        return readRecord(apdu, this.session);
      case INS.AUTHENTICATE:
        return authenticate(apdu, this.session, this.auth);
      case INS.VERIFY_PIN:
      case INS.CHANGE_PIN:
      case INS.DISABLE_PIN:
      case INS.ENABLE_PIN:
      case INS.UNBLOCK_PIN:
        return pinCommand(apdu, this.session);
      default:
        return reply(SW.INS_NOT_SUPPORTED);
    }
  }

  // T=0 holds case 4 response data for GET RESPONSE and announces its length with 61xx
  // (TS 102 221 §7.3.1.1.4); at APDU level the data goes out with 9000 at once.
  private encode(answer: Reply): Uint8Array {
    if (answer.outgoing && this.session.t0 && answer.data.length > 0) {
      this.pending = answer.data;
      return swBytes(SW.BYTES_AVAILABLE | (Math.min(answer.data.length, this.chunk) & 0xff));
    }
    const out = new Uint8Array(answer.data.length + 2);
    out.set(answer.data);
    out[answer.data.length] = answer.sw >> 8;
    out[answer.data.length + 1] = answer.sw & 0xff;
    return out;
  }

  // How many bytes one 61xx announces: all of them (256 stands for "no limit"), or 16 on a chaining card.
  private get chunk(): number {
    return this.session.quirks.has('chained-61xx') ? CHAINED_CHUNK : 256;
  }

  private clearVolatileState(): void {
    this.pending = undefined;
    this.session.selection = initialSelection(this.session.tree);
    this.session.pin1.reset();
    this.session.pin2.reset();
  }
}

function swBytes(sw: number): Uint8Array {
  return Uint8Array.of(sw >> 8, sw & 0xff);
}
