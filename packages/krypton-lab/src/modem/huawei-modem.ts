/**
 * A Huawei E3372/MS2131-like USB modem's AT port, in memory, over a virtual USIM. It behaves as the
 * real sticks do where that matters to an AT client, warts included (krypton-protocol.md §9): echo
 * on at power-up, URCs at any time (even between `+CSIM:` and `OK`), `COMMAND NOT SUPPORT` for
 * unknown commands, `AT+CCID` that never answers. Free of Node built-ins: pages bundle it.
 */
import { fromHex, toHex } from '@krypton-web/krypton-core';
import { USIM_AID, VirtualUsim } from '../card/index.ts';
import { demoProfileSet, findSim, type SimProfile } from '../profiles/index.ts';
import { AtLineReader, type AtLine } from './at-line-reader.ts';
import { CME, cmeErrorLine, type CmeCode, type CmeeMode } from './cme-error.ts';
import { formatCsimAnswer, parseCsimArguments, type CsimStyle } from './csim-codec.ts';
import {
  readImsi,
  readSimIdentity,
  selectUsimCommand,
  statusWord,
  transmitCollecting,
  verifyPin1,
  type ModemSim,
  type SimIdentity,
} from './modem-sim.ts';
import { OutputPacer, type ChunkingOptions } from './output-pacer.ts';
import { ALL_URC_KINDS, Radio, registrationQueryLine, type RegistrationMode, type UrcGate, type UrcKind } from './radio.ts';
import { seededRandom, type Random } from './seeded-random.ts';

/** Periodic and injected URC noise. */
export interface UrcNoiseOptions {
  /** Seed of every noise decision (default 1): the same seed gives the same noise. */
  seed?: number;
  /** Milliseconds between periodic URCs while a client is attached; 0 turns them off (default 1500). */
  intervalMs?: number;
  /** Chance, at each gap inside a response (after the echo, between lines, before the final result), of a URC there (default 0.3). */
  midResponseRate?: number;
  /** Which URCs may appear (default: all; each still obeys `AT^CURC` and `AT+CxREG`). */
  kinds?: readonly UrcKind[];
}

/** What the stick reports about itself. */
export interface ModemIdentity {
  manufacturer: string;
  model: string;
  revision: string;
  imei: string;
  /** The network name `AT+COPS?` reports. */
  operator: string;
}

/** Firmware variants and test conditions. */
export interface HuaweiModemOptions {
  /** Echo at power-up (default true, as on every Huawei stick). */
  echo?: boolean;
  /** URCs at intervals and inside responses: `true` for the defaults of `UrcNoiseOptions`. */
  urcNoise?: boolean | UrcNoiseOptions;
  /** Milliseconds the firmware takes before answering each command line (default 0). */
  slowMs?: number;
  /** Firmware that follows `61xx`/`6Cxx` itself and answers data with `9000` directly. */
  csimDirect9000?: boolean;
  /** Firmware without AT+CSIM: `AT+CSIM=?` and `AT+CSIM=...` get the unknown-command reply. */
  noCsim?: boolean;
  /** No SIM in the slot: AT+CSIM, AT+CIMI, AT^ICCID?, AT+CPIN answer `+CME ERROR: 10`. */
  simAbsent?: boolean;
  /** `+CSIM:` hex in lowercase. */
  lowercaseHex?: boolean;
  /** `+CSIM: 4, "9000"`: a space after the comma too. */
  spaces?: boolean;
  /** Output in small pieces with short pauses: `true` for the defaults of `ChunkingOptions`. */
  chunking?: boolean | ChunkingOptions;
  /** The final result for commands the firmware does not know (default Huawei's `COMMAND NOT SUPPORT`). */
  unknownCommandReply?: 'COMMAND NOT SUPPORT' | 'ERROR';
  /** `^ICCID:` prints EF_ICCID's bytes as stored (nibbles swapped, `F` filler), as some Huawei firmware does. */
  iccidSwapped?: boolean;
  /** Firmware that answers `AT^CURC` with ERROR and keeps printing its URCs. */
  curcUnsupported?: boolean;
  /** Overrides of the identity strings. */
  identity?: Partial<ModemIdentity>;
  /** Called with every command line the modem runs (after echo), for tests that count commands. */
  onCommand?: (line: string) => void;
  /** Logical channels over AT (`AT+CCHO`, `AT+CGLA`, `AT+CCHC`, TS 27.007 §8.43–8.46); off: the unknown-command reply. */
  logicalChannels?: boolean;
  /** Firmware that keeps the basic channel to itself: a SELECT (INS A4) through AT+CSIM answers `+CME ERROR: 3`. */
  csimSelectRefused?: boolean;
  /** `+CSIM:`/`+CGLA:` lengths count bytes instead of hex characters (commands are still read per TS 27.007). */
  csimLengthInBytes?: boolean;
  /** `+CSIM: 4,9000`: hex without quotes. */
  unquotedHex?: boolean;
  /**
   * How errors are printed whatever `AT+CMEE` says (the command is still accepted and read back):
   * `plain` always `ERROR`, `numeric` `+CME ERROR: <n>`, `verbose` `+CME ERROR: <text>`. Default: per `AT+CMEE`.
   */
  errorStyle?: 'plain' | 'numeric' | 'verbose';
  /** Firmware without `AT^ICCID?` (the unknown-command reply). */
  noIccidCommand?: boolean;
  /** Firmware without `AT+CRSM` (the unknown-command reply). */
  noCrsm?: boolean;
  /** Firmware without Huawei's `AT^CPIN?` (the unknown-command reply). */
  noHuaweiCpin?: boolean;
  /**
   * The only form in which the firmware passes AUTHENTICATE (INS 88) on: `with-le` refuses it without a trailing
   * `Le=00`, `without-le` refuses it with one; the refusal is `+CME ERROR: 4` (operation not supported). Default: both.
   */
  authenticateLeForm?: 'with-le' | 'without-le';
}

/** Identity of the emulated stick; the IMEI passes the Luhn check. */
export const DEFAULT_MODEM_IDENTITY: Readonly<ModemIdentity> = {
  manufacturer: 'huawei',
  model: 'MS2131',
  revision: '21.318.05.00.00',
  imei: '866913021234569',
  operator: 'SORACOM',
};

/** Receives the modem's output bytes. */
export type ModemOutput = (bytes: Uint8Array) => void;

/** Stops a subscription. */
export type Unsubscribe = () => void;

const HANG = Symbol('hang');
/** undefined: the command succeeded (go on); a string: the final result line; HANG: no answer ever. */
type Outcome = undefined | string | typeof HANG;

type Form = { kind: 'action' } | { kind: 'read' } | { kind: 'test' } | { kind: 'set'; args: string };

/** Commands a client must never send; the emulator records them so tests can prove it did not. */
const FORBIDDEN = new Set(['+CCID', '^U2DIAG', '^SETPORT']);

/** A Huawei-like AT modem: feed it bytes with `receive`, read its bytes through `attach`. */
export class HuaweiModemEmulator {
  /** Settles when the firmware has read the SIM at power-up; commands wait for it. */
  readonly ready: Promise<void>;
  /** Forbidden commands received, one entry per command (`AT+CCID`, `AT^U2DIAG=0`, `AT^SETPORT?` ...). */
  readonly forbiddenCommands: string[] = [];

  private readonly reader = new AtLineReader();
  private readonly pacer: OutputPacer;
  private readonly radio = new Radio();
  private readonly identity: ModemIdentity;
  private readonly noise: Required<UrcNoiseOptions> | undefined;
  private readonly midRandom: Random | undefined;
  private readonly tickRandom: Random | undefined;
  private readonly unplugListeners = new Set<() => void>();
  private sink: ModemOutput | undefined;
  private chain: Promise<void> = Promise.resolve();
  private timer: ReturnType<typeof setInterval> | undefined;
  private simIdentity: SimIdentity | undefined;
  private simFailed = false;
  private unplugged = false;
  /** The firmware reading the SIM (at power-up, or after a SIM was put in); commands wait for it. */
  private booting: Promise<void>;

  private echo: boolean;
  private cmee: CmeeMode = 0;
  /** Open logical channels by session id (`AT+CCHO`): the channel number and the application's AID. */
  private readonly sessions = new Map<number, { channel: number; aid: Uint8Array }>();
  private nextSession = 1;
  /**
   * Who last used the card: 0 the basic channel, else a session id. The virtual card has only the basic
   * channel, so logical channels are multiplexed here: switching owners re-selects the owner's application.
   */
  private cardOwner = 0;
  private gate: UrcGate = { curc: true, creg: 0, cereg: 0, cgreg: 0 };

  /** A modem with `sim` in its slot (none, or `simAbsent`, for an empty slot). */
  constructor(
    private sim: ModemSim | undefined,
    private readonly options: HuaweiModemOptions = {},
  ) {
    this.identity = { ...DEFAULT_MODEM_IDENTITY, ...options.identity };
    this.echo = options.echo ?? true;
    const chunking = options.chunking === true ? {} : options.chunking || undefined;
    this.pacer = new OutputPacer((bytes) => this.deliver(bytes), chunking);
    if (options.urcNoise) {
      const o = options.urcNoise === true ? {} : options.urcNoise;
      this.noise = {
        seed: o.seed ?? 1,
        intervalMs: o.intervalMs ?? 1500,
        midResponseRate: o.midResponseRate ?? 0.3,
        kinds: o.kinds ?? ALL_URC_KINDS,
      };
      // Two sequences: periodic URCs depend on timing, injected ones must not.
      this.midRandom = seededRandom(this.noise.seed);
      this.tickRandom = seededRandom(this.noise.seed ^ 0x5bd1e995);
      if (this.noise.intervalMs > 0) {
        this.timer = setInterval(() => this.tick(), this.noise.intervalMs);
        unrefTimer(this.timer);
      }
    }
    if (options.simAbsent) this.sim = undefined;
    this.ready = this.boot();
    this.booting = this.ready;
  }

  /** A modem over a fresh virtual USIM built from a profile or a demo SIM name (default `demo`). */
  static async create(profile: SimProfile | string = 'demo', options: HuaweiModemOptions = {}): Promise<HuaweiModemEmulator> {
    const modem = new HuaweiModemEmulator(await modemUsim(profile), options);
    await modem.ready;
    return modem;
  }

  /** Puts a fresh virtual USIM built from a profile or a demo SIM name in the slot (see insertSim). */
  async insertProfile(profile: SimProfile | string): Promise<void> {
    await this.insertSim(await modemUsim(profile));
  }

  /** Where output goes (one client at a time, as one open port); output with no client is lost. */
  attach(output: ModemOutput): Unsubscribe {
    if (this.sink) throw new Error('The modem port is already attached to a client');
    this.sink = output;
    return () => {
      if (this.sink === output) this.sink = undefined;
    };
  }

  /** Calls `listener` once when the modem is unplugged. */
  onUnplug(listener: () => void): Unsubscribe {
    if (this.unplugged) {
      queueMicrotask(listener);
      return () => undefined;
    }
    this.unplugListeners.add(listener);
    return () => this.unplugListeners.delete(listener);
  }

  /** Bytes from the client (a string is taken as Latin-1 characters). Lines run one at a time, in order. */
  receive(chunk: Uint8Array | string): void {
    if (this.unplugged) return;
    const bytes = typeof chunk === 'string' ? latin1(chunk) : chunk;
    for (const line of this.reader.push(bytes)) {
      this.chain = this.chain.then(() => this.runLine(line)).catch(() => this.finalLine('ERROR'));
    }
  }

  /** Pulls the stick out: nothing more is answered or sent, and unplug listeners run. */
  unplug(): void {
    if (this.unplugged) return;
    this.unplugged = true;
    this.dispose();
    for (const listener of [...this.unplugListeners]) {
      try {
        listener();
      } catch {
        // A listener's failure must not stop the others from learning the device is gone.
      }
    }
    this.unplugListeners.clear();
  }

  /** Whether `unplug()` was called. */
  get isUnplugged(): boolean {
    return this.unplugged;
  }

  /** Stops the periodic URCs and drops pending output, without signalling an unplug (test cleanup). */
  dispose(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
    this.pacer.clear();
  }

  /** Prints an unsolicited result code now (`\r\n<line>\r\n`), whatever the settings; for tests. */
  injectUrc(line: string): void {
    if (!this.unplugged) this.emitLine(line);
  }

  /** Resolves when every command received so far has been answered and its output delivered. */
  async whenIdle(): Promise<void> {
    for (;;) {
      const chain = this.chain;
      await chain;
      await this.pacer.idle();
      if (chain === this.chain) return;
    }
  }

  /** The current settings, as the AT commands left them. */
  get settings(): { echo: boolean; cmee: CmeeMode } & UrcGate {
    return { echo: this.echo, cmee: this.cmee, ...this.gate };
  }

  /**
   * Takes the SIM out of the slot, as a person does with a stick that allows it: identity commands
   * and AT+CSIM answer "SIM not inserted", and `^SIMST: 255` is reported (when `AT^CURC` allows ^ URCs).
   */
  removeSim(): void {
    if (!this.sim) return;
    this.sim = undefined;
    this.simIdentity = undefined;
    this.simFailed = false;
    if (this.gate.curc) this.emitLine('^SIMST: 255');
  }

  /**
   * Puts a SIM in the slot (taking out any SIM there first): the firmware reads it as at power-up —
   * commands wait meanwhile — then reports `^SIMST: 1` (when `AT^CURC` allows ^ URCs).
   */
  async insertSim(sim: ModemSim): Promise<void> {
    this.removeSim();
    this.sim = sim;
    const booting = this.boot();
    this.booting = booting;
    await booting;
    if (this.gate.curc && this.sim === sim) this.emitLine('^SIMST: 1');
  }

  /** Whether a SIM is in the slot. */
  get hasSim(): boolean {
    return this.sim !== undefined;
  }

  private async boot(): Promise<void> {
    const sim = this.sim;
    if (!sim) return;
    try {
      const identity = await readSimIdentity(sim);
      if (this.sim === sim) this.simIdentity = identity;
    } catch {
      // A card the firmware cannot read shows as "SIM failure" to identity commands; AT+CSIM still reaches it.
      if (this.sim === sim) this.simFailed = true;
    }
  }

  private async runLine(line: AtLine): Promise<void> {
    await this.booting;
    if (this.unplugged) return;
    if (this.echo) this.emitRaw(`${line.raw}\r`);
    if (line.overflow) {
      this.finalLine('ERROR');
      return;
    }
    const text = line.text.trim();
    // V.250 §5.2.1: a command line starts with "AT" (or "at"); anything else is not a command.
    if (!/^(AT|at)/.test(text)) return;
    this.options.onCommand?.(text);
    if (this.options.slowMs) await delay(this.options.slowMs);
    if (this.unplugged) return;
    const commands = splitCommands(stripSpaces(text.slice(2)));
    if (commands === undefined) {
      this.finalLine('ERROR');
      return;
    }
    for (const command of commands) {
      const outcome = await this.run(command);
      if (this.unplugged || outcome === HANG) return;
      if (outcome !== undefined) {
        this.finalLine(outcome);
        return;
      }
    }
    this.finalLine('OK');
  }

  private run(command: string): Outcome | Promise<Outcome> {
    const ext = /^([+^][A-Za-z0-9]+)(.*)$/.exec(command);
    if (!ext) return this.runBasic(command.toUpperCase());
    const name = ext[1]!.toUpperCase();
    const rest = ext[2]!;
    const form: Form | undefined =
      rest === ''
        ? { kind: 'action' }
        : rest === '?'
          ? { kind: 'read' }
          : rest === '=?'
            ? { kind: 'test' }
            : rest.startsWith('=')
              ? { kind: 'set', args: rest.slice(1) }
              : undefined;
    if (FORBIDDEN.has(name)) this.forbiddenCommands.push(`AT${command}`);
    if (form === undefined) return this.cme(CME.INCORRECT_PARAMETERS);
    return this.runExtended(name, form);
  }

  private runBasic(command: string): Outcome {
    switch (command) {
      case 'E':
      case 'E0':
        this.echo = false;
        return undefined;
      case 'E1':
        this.echo = true;
        return undefined;
      case 'I':
      case 'I0':
        this.infoBlock([
          `Manufacturer: ${this.identity.manufacturer}`,
          `Model: ${this.identity.model}`,
          `Revision: ${this.identity.revision}`,
          `IMEI: ${this.identity.imei}`,
          '+GCAP: +CGSM,+DS,+ES',
        ]);
        return undefined;
      case 'Z':
      case 'Z0':
      case '&F':
      case '&F0':
        // Back to the power-up profile.
        this.echo = this.options.echo ?? true;
        this.cmee = 0;
        this.gate = { curc: true, creg: 0, cereg: 0, cgreg: 0 };
        return undefined;
      case 'V':
      case 'V1':
      case 'Q':
      case 'Q0':
        return undefined;
      default:
        // Numeric result codes (ATV0) and the rest are not emulated.
        return this.unknownReply();
    }
  }

  private async runExtended(name: string, form: Form): Promise<Outcome> {
    const id = this.identity;
    switch (name) {
      case '+CGMI':
      case '+GMI':
        return this.constant(form, id.manufacturer);
      case '+CGMM':
      case '+GMM':
        return this.constant(form, id.model);
      case '+CGMR':
      case '+GMR':
        return this.constant(form, id.revision);
      case '+CGSN':
      case '+GSN':
        return this.constant(form, id.imei);
      case '+GCAP':
        return this.constant(form, '+GCAP: +CGSM,+DS,+ES');
      case '+CIMI':
        if (form.kind === 'test') return undefined;
        if (form.kind !== 'action') return this.cme(CME.INCORRECT_PARAMETERS);
        return this.cimi();
      case '^ICCID':
        if (this.options.noIccidCommand) return this.unknownReply();
        if (form.kind === 'test') return undefined;
        if (form.kind !== 'read') return this.cme(CME.INCORRECT_PARAMETERS);
        return this.iccid();
      case '+CPIN':
        return this.cpin(form);
      case '^CPIN':
        if (this.options.noHuaweiCpin) return this.unknownReply();
        if (form.kind === 'test') return undefined;
        if (form.kind !== 'read') return this.cme(CME.INCORRECT_PARAMETERS);
        return this.huaweiCpin();
      case '+CLCK':
        return this.clck(form);
      case '+CRSM':
        if (this.options.noCrsm) return this.unknownReply();
        if (form.kind === 'test') return undefined;
        if (form.kind !== 'set') return this.cme(CME.INCORRECT_PARAMETERS);
        return this.crsm(form.args);
      case '+CCHO':
      case '+CGLA':
      case '+CCHC':
        if (!this.options.logicalChannels) return this.unknownReply();
        if (form.kind === 'test') return undefined;
        if (form.kind !== 'set') return this.cme(CME.INCORRECT_PARAMETERS);
        return name === '+CCHO' ? this.ccho(form.args) : name === '+CGLA' ? this.cgla(form.args) : this.cchc(form.args);
      case '+CSQ':
        if (form.kind === 'test') return this.info('+CSQ: (0-31,99),(0-7,99)');
        if (form.kind !== 'action') return this.cme(CME.INCORRECT_PARAMETERS);
        return this.info(this.radio.csqLine());
      case '^HCSQ':
        if (form.kind === 'test') return this.info('^HCSQ: "NOSERVICE","GSM","WCDMA","LTE"');
        if (form.kind !== 'read') return this.cme(CME.INCORRECT_PARAMETERS);
        return this.info(this.radio.hcsqLine());
      case '+CREG':
      case '+CEREG':
      case '+CGREG':
        return this.registration(name.slice(1) as 'CREG' | 'CEREG' | 'CGREG', form);
      case '+COPS':
        if (form.kind === 'read') return this.info(this.radio.copsLine(id.operator));
        if (form.kind === 'set' && form.args === '0') return undefined;
        if (form.kind === 'test') return this.info(`+COPS: (2,"${id.operator}","${id.operator}","00101",7),,(0,1,2,3,4),(0,1,2)`);
        return this.cme(CME.INCORRECT_PARAMETERS);
      case '+CFUN':
        if (form.kind === 'read') return this.info('+CFUN: 1');
        if (form.kind === 'test') return this.info('+CFUN: (0,1,4,5,6,7,8),(0-1)');
        if (form.kind === 'set' && /^(0|1|4|5|6|7|8)(,[01])?$/.test(form.args)) return undefined;
        return this.cme(CME.INCORRECT_PARAMETERS);
      case '^CURC':
        if (this.options.curcUnsupported) return 'ERROR';
        if (form.kind === 'read') return this.info(`^CURC: ${this.gate.curc ? 1 : 0}`);
        if (form.kind === 'test') return this.info('^CURC: (0-1)');
        if (form.kind === 'set' && (form.args === '0' || form.args === '1')) {
          this.gate = { ...this.gate, curc: form.args === '1' };
          return undefined;
        }
        return this.cme(CME.INCORRECT_PARAMETERS);
      case '+CMEE':
        if (form.kind === 'read') return this.info(`+CMEE: ${this.cmee}`);
        if (form.kind === 'test') return this.info('+CMEE: (0-2)');
        if (form.kind === 'set' && /^[012]$/.test(form.args)) {
          this.cmee = Number(form.args) as CmeeMode;
          return undefined;
        }
        return this.cme(CME.INCORRECT_PARAMETERS);
      case '+CSIM':
        return this.csim(form);
      case '+CCID':
        // Some Huawei firmware never answers AT+CCID; a client that sends it waits forever.
        return HANG;
      case '^U2DIAG':
      case '^SETPORT':
        // Port-layout commands rewrite the stick's USB composition for good; answer as the firmware does.
        return undefined;
      default:
        return this.unknownReply();
    }
  }

  private constant(form: Form, line: string): Outcome {
    if (form.kind === 'test') return undefined;
    if (form.kind !== 'action') return this.cme(CME.INCORRECT_PARAMETERS);
    return this.info(line);
  }

  private registration(command: 'CREG' | 'CEREG' | 'CGREG', form: Form): Outcome {
    const key = command.toLowerCase() as 'creg' | 'cereg' | 'cgreg';
    if (form.kind === 'read') return this.info(registrationQueryLine(command, this.gate[key]));
    if (form.kind === 'test') return this.info(`+${command}: (0-2)`);
    if (form.kind === 'set' && /^[012]$/.test(form.args)) {
      this.gate = { ...this.gate, [key]: Number(form.args) as RegistrationMode };
      return undefined;
    }
    return this.cme(CME.INCORRECT_PARAMETERS);
  }

  private async cimi(): Promise<Outcome> {
    const sim = this.sim;
    if (!sim) return this.cme(CME.SIM_NOT_INSERTED);
    if (this.simFailed || !this.simIdentity) return this.cme(CME.SIM_FAILURE);
    if (this.simIdentity.imsi === undefined) {
      const locked = this.pinLock(sim);
      if (locked !== undefined) return this.cme(locked);
      // PIN1 was verified since boot (through AT+CSIM, say): the firmware reads EF_IMSI again.
      this.simIdentity.imsi = await readImsi(sim).catch(() => undefined);
      if (this.simIdentity.imsi === undefined) return this.cme(CME.SIM_FAILURE);
    }
    return this.info(this.simIdentity.imsi);
  }

  private iccid(): Outcome {
    if (!this.sim) return this.cme(CME.SIM_NOT_INSERTED);
    if (this.simFailed || !this.simIdentity) return this.cme(CME.SIM_FAILURE);
    const digits = this.options.iccidSwapped ? toHex(this.simIdentity.iccidFile).toUpperCase() : this.simIdentity.iccid;
    return this.info(`^ICCID: ${digits}`);
  }

  private async cpin(form: Form): Promise<Outcome> {
    if (form.kind === 'test') return undefined;
    const sim = this.sim;
    if (!sim) return this.cme(CME.SIM_NOT_INSERTED);
    const locked = this.pinLock(sim);
    if (form.kind === 'read')
      return this.info(`+CPIN: ${locked === CME.SIM_PUK_REQUIRED ? 'SIM PUK' : locked === CME.SIM_PIN_REQUIRED ? 'SIM PIN' : 'READY'}`);
    if (form.kind !== 'set') return this.cme(CME.INCORRECT_PARAMETERS);
    // Unblocking with the PUK (two arguments) is not emulated: send UNBLOCK PIN through AT+CSIM.
    if (form.args.includes(',')) return this.cme(CME.OPERATION_NOT_SUPPORTED);
    const m = /^"?([0-9]{4,8})"?$/.exec(form.args);
    if (!m) return this.cme(CME.INCORRECT_PARAMETERS);
    if (locked === undefined) return this.cme(CME.OPERATION_NOT_ALLOWED);
    if (locked === CME.SIM_PUK_REQUIRED) return this.cme(CME.SIM_PUK_REQUIRED);
    const sw = await verifyPin1(sim, m[1]!);
    if (sw === 0x9000) {
      if (this.simIdentity && this.simIdentity.imsi === undefined) this.simIdentity.imsi = await readImsi(sim).catch(() => undefined);
      return undefined;
    }
    if (sw >> 4 === 0x63c) return this.cme(sw === 0x63c0 ? CME.SIM_PUK_REQUIRED : CME.INCORRECT_PASSWORD);
    if (sw === 0x6983) return this.cme(CME.SIM_PUK_REQUIRED);
    return this.cme(CME.SIM_FAILURE);
  }

  private pinLock(sim: ModemSim): CmeCode | undefined {
    if (!sim.pin1Enabled || sim.pin1Verified) return undefined;
    return sim.pin1TriesLeft === 0 ? CME.SIM_PUK_REQUIRED : CME.SIM_PIN_REQUIRED;
  }

  private async csim(form: Form): Promise<Outcome> {
    if (this.options.noCsim) return this.unknownReply();
    if (form.kind === 'test') return undefined;
    if (form.kind !== 'set') return this.cme(CME.INCORRECT_PARAMETERS);
    const sim = this.sim;
    if (!sim) return this.cme(CME.SIM_NOT_INSERTED);
    const parsed = parseCsimArguments(form.args);
    if (!parsed.ok) return this.cme(CME.INCORRECT_PARAMETERS);
    if (this.options.csimSelectRefused && parsed.apdu[1] === 0xa4) return this.cme(CME.OPERATION_NOT_ALLOWED);
    if (this.refusesAuthenticateForm(parsed.apdu)) return this.cme(CME.OPERATION_NOT_SUPPORTED);
    if (this.cardOwner !== 0) {
      // Channel traffic came in between: the firmware's basic channel holds the USIM, as after boot.
      await transmitCollecting(sim, selectUsimCommand(USIM_AID));
      this.cardOwner = 0;
    }
    return this.info(formatCsimAnswer(await this.toCard(sim, parsed.apdu), this.csimStyle(), '+CSIM'));
  }

  private async ccho(args: string): Promise<Outcome> {
    const sim = this.sim;
    if (!sim) return this.cme(CME.SIM_NOT_INSERTED);
    const m = /^"([0-9A-Fa-f]{10,32})"$/.exec(args);
    if (!m || m[1]!.length % 2 !== 0) return this.cme(CME.INCORRECT_PARAMETERS);
    const used = new Set([...this.sessions.values()].map((s) => s.channel));
    const channel = [1, 2, 3].find((c) => !used.has(c));
    if (channel === undefined) return this.cme(CME.OPERATION_NOT_ALLOWED);
    const aid = fromHex(m[1]!);
    const answer = await transmitCollecting(sim, selectUsimCommand(aid));
    if (statusWord(answer) !== 0x9000) return this.cme(CME.UNKNOWN);
    const session = this.nextSession++;
    this.sessions.set(session, { channel, aid });
    this.cardOwner = session;
    // TS 27.007 §8.45: the answer is the bare session id, which is not the channel number.
    return this.info(String(session));
  }

  private async cgla(args: string): Promise<Outcome> {
    const sim = this.sim;
    if (!sim) return this.cme(CME.SIM_NOT_INSERTED);
    const m = /^(\d{1,5}),(.*)$/.exec(args);
    const session = m ? this.sessions.get(Number(m[1])) : undefined;
    if (!m || !session) return this.cme(CME.INCORRECT_PARAMETERS);
    const parsed = parseCsimArguments(m[2]!);
    if (!parsed.ok) return this.cme(CME.INCORRECT_PARAMETERS);
    const apdu = parsed.apdu;
    // The firmware puts the channel into CLA itself; a client that already did must have named the same one.
    const bits = apdu[0]! & 0x03;
    if ((apdu[0]! & 0x40) !== 0 || (bits !== 0 && bits !== session.channel)) return this.cme(CME.INCORRECT_PARAMETERS);
    if (this.refusesAuthenticateForm(apdu)) return this.cme(CME.OPERATION_NOT_SUPPORTED);
    if (this.cardOwner !== Number(m[1])) {
      await transmitCollecting(sim, selectUsimCommand(session.aid));
      this.cardOwner = Number(m[1]);
    }
    const toCard = apdu.slice();
    toCard[0] = toCard[0]! & ~0x03;
    return this.info(formatCsimAnswer(await this.toCard(sim, toCard), this.csimStyle(), '+CGLA'));
  }

  private cchc(args: string): Outcome {
    const session = /^\d{1,5}$/.test(args) ? Number(args) : NaN;
    if (!this.sessions.delete(session)) return this.cme(CME.INCORRECT_PARAMETERS);
    return undefined;
  }

  /** Logical channels still open (`AT+CCHO` without `AT+CCHC`), for tests proving a client closes them. */
  get openChannels(): number {
    return this.sessions.size;
  }

  private toCard(sim: ModemSim, apdu: Uint8Array): Promise<Uint8Array> {
    return this.options.csimDirect9000 ? transmitCollecting(sim, apdu) : sim.transmit(apdu);
  }

  private csimStyle(): CsimStyle {
    const o = this.options;
    return {
      lowercaseHex: o.lowercaseHex ?? false,
      spaces: o.spaces ?? false,
      lengthInBytes: o.csimLengthInBytes ?? false,
      unquoted: o.unquotedHex ?? false,
    };
  }

  // AUTHENTICATE is case 4: header, Lc = 0x22, 34 bytes, then Le = 00 or nothing.
  private refusesAuthenticateForm(apdu: Uint8Array): boolean {
    const form = this.options.authenticateLeForm;
    if (form === undefined || apdu[1] !== 0x88 || apdu.length < 5) return false;
    const withLe = apdu.length === 6 + apdu[4]!;
    return form === 'with-le' ? !withLe : withLe;
  }

  /** `AT+CRSM` (TS 27.007 §8.18): READ BINARY (176) of EF_ICCID (12258) from what the firmware read at boot. */
  private crsm(args: string): Outcome {
    const m = /^(\d+),(\d+),(\d+),(\d+),(\d+)(,.*)?$/.exec(args);
    if (!m) return this.cme(CME.INCORRECT_PARAMETERS);
    if (!this.sim) return this.cme(CME.SIM_NOT_INSERTED);
    if (this.simFailed || !this.simIdentity) return this.cme(CME.SIM_FAILURE);
    const [command, file, p1, p2, p3] = m.slice(1, 6).map(Number) as [number, number, number, number, number];
    // Other files and commands are not emulated: answered as the card answers an unknown file (6A82).
    if (command !== 176 || file !== 0x2fe2) return this.info('+CRSM: 106,130');
    const body = this.simIdentity.iccidFile;
    const offset = (p1 << 8) | p2;
    if (offset >= body.length) return this.info('+CRSM: 107,0');
    const data = body.slice(offset, offset + (p3 === 0 ? 256 : p3));
    return this.info(`+CRSM: 144,0,"${toHex(data).toUpperCase()}"`);
  }

  /**
   * Huawei's `^CPIN: <code>,[<times>],<puk_times>,<pin_times>,<puk2_times>,<pin2_times>`: the tries come from the
   * card (VERIFY/UNBLOCK without data, TS 102 221 §11.1.9); PIN2 is not emulated and always shows 3 and 10.
   */
  private async huaweiCpin(): Promise<Outcome> {
    const sim = this.sim;
    if (!sim) return this.cme(CME.SIM_NOT_INSERTED);
    const locked = this.pinLock(sim);
    const pukSw = statusWord(await sim.transmit(Uint8Array.of(0x00, 0x2c, 0x00, 0x01)));
    const pukTries = (pukSw & 0xfff0) === 0x63c0 ? pukSw & 0x0f : pukSw === 0x6983 ? 0 : 10;
    const pinTries = sim.pin1TriesLeft;
    const code = locked === CME.SIM_PUK_REQUIRED ? 'SIM PUK' : locked === CME.SIM_PIN_REQUIRED ? 'SIM PIN' : 'READY';
    const times = locked === CME.SIM_PUK_REQUIRED ? String(pukTries) : locked === CME.SIM_PIN_REQUIRED ? String(pinTries) : '';
    return this.info(`^CPIN: ${code},${times},${pukTries},${pinTries},10,3`);
  }

  /** `AT+CLCK="SC",2` (TS 27.007 §7.4): whether PIN1 is enabled; the facility lock itself is not emulated. */
  private clck(form: Form): Outcome {
    if (form.kind === 'test') return this.info('+CLCK: ("SC")');
    if (form.kind !== 'set' || !/^"SC",2$/i.test(form.args)) return this.cme(CME.OPERATION_NOT_SUPPORTED);
    if (!this.sim) return this.cme(CME.SIM_NOT_INSERTED);
    return this.info(`+CLCK: ${this.sim.pin1Enabled ? 1 : 0}`);
  }

  private cme(code: CmeCode): string {
    const style = this.options.errorStyle;
    return cmeErrorLine(code, style === undefined ? this.cmee : style === 'plain' ? 0 : style === 'numeric' ? 1 : 2);
  }

  private unknownReply(): string {
    return this.options.unknownCommandReply ?? 'COMMAND NOT SUPPORT';
  }

  /** One information line, with a chance of a URC in the gap before it. */
  private info(line: string): Outcome {
    this.gap();
    this.emitLine(line);
    return undefined;
  }

  /** Several information lines in one frame, as Huawei prints ATI. */
  private infoBlock(lines: readonly string[]): void {
    this.gap();
    this.emitRaw(`\r\n${lines.join('\r\n')}\r\n`);
  }

  private finalLine(line: string): void {
    if (this.unplugged) return;
    this.gap();
    this.emitLine(line);
  }

  private gap(): void {
    if (!this.noise || !this.midRandom) return;
    if (this.midRandom() >= this.noise.midResponseRate) return;
    const urc = this.radio.nextUrc(this.noise.kinds, this.gate, this.midRandom);
    if (urc !== undefined) this.emitLine(urc);
  }

  private tick(): void {
    if (!this.noise || !this.tickRandom || !this.sink || this.unplugged) return;
    const urc = this.radio.nextUrc(this.noise.kinds, this.gate, this.tickRandom);
    if (urc !== undefined) this.emitLine(urc);
  }

  private emitLine(line: string): void {
    this.emitRaw(`\r\n${line}\r\n`);
  }

  private emitRaw(text: string): void {
    if (!this.unplugged) this.pacer.push(latin1(text));
  }

  private deliver(bytes: Uint8Array): void {
    const sink = this.sink;
    if (!sink || this.unplugged) return;
    try {
      sink(bytes);
    } catch {
      // A client that throws loses these bytes, as a port nobody reads would; the modem goes on.
    }
  }
}

/** A virtual USIM as a stick's slot holds it: AT+CSIM is a T=0-like link, so SELECT with FCP and AUTHENTICATE answer 61xx. */
async function modemUsim(profile: SimProfile | string): Promise<ModemSim> {
  const resolved = typeof profile === 'string' ? findSim(demoProfileSet(), profile) : profile;
  return VirtualUsim.create(resolved, { t0Responses: true });
}

/** Removes spaces outside double quotes (V.250 §5.2.1 ignores them; quoted strings keep theirs). */
function stripSpaces(body: string): string {
  let out = '';
  let quoted = false;
  for (const ch of body) {
    if (ch === '"') quoted = !quoted;
    if (ch === ' ' && !quoted) continue;
    out += ch;
  }
  return out;
}

/**
 * Splits what follows "AT" into commands: basic ones (`E0`, `I`, `&F`) run together, extended ones
 * (`+CMEE=1`, `^CURC=0`) end at `;` outside quotes. Undefined for a line that is not well formed.
 */
function splitCommands(body: string): string[] | undefined {
  const commands: string[] = [];
  let i = 0;
  while (i < body.length) {
    const ch = body[i]!;
    if (ch === ';') {
      i += 1;
      continue;
    }
    if (ch === '+' || ch === '^') {
      let j = i;
      let quoted = false;
      while (j < body.length && (quoted || body[j] !== ';')) {
        if (body[j] === '"') quoted = !quoted;
        j += 1;
      }
      commands.push(body.slice(i, j));
      i = j;
      continue;
    }
    const basic = /^&?[A-Za-z][0-9]*/.exec(body.slice(i));
    if (!basic) return undefined;
    commands.push(basic[0]);
    i += basic[0].length;
  }
  return commands;
}

function latin1(text: string): Uint8Array {
  const out = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) out[i] = text.charCodeAt(i) & 0xff;
  return out;
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** In Node, periodic noise must not keep a finished process alive; browsers have no unref. */
function unrefTimer(timer: unknown): void {
  if (typeof timer === 'object' && timer !== null && 'unref' in timer && typeof timer.unref === 'function')
    (timer as { unref(): void }).unref();
}
