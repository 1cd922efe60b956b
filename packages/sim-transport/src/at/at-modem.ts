import { TransportError, type ImsiSource, type TransmitOptions } from '@krypton-web/krypton-core';
import { ExclusiveTransport } from '../exclusive-transport.ts';
import type { SerialChannel } from '../serial-channel.ts';
import { AtEngine, type AtCommandOptions, type AtEngineEvents, type AtEngineOptions, type AtResponse } from './at-engine.ts';
import { AtError, toTransportError, type AtErrorCode } from './at-errors.ts';
import { buildCsimCommand, parseCsimResponse } from './csim.ts';
import { identityLine, parseIccidLine, parseImei, parseImsi, type ModemInfo } from './device-info.ts';
import { parseCops, parseCsq, parseHcsq, parseRegistration, type HcsqSignal, type NetworkRegistration } from './network.ts';

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
 * A USB modem reached over AT commands. `open` probes the port and sets it up; then the modem offers
 * an ApduTransport over `AT+CSIM` (`transport`), the IMSI over `AT+CIMI` (`readImsi`, also when
 * `AT+CSIM` is missing), what it knows about itself and the network (`deviceInfo`), and events
 * (`urc`, `disconnect`). Everything goes through one AtEngine, so commands never interleave.
 */
export class AtModem implements ImsiSource {
  /** The APDU link over `AT+CSIM` (kind `modem`); closing it closes the modem. */
  readonly transport: AtCsimTransport;
  private hcsq: boolean | undefined;

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
  }

  /**
   * Opens the modem on a channel: `AT` (retried: the port may hold garbage), `ATE0`, `AT+CMEE=1`,
   * `AT^CURC=0` (Huawei; refusals are fine), then probes `AT+CSIM=?` and reads `AT+CIMI`. Rejects with
   * a TransportError when the port does not answer AT commands; the channel is closed then.
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
    try {
      await probe(engine, call, options);
      await tolerate('ATE0');
      await tolerate('AT+CMEE=1');
      // Silences Huawei's periodic URCs (^RSSI, ^DSFLOWRPT…); other modems answer ERROR, which is fine.
      await tolerate('AT^CURC=0');
      const csim = (await tolerate('AT+CSIM=?')) !== undefined;
      let imsi: string | undefined;
      let simError: TransportError | undefined;
      try {
        imsi = parseImsi((await call('AT+CIMI')).lines);
      } catch (e) {
        if (!isRefusal(e)) throw e;
        simError = toTransportError(e);
      }
      return new AtModem(engine, name, csim, imsi, simError);
    } catch (e) {
      await engine.close();
      const error = toTransportError(e);
      throw new TransportError(error.code, `Could not open the modem on ${name}: ${error.message}`, { cause: e });
    }
  }

  /** Reads the IMSI with `AT+CIMI` (validated: 6 to 15 digits). Rejects with a TransportError (NO_CARD when the modem sees no SIM). */
  async readImsi(options: TransmitOptions = {}): Promise<string> {
    try {
      return parseImsi((await this.engine.send('AT+CIMI', withSignal(options))).lines);
    } catch (e) {
      throw toTransportError(e);
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
    set('iccid', await ask('AT^ICCID?', parseIccidLine));
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

/**
 * APDUs over `AT+CSIM` (TS 27.007 §8.17), one at a time. Returns the card's answer exactly as
 * given (`61xx` included: krypton-core follows T=0 answers once for all links). Also an ImsiSource
 * (`AT+CIMI`), so krypton-core can read the IMSI on modems without `AT+CSIM`.
 */
export class AtCsimTransport extends ExclusiveTransport implements ImsiSource {
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

  protected async exchange(apdu: Uint8Array, options: TransmitOptions): Promise<Uint8Array> {
    if (!this.modem.csimSupported) {
      throw new TransportError(
        'TRANSPORT_FAILED',
        `${this.name} does not offer AT+CSIM (it refused AT+CSIM=?), so commands cannot reach the SIM through it; only its IMSI can be read (AT+CIMI)`,
      );
    }
    try {
      const response = await this.modem.engine.send(buildCsimCommand(apdu), withSignal(options));
      return parseCsimResponse(response.lines);
    } catch (e) {
      throw toTransportError(e);
    }
  }

  protected release(): Promise<void> {
    return this.modem.engine.close();
  }
}
