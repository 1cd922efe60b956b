import { TransportError, type ImsiSource, type PinState, type SimInfoSource, type TransmitOptions } from '@krypton-web/krypton-core';
import { ExclusiveTransport } from '../exclusive-transport.ts';
import type { SerialChannel } from '../serial-channel.ts';
import { AtEngine, type AtCommandOptions, type AtEngineEvents, type AtEngineOptions, type AtResponse } from './at-engine.ts';
import { AtError, toTransportError, type AtErrorCode } from './at-errors.ts';
import { buildCglaCommand, buildCsimCommand, parseCsimResponse } from './csim.ts';
import { identityLine, parseIccidLine, parseImei, parseImsi, type ModemInfo } from './device-info.ts';
import { parseCops, parseCsq, parseHcsq, parseRegistration, type HcsqSignal, type NetworkRegistration } from './network.ts';
import { simPresenceOfUrc } from './sim-watch.ts';
import { parseCchoSession, parseClck, parseCpin, parseCrsmIccid, parseSetting, pinStateOf } from './sim-info.ts';

/** Options of opening a modem. */
export interface AtModemOptions extends AtEngineOptions {
  /** A name for messages (the channel's by default). */
  name?: string;
  /** Time limit of each `AT` probe (1000 ms): a port that is not the AT port says nothing at all. */
  probeTimeoutMs?: number;
  /** `AT` probes before giving up (3): the first may meet garbage or a half-typed command in the modem. */
  probeAttempts?: number;
  /** Cancels opening. */
  signal?: AbortSignal;
}

/** Answers that mean "the modem does not do this", as opposed to "the link is broken". */
const REFUSALS = new Set<AtErrorCode>(['ERROR', 'CME_ERROR', 'CMS_ERROR', 'NOT_SUPPORTED', 'NO_CARRIER', 'BAD_RESPONSE', 'TIMEOUT']);

function isRefusal(e: unknown): e is AtError {
  return e instanceof AtError && REFUSALS.has(e.code);
}

/**
 * Answers with which the firmware turned a command down as such — `ERROR`, unknown command, `+CME ERROR`
 * 3 (not allowed) or 4 (not supported) — rather than for the SIM's sake (no SIM, PIN required): another
 * form of the command may pass.
 */
function isFlatRefusal(e: unknown): e is AtError {
  if (!(e instanceof AtError)) return false;
  if (e.code === 'ERROR' || e.code === 'NOT_SUPPORTED') return true;
  return e.code === 'CME_ERROR' && (e.cme?.code === 3 || e.cme?.code === 4);
}

/** The USIM's registered AID prefix (TS 101 220 Annex E), opened and selected as TS 102 221 §8.5.2 allows. */
const USIM_AID_PREFIX_HEX = 'A0000000871002';
const USIM_AID_PREFIX = Uint8Array.of(0xa0, 0x00, 0x00, 0x00, 0x87, 0x10, 0x02);

/** What `open` changed on the modem, so that `close` leaves it as found. */
interface Changed {
  /** Echo was on (seen on the `AT` probe) and `ATE0` turned it off. */
  echo: boolean;
  /** The `AT+CMEE` mode read before setting 1. */
  cmee: number | undefined;
  /** `AT^CURC` read 1 before `AT^CURC=0`. */
  curc: boolean;
}

/** Where APDUs go: not decided yet, a logical channel (its session id), or the basic channel through AT+CSIM. */
type ApduPath = { kind: 'unknown' } | { kind: 'channel'; session: number } | { kind: 'basic' };

/**
 * A USB modem reached over AT commands. `open` probes the port and sets it up; then the modem offers
 * an ApduTransport (`transport`: a logical channel for the USIM when the modem offers one, else
 * `AT+CSIM`), the IMSI over `AT+CIMI` (`readImsi`, also when `AT+CSIM` is missing), the ICCID and PIN
 * state by its own commands (`readIccid`, `pinState`), what it knows about itself and the network
 * (`deviceInfo`), and events (`urc`, `disconnect`). Everything goes through one AtEngine, so commands
 * never interleave. Closing puts back every setting `open` changed and closes the logical channel.
 */
export class AtModem implements ImsiSource, SimInfoSource {
  /** The APDU link over `AT+CSIM` (kind `modem`); closing it closes the modem. */
  readonly transport: AtCsimTransport;
  private hcsq: boolean | undefined;
  private changed: Changed = { echo: false, cmee: undefined, curc: false };
  private path: ApduPath = { kind: 'unknown' };
  /** What the modem said about the SIM in the slot, asked once per SIM. */
  private imsi: string | undefined;
  private iccid: string | undefined;
  /** Commands this modem refused, not asked again (`^ICCID`, `+CRSM`, `^CPIN`, `+CLCK`). */
  private readonly refused = new Set<string>();

  private constructor(
    /** The engine, for commands this class does not wrap (the command guard still applies). */
    readonly engine: AtEngine,
    /** A human name for the modem. */
    readonly name: string,
    /** Whether the modem answered `AT+CSIM=?` with OK. */
    readonly csimSupported: boolean,
    /** The IMSI `AT+CIMI` gave while opening; undefined when the SIM did not answer (see simErrorAtOpen). */
    readonly imsiAtOpen: string | undefined,
    /** Why `AT+CIMI` failed while opening (no SIM, PIN required…), for a UI to show. */
    readonly simErrorAtOpen: TransportError | undefined,
  ) {
    this.transport = new AtCsimTransport(this);
    this.imsi = imsiAtOpen;
    // A SIM taken out makes everything known about "the SIM" stale (a swap too fast to report is SimWatch's to notice).
    // Not on every ^SIMST: firmware repeats `^SIMST: 1` for the same SIM, and each query is to be asked once.
    engine.on('urc', (urc) => {
      if (simPresenceOfUrc(urc) === 'absent') this.forgetSim();
    });
  }

  /**
   * Opens the modem on a channel: `AT` (retried: the port may hold garbage), then only what needs
   * changing, each setting read first so that `close` can put it back: `ATE0` when the probe came back
   * echoed, `AT+CMEE?` then `AT+CMEE=1`, `AT^CURC?` then `AT^CURC=0` (Huawei; refusals are fine); then
   * probes `AT+CSIM=?` and reads `AT+CIMI` once (`readImsi` answers from it). Rejects with a
   * TransportError when the port does not answer AT commands; the channel is closed then.
   */
  static async open(channel: SerialChannel, options: AtModemOptions = {}): Promise<AtModem> {
    const engine = new AtEngine(channel, options);
    const name = options.name ?? channel.name;
    const signal = options.signal;
    const call = (command: string, extra: AtCommandOptions = {}) => engine.send(command, { ...extra, ...(signal ? { signal } : {}) });
    const tolerate = async (command: string): Promise<AtResponse | undefined> => {
      try {
        return await call(command);
      } catch (e) {
        if (isRefusal(e)) return undefined;
        throw e;
      }
    };
    const changed: Changed = { echo: false, cmee: undefined, curc: false };
    try {
      const echoesBefore = engine.echoedLines;
      await probe(engine, call, options);
      // V.250 has no way to read the echo setting (ATE? is not standard); an echoed probe tells it.
      if (engine.echoedLines > echoesBefore) changed.echo = (await tolerate('ATE0')) !== undefined;
      // Numeric errors tell "SIM PIN required" from "not supported"; a modem that cannot say its mode is left alone.
      const cmee = parseSetting((await tolerate('AT+CMEE?'))?.lines ?? [], '+CMEE');
      if (cmee !== undefined && cmee !== 1 && (await tolerate('AT+CMEE=1')) !== undefined) changed.cmee = cmee;
      // Silences Huawei's periodic URCs (^RSSI, ^DSFLOWRPT…); other modems answer ERROR, which is fine.
      const curc = parseSetting((await tolerate('AT^CURC?'))?.lines ?? [], '^CURC');
      if (curc !== undefined && curc !== 0 && (await tolerate('AT^CURC=0')) !== undefined) changed.curc = true;
      const csim = (await tolerate('AT+CSIM=?')) !== undefined;
      let imsi: string | undefined;
      let simError: TransportError | undefined;
      try {
        imsi = parseImsi((await call('AT+CIMI')).lines);
      } catch (e) {
        if (!isRefusal(e)) throw e;
        simError = toTransportError(e);
      }
      const modem = new AtModem(engine, name, csim, imsi, simError);
      modem.changed = changed;
      return modem;
    } catch (e) {
      // Cancelled or failed half-way: what was already changed is put back (without the caller's signal, which may have fired).
      await undoSettings(engine, changed);
      await engine.close();
      const error = toTransportError(e);
      throw new TransportError(error.code, `Could not open the modem on ${name}: ${error.message}`, { cause: e });
    }
  }

  /**
   * The IMSI by `AT+CIMI` (validated: 6 to 15 digits), asked once per SIM: the answer of `open` serves
   * until the SIM changes. Rejects with a TransportError (NO_CARD when the modem sees no SIM).
   */
  async readImsi(options: TransmitOptions = {}): Promise<string> {
    // A closed or lost modem says so rather than answering from memory.
    if (this.imsi !== undefined && this.engine.state === 'open') return this.imsi;
    try {
      this.imsi = parseImsi((await this.engine.send('AT+CIMI', withSignal(options))).lines);
      return this.imsi;
    } catch (e) {
      throw toTransportError(e);
    }
  }

  /**
   * The ICCID by `AT^ICCID?` (Huawei), else `AT+CRSM` READ BINARY of EF_ICCID, asked once per SIM;
   * undefined when the modem offers neither (the caller reads EF_ICCID through APDUs then).
   */
  async readIccid(options: TransmitOptions = {}): Promise<string | undefined> {
    if (this.iccid !== undefined && this.engine.state === 'open') return this.iccid;
    this.iccid =
      (await this.askOnce('AT^ICCID?', parseIccidLine, options)) ??
      (await this.askOnce('AT+CRSM=176,12258,0,0,10', parseCrsmIccid, options));
    return this.iccid;
  }

  /**
   * PIN1's state by Huawei's `AT^CPIN?` (with tries left), else `AT+CPIN?`; when the SIM is READY,
   * `AT+CLCK="SC",2` tells whether PIN1 is enabled. Undefined when the modem does not tell (the caller
   * asks the card then). Not cached: a PIN verified meanwhile changes it.
   */
  async pinState(options: TransmitOptions = {}): Promise<PinState | undefined> {
    const answer = (await this.askOnce('AT^CPIN?', parseCpin, options)) ?? (await this.askOnce('AT+CPIN?', parseCpin, options));
    if (answer === undefined) return undefined;
    const enabled = answer.code === 'READY' ? await this.askOnce('AT+CLCK="SC",2', parseClck, options) : true;
    return pinStateOf(answer, enabled);
  }

  /** Forgets what is known about the SIM in the slot (IMSI, ICCID, an open logical channel): after a SIM swap. */
  forgetSim(): void {
    this.imsi = undefined;
    this.iccid = undefined;
    const path = this.path;
    this.path = { kind: 'unknown' };
    // The channel belonged to the old SIM; most modems drop it with the card, and a refusal here says just that.
    if (path.kind === 'channel' && this.engine.state === 'open') void this.engine.send(`AT+CCHC=${path.session}`).catch(() => undefined);
  }

  /**
   * One APDU to the SIM: on a logical channel opened for the USIM (`AT+CCHO`, then `AT+CGLA`) where the
   * modem offers one, else on the basic channel with `AT+CSIM`. An AUTHENTICATE the modem refuses is
   * sent once more in the other form (with or without `Le=00`), then once after re-selecting the USIM.
   */
  async transmitApdu(apdu: Uint8Array, options: TransmitOptions = {}): Promise<Uint8Array> {
    if (this.path.kind === 'unknown') this.path = await this.openChannel(options);
    if (this.path.kind === 'basic' && !this.csimSupported) {
      throw new AtError(
        'NOT_SUPPORTED',
        `${this.name} does not offer AT+CSIM (it refused AT+CSIM=?) nor logical channels, so commands cannot reach the SIM through it; only its IMSI can be read (AT+CIMI)`,
      );
    }
    const authenticate = (apdu[0]! & 0xfc) === 0x00 && apdu[1] === 0x88;
    try {
      return await this.sendApdu(apdu, options);
    } catch (e) {
      if (!authenticate || !isFlatRefusal(e)) throw e;
    }
    try {
      return await this.sendApdu(otherLeForm(apdu), options);
    } catch (e) {
      if (!isFlatRefusal(e)) throw e;
    }
    await this.sendApdu(selectUsim(), options).catch((e: unknown) => {
      if (!isFlatRefusal(e)) throw e;
    });
    return this.sendApdu(apdu, options);
  }

  /** Closes a logical channel left open and puts back every setting `open` changed (best effort: the port may be gone). */
  async restore(): Promise<void> {
    if (this.engine.state !== 'open') return;
    const undo = async (command: string) => {
      try {
        await this.engine.send(command);
      } catch {
        // Leaving the modem as found is a courtesy; a refusal or a lost port must not stop the rest or the close.
      }
    };
    const path = this.path;
    this.path = { kind: 'unknown' };
    if (path.kind === 'channel') await undo(`AT+CCHC=${path.session}`);
    const changed = this.changed;
    this.changed = { echo: false, cmee: undefined, curc: false };
    await undoSettings(this.engine, changed);
  }

  private async sendApdu(apdu: Uint8Array, options: TransmitOptions): Promise<Uint8Array> {
    const path = this.path;
    if (path.kind === 'channel') {
      const response = await this.engine.send(buildCglaCommand(path.session, apdu), withSignal(options));
      return parseCsimResponse(response.lines, '+CGLA');
    }
    try {
      const response = await this.engine.send(buildCsimCommand(apdu), withSignal(options));
      return parseCsimResponse(response.lines);
    } catch (e) {
      // Firmware that keeps the basic channel to itself refuses SELECT there; it keeps the USIM active on it
      // (the modem reads USIM files all the time), so the USIM selection the caller wants is already in place.
      if (isFlatRefusal(e) && isUsimSelectWithoutData(apdu)) return Uint8Array.of(0x90, 0x00);
      throw e;
    }
  }

  private async openChannel(options: TransmitOptions): Promise<ApduPath> {
    if (this.refused.has('+CCHO')) return { kind: 'basic' };
    try {
      const session = parseCchoSession((await this.engine.send(`AT+CCHO="${USIM_AID_PREFIX_HEX}"`, withSignal(options))).lines);
      if (session !== undefined) return { kind: 'channel', session };
    } catch (e) {
      if (!isRefusal(e)) throw e;
      // "SIM not inserted" and the like say nothing of the command: the basic channel for this SIM, and a new try for the next.
      if (!isFlatRefusal(e)) return { kind: 'basic' };
    }
    this.refused.add('+CCHO');
    return { kind: 'basic' };
  }

  /** Sends a query unless this modem refused it before; undefined when refused (remembered) or not understood. */
  private async askOnce<T>(
    command: string,
    parse: (lines: readonly string[]) => T | undefined,
    options: TransmitOptions,
  ): Promise<T | undefined> {
    const verb = command.replace(/[=?].*$/, '');
    if (this.refused.has(verb)) return undefined;
    try {
      return parse((await this.engine.send(command, withSignal(options))).lines);
    } catch (e) {
      if (!isRefusal(e) || e.code === 'TIMEOUT') throw toTransportError(e);
      // "SIM not inserted", "SIM busy" and the like are about the SIM, not the command: ask again next time.
      if (isFlatRefusal(e)) this.refused.add(verb);
      return undefined;
    }
  }

  /**
   * Asks the modem about itself, its SIM and the network, one command after the other (they queue
   * behind any APDU in flight). A field the modem refuses or garbles is left out; a broken link, or a
   * modem that stops answering (TIMEOUT), rejects with a TransportError rather than waiting out every
   * remaining query.
   */
  async deviceInfo(options: TransmitOptions = {}): Promise<ModemInfo> {
    const info: ModemInfo = {};
    let refused = false;
    const ask = async <T>(command: string, parse: (lines: readonly string[]) => T | undefined): Promise<T | undefined> => {
      refused = false;
      try {
        return parse((await this.engine.send(command, withSignal(options))).lines);
      } catch (e) {
        if (!isRefusal(e) || e.code === 'TIMEOUT') throw toTransportError(e);
        refused = true;
        return undefined;
      }
    };
    const set = <K extends keyof ModemInfo>(key: K, value: ModemInfo[K] | undefined) => {
      if (value !== undefined) info[key] = value;
    };
    set('manufacturer', await ask('AT+CGMI', (l) => identityLine(l, '+CGMI')));
    set('model', await ask('AT+CGMM', (l) => identityLine(l, '+CGMM')));
    set('firmware', await ask('AT+CGMR', (l) => identityLine(l, '+CGMR')));
    set('imei', await ask('AT+CGSN', parseImei));
    // Never AT+CCID: it hangs some Huawei firmware (the engine refuses it anyway).
    set('iccid', await this.readIccid(options));
    const csq = await ask('AT+CSQ', (l) => firstParsed(l, parseCsq));
    let hcsq: HcsqSignal | undefined;
    if (this.hcsq !== false) {
      hcsq = await ask('AT^HCSQ?', (l) => firstParsed(l, parseHcsq));
      // Remember a modem that refuses ^HCSQ (not one that merely garbled an answer) so later calls do not ask again.
      this.hcsq = !refused;
    }
    if (csq || hcsq) info.signal = { ...(csq ? { csq } : {}), ...(hcsq ? { hcsq } : {}) };
    set('registration', await this.registration(ask));
    set('operator', await ask('AT+COPS?', (l) => firstParsed(l, parseCops)));
    return info;
  }

  /** Subscribes to `urc` (typed unsolicited result codes) or `disconnect` (the port went away); returns the unsubscribe function. */
  on<K extends keyof AtEngineEvents>(event: K, listener: (value: AtEngineEvents[K]) => void): () => void {
    return this.engine.on(event, listener);
  }

  /** Closes the modem once an APDU in flight has settled (see ExclusiveTransport.close). Idempotent. */
  close(): Promise<void> {
    return this.transport.close();
  }

  /** LTE registration when the modem is registered there, else circuit-switched, else whichever answered. */
  private async registration(
    ask: <T>(command: string, parse: (lines: readonly string[]) => T | undefined) => Promise<T | undefined>,
  ): Promise<NetworkRegistration | undefined> {
    const parse = (l: readonly string[]) => firstParsed(l, (line) => parseRegistration(line, true));
    const registered = (r: NetworkRegistration | undefined) => r?.status === 'registered-home' || r?.status === 'registered-roaming';
    const eps = await ask('AT+CEREG?', parse);
    if (registered(eps)) return eps;
    const cs = await ask('AT+CREG?', parse);
    if (registered(cs)) return cs;
    return eps ?? cs;
  }
}

/** The `AT` probe: retried on garbage (ERROR) and silence; resynchronised when a probe timed out, as its OK may still come. */
async function probe(
  engine: AtEngine,
  call: (command: string, extra?: AtCommandOptions) => Promise<AtResponse>,
  options: AtModemOptions,
): Promise<void> {
  const attempts = options.probeAttempts ?? 3;
  const timeoutMs = options.probeTimeoutMs ?? 1_000;
  let timedOut = false;
  let last: unknown;
  for (let i = 0; i < attempts; i++) {
    try {
      await call('AT', { timeoutMs, resyncOnTimeout: false });
      if (timedOut) await engine.resync();
      return;
    } catch (e) {
      if (!isRefusal(e)) throw e;
      if (e.code === 'TIMEOUT') timedOut = true;
      last = e;
    }
  }
  if (last instanceof AtError && last.code === 'TIMEOUT') {
    throw new AtError(
      'TIMEOUT',
      `the port does not answer AT commands: it may not be the modem's AT port (USB modems expose several serial ports), or another program (ModemManager) holds it`,
      { cause: last },
    );
  }
  throw new AtError('ERROR', `the port refuses the AT command "AT" (${attempts} tries)`, { cause: last });
}

/** The first line `parse` accepts. */
function firstParsed<T>(lines: readonly string[], parse: (line: string) => T | undefined): T | undefined {
  for (const line of lines) {
    const value = parse(line);
    if (value !== undefined) return value;
  }
  return undefined;
}

function withSignal(options: TransmitOptions): AtCommandOptions {
  return options.signal ? { signal: options.signal } : {};
}

/** Puts back, in reverse order, the settings `open` changed; best effort (a refusal or a lost port skips the rest quietly). */
async function undoSettings(engine: AtEngine, changed: Changed): Promise<void> {
  const undo = async (command: string) => {
    if (engine.state !== 'open') return;
    try {
      await engine.send(command);
    } catch {
      // Leaving the modem as found is a courtesy; it must not stop the close.
    }
  };
  if (changed.curc) await undo('AT^CURC=1');
  if (changed.cmee !== undefined) await undo(`AT+CMEE=${changed.cmee}`);
  if (changed.echo) await undo('ATE1');
}

/** SELECT of the USIM by its AID prefix, no data returned (TS 102 221 §11.1.1). */
function selectUsim(): Uint8Array {
  const apdu = new Uint8Array(5 + USIM_AID_PREFIX.length);
  apdu.set([0x00, 0xa4, 0x04, 0x0c, USIM_AID_PREFIX.length]);
  apdu.set(USIM_AID_PREFIX, 5);
  return apdu;
}

/** A SELECT by DF name of a USIM (registered prefix), with P2=0C: the answer is a bare status word. */
function isUsimSelectWithoutData(apdu: Uint8Array): boolean {
  if (apdu.length < 5 + USIM_AID_PREFIX.length || apdu[1] !== 0xa4 || apdu[2] !== 0x04 || apdu[3] !== 0x0c) return false;
  return USIM_AID_PREFIX.every((b, i) => apdu[5 + i] === b);
}

/** A case 3/4 APDU in the other form: a trailing `Le=00` added when absent, removed when present. */
function otherLeForm(apdu: Uint8Array): Uint8Array {
  const lc = apdu[4] ?? 0;
  if (apdu.length === 6 + lc) return apdu.slice(0, 5 + lc);
  const out = new Uint8Array(apdu.length + 1);
  out.set(apdu);
  return out;
}

/**
 * APDUs over `AT+CSIM` (TS 27.007 §8.17), one at a time. Returns the card's answer exactly as
 * given (`61xx` included: krypton-core follows T=0 answers once for all links). Also an ImsiSource
 * (`AT+CIMI`), so krypton-core can read the IMSI on modems without `AT+CSIM`.
 */
export class AtCsimTransport extends ExclusiveTransport implements ImsiSource, SimInfoSource {
  readonly kind = 'modem';
  readonly name: string;

  constructor(private readonly modem: AtModem) {
    super();
    this.name = modem.name;
  }

  /** The IMSI over `AT+CIMI` (see AtModem.readImsi). */
  readImsi(options?: TransmitOptions): Promise<string> {
    if (this.closed) return Promise.reject(new TransportError('TRANSPORT_CLOSED', `The link to the SIM (${this.name}) is closed`));
    return this.modem.readImsi(options);
  }

  /** The ICCID from the modem's own commands (see AtModem.readIccid). */
  readIccid(options?: TransmitOptions): Promise<string | undefined> {
    if (this.closed) return Promise.reject(new TransportError('TRANSPORT_CLOSED', `The link to the SIM (${this.name}) is closed`));
    return this.modem.readIccid(options);
  }

  /** PIN1's state from the modem's own commands (see AtModem.pinState). */
  pinState(options?: TransmitOptions): Promise<PinState | undefined> {
    if (this.closed) return Promise.reject(new TransportError('TRANSPORT_CLOSED', `The link to the SIM (${this.name}) is closed`));
    return this.modem.pinState(options);
  }

  protected async exchange(apdu: Uint8Array, options: TransmitOptions): Promise<Uint8Array> {
    try {
      return await this.modem.transmitApdu(apdu, options);
    } catch (e) {
      if (e instanceof AtError && e.code === 'NOT_SUPPORTED' && !this.modem.csimSupported)
        throw new TransportError('TRANSPORT_FAILED', e.message, { cause: e });
      throw toTransportError(e);
    }
  }

  protected async release(): Promise<void> {
    await this.modem.restore();
    await this.modem.engine.close();
  }
}
