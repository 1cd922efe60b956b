import type { ApduTransport, ImsiSource, TransmitOptions } from '../apdu/transport.ts';
import { exchange, isNormalEnding, responseApdu, transportFailure, type ResponseApdu } from '../apdu/index.ts';
import { toHex, wipe, type Bytes } from '../bytes/index.ts';
import { KryptonError } from '../errors/index.ts';
import type { Tracer } from '../trace/index.ts';
import { parseAuthenticateResponse, type AuthenticateResult } from './authenticate-response.ts';
import {
  cardError,
  codeWrong,
  lastTry,
  macFailure,
  noUsim,
  pinBlocked,
  pinDisabled,
  pinRequired,
  pukBlocked,
  sessionBusy,
} from './card-errors.ts';
import { decodeEfIccid, EF_ICCID_LENGTH } from './ef-iccid.ts';
import { decodeImsi, EF_IMSI_LENGTH } from './ef-imsi.ts';
import { isUsimAid, parseEfDirRecord, USIM_AID_PREFIX } from './ef-dir.ts';
import { parseFcp, type Fcp } from './fcp.ts';
import { malformed } from './malformed.ts';
import { encodePinBlock } from './pin-block.ts';
import { SelectionMemory, type KnownDf } from './selection-memory.ts';
import { aidOfPath, cardKeyOfIccid, defaultCardPaths, samePath, type CardPath, type CardPathMemory } from './card-path-memory.ts';
import {
  authenticateCommand,
  changePinCommand,
  disablePinCommand,
  enablePinCommand,
  KEY_PIN1,
  readBinary,
  readBinaryBySfi,
  readRecord,
  selectByAid,
  selectByFid,
  selectByPathFromMf,
  unblockPinCommand,
  unblockStatus,
  verifyPinCommand,
  verifyStatus,
  type SelectAnswer,
} from './usim-commands.ts';

/** Options of a USIM session. */
export interface UsimOptions {
  /** Receives one redacted event per physical APDU, attributed to the tracer's current step. */
  tracer?: Tracer;
  /** Reads the IMSI without APDUs (a modem's `AT+CIMI`); used by `readImsi()` when given. */
  imsiSource?: ImsiSource;
  /** The AID that selected the USIM on this card last time (`usimAid`, persisted by ICCID). */
  usimAid?: Uint8Array;
  /** Answers `readIccid()` and `pinState()` without APDUs when it can (a modem's `AT^ICCID?`, `AT+CPIN?`). */
  simInfoSource?: SimInfoSource;
  /**
   * Who the card is, as the caller or link knows it (`cardKeyOfIccid`, `cardKeyOfAtr`): the session then
   * starts from the path that worked on this card last time and writes back what it learns.
   */
  cardKey?: string;
  /**
   * Where card paths are kept. Defaults to the process-wide `defaultCardPaths` when `cardKey` is given.
   * When given without `cardKey`, the session keys the card by the ICCID once `readIccid` has read it.
   */
  cardPaths?: CardPathMemory;
}

/**
 * What a link can tell about its SIM without APDUs (a modem's own AT commands). A method that resolves
 * undefined, or is absent, leaves the question to the card; one that rejects fails the call as a link failure.
 */
export interface SimInfoSource {
  readIccid?(options?: TransmitOptions): Promise<string | undefined>;
  pinState?(options?: TransmitOptions): Promise<PinState | undefined>;
}

/** Per-call options. */
export interface UsimCallOptions {
  signal?: AbortSignal;
}

/** Options of `verifyPin` and `unblockPin`. */
export interface VerifyPinOptions extends UsimCallOptions {
  /** Spend the last try when only one is left (refused with PIN_LAST_TRY otherwise). */
  allowLastTry?: boolean;
}

/** Options of `setPinEnabled` and `changePin`: the same last-try rule as `verifyPin`. */
export type SetPinEnabledOptions = VerifyPinOptions;

/** PIN1 as the card reports it (TS 102 221 §11.1.9.1.2, PS_DO of the FCP §9.5.2). */
export interface PinState {
  /** Whether PIN1 must be verified before AUTHENTICATE and EF_IMSI. */
  enabled: boolean;
  /** Whether PIN1 has been verified since the card was reset. */
  verified: boolean;
  /** PIN tries left; undefined when the card does not say (a verified or disabled PIN answers `9000`). */
  triesLeft: number | undefined;
  /** PUK tries left, read when the PIN is blocked. */
  pukTriesLeft?: number;
}

/** File identifiers and SFIs (TS 102 221 §13, TS 31.102 §4.2.2). */
const MF = 0x3f00;
const EF_DIR = 0x2f00;
const IMSI = { fid: 0x6f07, sfi: 0x07, length: EF_IMSI_LENGTH, what: 'reading the IMSI' } as const;
const ICCID = { fid: 0x2fe2, sfi: 0x02, length: EF_ICCID_LENGTH, what: 'reading the ICCID' } as const;
type EfRef = typeof IMSI | typeof ICCID;

/** Answers to a READ BINARY by SFI that mean "this card does not do SFI here" (or: the DF is not what we thought). */
const SFI_REFUSED = new Set([0x6a82, 0x6981, 0x6986, 0x6a86, 0x6b00, 0x6a81]);
/** Answers to a SELECT with P2=0C that mean "this card wants the FCP returned". */
const NO_DATA_REFUSED = new Set([0x6a86, 0x6b00]);
/** Answers to AUTHENTICATE that mean "no active USIM": the remembered selection was stale. */
const NOT_ACTIVE = new Set([0x6985, 0x6a82]);
/** Answers to a SELECT of the USIM that mean "this is no UICC at all". */
const NOT_A_UICC = new Set([0x6e00, 0x6d00]);
/** Highest record number READ RECORD can address (TS 102 221 §11.1.5: P1 FF is RFU). */
const MAX_RECORD = 254;

interface Call {
  readonly signal: AbortSignal | undefined;
}

interface SendOptions {
  /** The answer holds secrets (AUTHENTICATE). */
  secret?: boolean;
  /** The response data will not be read: no GET RESPONSE for it. */
  skipData?: boolean;
}

/**
 * The USIM commands Krypton needs, over any APDU transport, with the fewest APDUs: the USIM is selected
 * by its registered AID prefix without FCP (EF_DIR only when that fails), EF_IMSI is read by SFI,
 * nothing already selected is selected again, and T=0 answers are followed once for every link. A card
 * that refuses a shortcut costs the refused command once: what worked is remembered per card
 * (`cardKey`, `cardPaths`, decision 0014) and the next session goes straight.
 * One operation at a time per session; it never logs, and its errors and traces hold no secrets.
 */
export class Usim {
  private readonly sel = new SelectionMemory();
  private readonly tracer: Tracer | undefined;
  private readonly imsiSource: ImsiSource | undefined;
  private readonly infoSource: SimInfoSource | undefined;
  private aid: Bytes | undefined;
  /** Whether READ BINARY by SFI works on this card (unknown until tried). */
  private sfiReads: boolean | undefined;
  /** Whether SELECT with P2=0C (no data) works on this card (unknown until tried). */
  private noDataSelect: boolean | undefined;
  private busy = false;
  private readonly paths: CardPathMemory | undefined;
  private cardKey: string | undefined;
  /** Whether the path of `cardKey` was looked up (once per key). */
  private recalled = false;
  /** The path as the store holds it, so that only a change is written back. */
  private stored: CardPath | undefined;
  /** Commands sent so far; tells whether anything went to the card since the last PIN status. */
  private sent = 0;
  /**
   * PIN tries left as the last refused presentation said (`63Cx`), undefined after a right one. A
   * verified or disabled PIN answers its status with `9000`, which does not tell the tries: this does.
   */
  private pinTriesSeen: number | undefined;
  /** The last VERIFY-without-data answer and the command count right after it. */
  private pinStatusSeen: { readonly sw: number; readonly at: number } | undefined;

  constructor(
    private readonly transport: ApduTransport,
    options: UsimOptions = {},
  ) {
    this.tracer = options.tracer;
    this.imsiSource = options.imsiSource;
    this.infoSource = options.simInfoSource;
    this.cardKey = options.cardKey;
    this.paths = options.cardPaths ?? (options.cardKey === undefined ? undefined : defaultCardPaths);
    if (options.usimAid !== undefined) {
      if (options.usimAid.length < 1 || options.usimAid.length > 16) {
        throw new KryptonError(
          'BAD_INPUT',
          `A remembered USIM AID has 1 to 16 bytes, not ${options.usimAid.length}.`,
          'Forget the remembered AID for this SIM; it will be read again from the card.',
        );
      }
      this.aid = new Uint8Array(options.usimAid);
    }
  }

  /**
   * The AID this session selects the USIM with: the full AID once learned (EF_DIR or FCP), otherwise the
   * registered prefix `A0000000871002` when the card accepted it. Persist it by ICCID and pass it back
   * as `usimAid` next time.
   */
  get usimAid(): Bytes | undefined {
    return this.aid?.slice();
  }

  /** Forgets what is selected on the card; call it after a card reset or a transport reconnect. */
  forgetSelection(): void {
    this.sel.forget();
    this.pinStatusSeen = undefined;
  }

  /** What this session knows works on the card: what it recalled for its card key plus what it learned. */
  get cardPath(): CardPath {
    return {
      ...(this.aid === undefined ? {} : { usimAid: toHex(this.aid) }),
      ...(this.noDataSelect === undefined ? {} : { selectWithoutData: this.noDataSelect }),
      ...(this.sfiReads === undefined ? {} : { readBySfi: this.sfiReads }),
    };
  }

  /** Reads the IMSI: from the ImsiSource when given, else EF_IMSI of the USIM (TS 31.102 §4.2.2). */
  readImsi(options: UsimCallOptions = {}): Promise<string> {
    return this.op(options, async (call) => {
      if (this.imsiSource) return this.imsiFromSource(this.imsiSource, call);
      const r = await this.readEf('usim', IMSI, call);
      if (isNormalEnding(r.sw)) return decodeImsi(r.data);
      if (r.sw === 0x6982) throw await this.pinNeeded(call);
      throw cardError(r.sw, IMSI.what);
    });
  }

  /** Reads the ICCID from EF_ICCID under the MF (TS 102 221 §13.2). */
  readIccid(options: UsimCallOptions = {}): Promise<string> {
    return this.op(options, async (call) => {
      let iccid = await this.askInfoSource((s, o) => s.readIccid?.(o), call);
      if (iccid === undefined) {
        const r = await this.readEf('mf', ICCID, call);
        if (!isNormalEnding(r.sw)) throw cardError(r.sw, ICCID.what);
        iccid = decodeEfIccid(r.data);
      }
      // A session given a store but no key learns the key here; the rest of the session goes straight.
      if (this.cardKey === undefined && this.paths !== undefined) {
        this.cardKey = cardKeyOfIccid(iccid);
        this.recalled = false;
        await this.recallPath();
      }
      return iccid;
    });
  }

  /**
   * PIN1's state: VERIFY without data (TS 102 221 §11.1.9.1.2) gives `63Cx` (enabled, x tries left) or
   * `9000` (verified or disabled), and then the PS_DO of the USIM's FCP tells which (§9.5.2).
   */
  pinState(options: UsimCallOptions = {}): Promise<PinState> {
    return this.op(options, async (call) => {
      const known = await this.askInfoSource((s, o) => s.pinState?.(o), call);
      if (known !== undefined) return known;
      const r = await this.pinStatus(call);
      if (r.sw === 0x9000) {
        const fcp = await this.selectUsim(call, 'fcp');
        const pin1 = fcp?.pinStatus?.find((e) => e.keyReference === KEY_PIN1);
        // A card that lists no PS_DO for PIN1 is taken as having it disabled: 9000 says no PIN is needed.
        const enabled = pin1?.enabled ?? false;
        return { enabled, verified: enabled, triesLeft: undefined };
      }
      const tries = triesOf(r.sw);
      if (tries !== undefined && tries > 0) return { enabled: true, verified: false, triesLeft: tries };
      if (tries === 0 || r.sw === 0x6983) return { enabled: true, verified: false, triesLeft: 0, ...(await this.pukTries(call)) };
      throw cardError(r.sw, 'the PIN status request');
    });
  }

  /**
   * Verifies PIN1 (TS 102 221 §11.1.9). Checks the tries left first and refuses with PIN_LAST_TRY when one
   * is left unless `allowLastTry`; sends nothing when the PIN is already verified or disabled.
   */
  verifyPin(pin: string, options: VerifyPinOptions = {}): Promise<void> {
    return this.op(options, async (call) => {
      const block = encodePinBlock(pin, 'PIN');
      try {
        const status = await this.pinStatus(call);
        if (status.sw === 0x9000) return;
        const before = triesOf(status.sw);
        if (before === 0 || status.sw === 0x6983) throw pinBlocked((await this.pukTries(call)).pukTriesLeft, status.sw);
        if (before === undefined) throw cardError(status.sw, 'the PIN status request');
        if (before === 1 && options.allowLastTry !== true) throw lastTry('PIN');
        const apdu = verifyPinCommand(block);
        let r: ResponseApdu;
        try {
          r = await this.send(apdu, call);
        } finally {
          wipe(apdu);
        }
        this.notePinAnswer(r.sw);
        if (r.sw === 0x9000) return;
        const left = triesOf(r.sw);
        if (left === 0 || r.sw === 0x6983) throw pinBlocked((await this.pukTries(call)).pukTriesLeft, r.sw);
        if (left !== undefined) throw codeWrong('PIN', left, r.sw);
        throw cardError(r.sw, 'the PIN');
      } finally {
        wipe(block);
      }
    });
  }

  /**
   * Unblocks PIN1 with the PUK and sets a new PIN (TS 102 221 §11.1.13). Checks the PUK tries left first,
   * with the same last-try rule as `verifyPin`.
   */
  unblockPin(puk: string, newPin: string, options: VerifyPinOptions = {}): Promise<void> {
    return this.op(options, async (call) => {
      const pukBlock = encodePinBlock(puk, 'PUK');
      const pinBlock = encodePinBlock(newPin, 'PIN');
      try {
        const status = await this.send(unblockStatus(), call);
        const before = triesOf(status.sw);
        if (before === 0 || status.sw === 0x6983) throw pukBlocked(status.sw);
        if (before === undefined) throw cardError(status.sw, 'the PUK status request');
        if (before === 1 && options.allowLastTry !== true) throw lastTry('PUK');
        const apdu = unblockPinCommand(pukBlock, pinBlock);
        let r: ResponseApdu;
        try {
          r = await this.send(apdu, call);
        } finally {
          wipe(apdu);
        }
        if (r.sw === 0x9000) {
          this.pinTriesSeen = undefined;
          return;
        }
        const left = triesOf(r.sw);
        if (left === 0 || r.sw === 0x6983) throw pukBlocked(r.sw);
        if (left !== undefined) throw codeWrong('PUK', left, r.sw);
        throw cardError(r.sw, 'the PUK');
      } finally {
        wipe(pukBlock);
        wipe(pinBlock);
      }
    });
  }

  /**
   * Changes PIN1 (TS 102 221 §11.1.10): the old PIN and the new one in one command. Needs the PIN enabled
   * (PIN_DISABLED otherwise, nothing sent); the same last-try rule as `verifyPin`. A right old PIN leaves
   * the PIN verified.
   */
  changePin(oldPin: string, newPin: string, options: SetPinEnabledOptions = {}): Promise<void> {
    return this.op(options, async (call) => {
      const oldBlock = encodePinBlock(oldPin, 'PIN');
      const newBlock = encodePinBlock(newPin, 'PIN');
      try {
        const { enabled, tries } = await this.presentable(call);
        if (!enabled) throw pinDisabled();
        if (tries === 1 && options.allowLastTry !== true) throw lastTry('PIN');
        await this.present(changePinCommand(oldBlock, newBlock), call, 'the PIN change');
      } finally {
        wipe(oldBlock);
        wipe(newBlock);
      }
    });
  }

  /**
   * Enables or disables PIN1 with its current code (TS 102 221 §11.1.12 ENABLE, §11.1.11 DISABLE). Sends
   * nothing when the PIN is already as asked; the same last-try rule as `verifyPin`.
   */
  setPinEnabled(enabled: boolean, pin: string, options: SetPinEnabledOptions = {}): Promise<void> {
    return this.op(options, async (call) => {
      const block = encodePinBlock(pin, 'PIN');
      try {
        const state = await this.presentable(call);
        if (state.enabled === enabled) return;
        if (state.tries === 1 && options.allowLastTry !== true) throw lastTry('PIN');
        await this.present(
          enabled ? enablePinCommand(block) : disablePinCommand(block),
          call,
          enabled ? 'enabling the PIN' : 'disabling the PIN',
        );
      } finally {
        wipe(block);
      }
    });
  }

  /**
   * AUTHENTICATE in 3G context (TS 31.102 §7.1.2): success with RES, CK, IK (and Kc when the card gives
   * it), or a synchronisation failure with AUTS. `9862` is MAC_FAILURE, `6982` PIN_REQUIRED.
   * The answer is traced as redacted; its buffers are overwritten once parsed.
   */
  authenticate(rand: Uint8Array, autn: Uint8Array, options: UsimCallOptions = {}): Promise<AuthenticateResult> {
    return this.op(options, async (call) => {
      const apdu = authenticateCommand(rand, autn);
      for (let attempt = 0; ; attempt++) {
        const fresh = await this.ensureUsimActive(call);
        const r = await this.send(apdu, call, { secret: true });
        try {
          if (isNormalEnding(r.sw)) return parseAuthenticateResponse(r.data);
          // The USIM we remembered as active was not (the card was reset): select it and ask once more.
          // The card refused the command without running AKA, so the challenge is not spent.
          if (!fresh && attempt === 0 && NOT_ACTIVE.has(r.sw)) {
            this.sel.forget();
            continue;
          }
          if (r.sw === 0x9862) throw macFailure();
          if (r.sw === 0x6982) throw await this.pinNeeded(call);
          throw cardError(r.sw, 'the authentication challenge');
        } finally {
          wipe(r.data);
        }
      }
    });
  }

  // ---- Selection ----

  // Runs one operation at a time: interleaved operations would break the remembered selection. Being
  // async, it turns validation errors thrown inside fn into rejections, never synchronous throws.
  private async op<T>(options: UsimCallOptions, fn: (call: Call) => Promise<T>): Promise<T> {
    if (this.busy) throw sessionBusy();
    this.busy = true;
    try {
      await this.recallPath();
      return await fn({ signal: options.signal });
    } finally {
      await this.rememberPath();
      this.busy = false;
    }
  }

  // Starts from what worked on this card before, for what this session has not learned itself.
  // The store is an optimisation: if it fails, the session takes the shortcuts and falls back as usual.
  private async recallPath(): Promise<void> {
    if (this.recalled || this.cardKey === undefined || this.paths === undefined) return;
    this.recalled = true;
    let path: CardPath | undefined;
    try {
      path = await this.paths.recall(this.cardKey);
    } catch {
      return;
    }
    if (typeof path !== 'object' || path === null) return;
    this.stored = path;
    this.aid ??= aidOfPath(path);
    if (typeof path.selectWithoutData === 'boolean') this.noDataSelect ??= path.selectWithoutData;
    if (typeof path.readBySfi === 'boolean') this.sfiReads ??= path.readBySfi;
  }

  // Writes back what the card taught this session, when it differs from what the store holds.
  private async rememberPath(): Promise<void> {
    if (this.cardKey === undefined || this.paths === undefined) return;
    const path = this.cardPath;
    if (Object.keys(path).length === 0 || samePath(this.stored, path)) return;
    this.stored = path;
    try {
      await this.paths.remember(this.cardKey, path);
    } catch {
      // Not remembered: the next session finds its way again, one refused command at most per shortcut.
    }
  }

  // VERIFY without data (TS 102 221 §11.1.9.1.2), unless it was the very last command sent: nothing
  // can have changed the PIN's state since, so asking again would only cost an APDU.
  private async pinStatus(call: Call): Promise<ResponseApdu> {
    const seen = this.pinStatusSeen;
    if (seen !== undefined && seen.at === this.sent) return responseApdu(new Uint8Array(0), seen.sw);
    const r = await this.send(verifyStatus(), call);
    this.pinStatusSeen = { sw: r.sw, at: this.sent };
    return r;
  }

  private async send(apdu: Bytes, call: Call, options: SendOptions = {}): Promise<ResponseApdu> {
    let r: ResponseApdu;
    this.sent += 1;
    try {
      r = await exchange(this.transport, apdu, {
        secretResponse: options.secret === true,
        ...(options.skipData === true ? { skipResponseData: true } : {}),
        ...(this.tracer ? { tracer: this.tracer } : {}),
        ...(call.signal ? { signal: call.signal } : {}),
      });
    } catch (e) {
      // The link failed or was reset: whatever was selected may be gone.
      this.forgetSelection();
      throw e;
    }
    // 6F00 is what a reset or powered-down card answers (TS 102 221 §12.1.1.1): trust nothing remembered.
    if (r.sw === 0x6f00) this.forgetSelection();
    return r;
  }

  // Makes the USIM the active application; true when it was selected by this call.
  private async ensureUsimActive(call: Call): Promise<boolean> {
    if (this.sel.usimActive) return false;
    await this.selectUsim(call, 'none');
    return true;
  }

  // Makes a DF current; true when it was selected by this call.
  private async enter(df: KnownDf, call: Call): Promise<boolean> {
    if (this.sel.df === df) return false;
    if (df === 'usim') await this.selectUsim(call, 'none');
    else await this.selectMf(call);
    return true;
  }

  private async selectMf(call: Call): Promise<void> {
    const r = await this.select(selectByFid, MF, 'none', call);
    if (!isNormalEnding(r.sw)) throw cardError(r.sw, 'the selection of the master file');
    this.sel.enteredMf();
  }

  /**
   * Selects the USIM by the AID it is known by (the registered prefix at first, TS 102 221 §8.5.2 allows a
   * right-truncated AID), falling back to the full AID listed in EF_DIR when the card refuses it.
   */
  private async selectUsim(call: Call, answer: SelectAnswer): Promise<Fcp | undefined> {
    const aid = this.aid ?? USIM_AID_PREFIX;
    const r = await this.select(selectByAid, aid, answer, call);
    if (isNormalEnding(r.sw)) return this.usimSelected(aid, r);
    if (NOT_A_UICC.has(r.sw)) throw noUsim('it answers as a 2G SIM or another kind of card', r.sw);
    if (r.sw === 0x6f00) throw cardError(r.sw, 'the selection of the USIM application');
    return this.selectUsimFromEfDir(call, answer);
  }

  // EF_DIR (TS 102 221 §13.1) lists the applications with their full AIDs; pick the first USIM.
  private async selectUsimFromEfDir(call: Call, answer: SelectAnswer): Promise<Fcp | undefined> {
    // SELECT by path from the MF (§8.4.2) reaches EF_DIR from wherever the card is, in one command; a
    // card that refuses it gets the MF and then EF_DIR by file identifier.
    let dir = await this.send(this.sel.df === 'mf' ? selectByFid(EF_DIR, 'fcp') : selectByPathFromMf([EF_DIR], 'fcp'), call);
    if (!isNormalEnding(dir.sw) && this.sel.df !== 'mf') {
      await this.selectMf(call);
      dir = await this.send(selectByFid(EF_DIR, 'fcp'), call);
    }
    if (!isNormalEnding(dir.sw)) throw noUsim('it has no application directory (EF_DIR)', dir.sw);
    this.sel.enteredMf();
    this.sel.selectedEf(EF_DIR);
    const descriptor = dir.data.length > 0 ? parseFcp(dir.data).descriptor : undefined;
    // Without a record length, Le=00 asks for the whole record (a T=0 card answers 6Cxx with the length).
    const le =
      descriptor?.recordLength !== undefined && descriptor.recordLength >= 1 && descriptor.recordLength <= 256
        ? descriptor.recordLength
        : 256;
    const count = Math.min(descriptor?.recordCount ?? MAX_RECORD, MAX_RECORD);
    let found: Bytes | undefined;
    for (let n = 1; n <= count && found === undefined; n++) {
      const rec = await this.send(readRecord(n, le), call);
      if (rec.sw === 0x6a83) break;
      if (!isNormalEnding(rec.sw)) throw cardError(rec.sw, 'reading the application directory');
      found = usimAidIn(rec.data);
    }
    if (found === undefined) throw noUsim('its application directory lists no USIM');
    const r = await this.select(selectByAid, found, answer, call);
    if (!isNormalEnding(r.sw)) throw noUsim('the USIM listed in its directory cannot be selected', r.sw);
    return this.usimSelected(found, r);
  }

  private usimSelected(aid: Bytes, r: ResponseApdu): Fcp | undefined {
    this.sel.enteredUsim();
    const fcp = r.data.length > 0 ? parseFcp(r.data) : undefined;
    // Prefer the full AID when the card told it (DF name in the FCP); otherwise remember what worked.
    this.aid = fcp?.dfName !== undefined && isUsimAid(fcp.dfName) ? fcp.dfName : aid;
    return fcp;
  }

  // SELECT with P2=0C when no data is wanted, or 04 for cards that refuse 0C (remembered per card).
  private async select<T>(
    build: (target: T, answer: SelectAnswer) => Bytes,
    target: T,
    answer: SelectAnswer,
    call: Call,
  ): Promise<ResponseApdu> {
    const mode: SelectAnswer = answer === 'none' && this.noDataSelect === false ? 'fcp' : answer;
    // An FCP asked for only because the card insists is not fetched: its 61xx already says "selected".
    const skipData = answer === 'none';
    const r = await this.send(build(target, mode), call, { skipData });
    if (mode === 'none' && NO_DATA_REFUSED.has(r.sw)) {
      this.noDataSelect = false;
      return this.send(build(target, 'fcp'), call, { skipData });
    }
    if (mode === 'none' && isNormalEnding(r.sw)) this.noDataSelect = true;
    return r;
  }

  // ---- Reading ----

  /**
   * Reads a transparent EF of the MF or the USIM: READ BINARY by SFI (TS 102 221 §11.1.3.2) in one APDU,
   * else SELECT by file identifier and READ BINARY. When the DF was only remembered and the card does
   * not find the file, the memory was stale: select again and retry once.
   */
  private async readEf(df: KnownDf, ef: EfRef, call: Call): Promise<ResponseApdu> {
    const fresh = await this.enter(df, call);
    const r = await this.readIn(ef, fresh, call);
    if (fresh || r.sw !== 0x6a82) return r;
    this.sel.forget();
    await this.enter(df, call);
    return this.readIn(ef, true, call);
  }

  private async readIn(ef: EfRef, fresh: boolean, call: Call): Promise<ResponseApdu> {
    if (this.sfiReads !== false) {
      const r = await this.send(readBinaryBySfi(ef.sfi, ef.length), call);
      if (isNormalEnding(r.sw)) {
        this.sfiReads = true;
        this.sel.selectedEf(ef.fid);
        return r;
      }
      // 6A82 on a DF only remembered may mean the card was reset (readEf selects again and retries);
      // any other refusal, or 6A82 in a DF selected just now, says the card does not read by SFI.
      if (!SFI_REFUSED.has(r.sw) || (!fresh && r.sw === 0x6a82)) return r;
      this.sfiReads = false;
    }
    if (this.sel.ef !== ef.fid) {
      const s = await this.select(selectByFid, ef.fid, 'none', call);
      if (!isNormalEnding(s.sw)) return s;
      this.sel.selectedEf(ef.fid);
    }
    return this.send(readBinary(0, ef.length), call);
  }

  // ---- PIN helpers ----

  // Whether PIN1 is enabled and how many tries it has, before a command that presents it; PIN_BLOCKED
  // when it has none. `63Cx` says both; `9000` (verified or disabled) needs the USIM's PS_DO for the
  // first and this session's memory of refused presentations for the second (none: the count is full).
  private async presentable(call: Call): Promise<{ enabled: boolean; tries: number | undefined }> {
    const status = await this.pinStatus(call);
    const tries = triesOf(status.sw);
    if (tries === 0 || status.sw === 0x6983) throw pinBlocked((await this.pukTries(call)).pukTriesLeft, status.sw);
    if (tries !== undefined) return { enabled: true, tries };
    if (status.sw !== 0x9000) throw cardError(status.sw, 'the PIN status request');
    const fcp = await this.selectUsim(call, 'fcp');
    const pin1 = fcp?.pinStatus?.find((e) => e.keyReference === KEY_PIN1);
    return { enabled: pin1?.enabled ?? false, tries: this.pinTriesSeen };
  }

  // Sends a command that presents PIN1 (CHANGE, DISABLE, ENABLE) and turns its answer into the typed errors.
  private async present(apdu: Bytes, call: Call, what: string): Promise<void> {
    let r: ResponseApdu;
    try {
      r = await this.send(apdu, call);
    } finally {
      wipe(apdu);
    }
    this.notePinAnswer(r.sw);
    if (r.sw === 0x9000) return;
    const left = triesOf(r.sw);
    if (left === 0 || r.sw === 0x6983) throw pinBlocked((await this.pukTries(call)).pukTriesLeft, r.sw);
    if (left !== undefined) throw codeWrong('PIN', left, r.sw);
    throw cardError(r.sw, what);
  }

  // What an answer to a PIN presentation says about the tries: a right PIN refills them, `63Cx` counts them.
  private notePinAnswer(sw: number): void {
    if (sw === 0x9000) this.pinTriesSeen = undefined;
    else if (triesOf(sw) !== undefined) this.pinTriesSeen = triesOf(sw);
  }

  // What a `6982` means for the person: the PIN is needed (with its tries), or it is blocked.
  private async pinNeeded(call: Call): Promise<Error> {
    const r = await this.pinStatus(call);
    const tries = triesOf(r.sw);
    if (tries === 0 || r.sw === 0x6983) return pinBlocked((await this.pukTries(call)).pukTriesLeft, r.sw);
    return pinRequired(tries);
  }

  private async pukTries(call: Call): Promise<{ pukTriesLeft?: number }> {
    const r = await this.send(unblockStatus(), call);
    const tries = triesOf(r.sw);
    if (tries !== undefined) return { pukTriesLeft: tries };
    return r.sw === 0x6983 ? { pukTriesLeft: 0 } : {};
  }

  private async askInfoSource<T>(
    ask: (source: SimInfoSource, options: TransmitOptions | undefined) => Promise<T | undefined> | undefined,
    call: Call,
  ): Promise<T | undefined> {
    if (!this.infoSource) return undefined;
    try {
      return await ask(this.infoSource, call.signal ? { signal: call.signal } : undefined);
    } catch (e) {
      throw transportFailure(e);
    }
  }

  private async imsiFromSource(source: ImsiSource, call: Call): Promise<string> {
    let imsi: string;
    try {
      imsi = await source.readImsi(call.signal ? { signal: call.signal } : undefined);
    } catch (e) {
      throw transportFailure(e);
    }
    if (typeof imsi !== 'string' || !/^[0-9]{6,15}$/.test(imsi)) throw malformed('the modem reported an IMSI that is not 6 to 15 digits');
    return imsi;
  }
}

// `63Cx`: x tries left (TS 102 221 §11.1.9.1.1); undefined for any other status word.
function triesOf(sw: number): number | undefined {
  return (sw & 0xfff0) === 0x63c0 ? sw & 0x0f : undefined;
}

// The USIM AID in one EF_DIR record; records that cannot be parsed are skipped, not fatal.
function usimAidIn(record: Uint8Array): Bytes | undefined {
  try {
    const template = parseEfDirRecord(record);
    return template !== undefined && isUsimAid(template.aid) ? template.aid : undefined;
  } catch {
    return undefined;
  }
}
