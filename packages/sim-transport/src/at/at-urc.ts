import { intParam, splitInfoLine, type AtParam } from './at-params.ts';
import {
  isSolicitedRegistration,
  parseCsq,
  parseHcsq,
  parseRegistration,
  printable,
  type HcsqSignal,
  type NetworkRegistration,
} from './network.ts';

/** An unsolicited result code, parsed. `raw` is the line as received. */
export type AtUrc =
  /** `^RSSI: <rssi>` (TS 27.007 `<rssi>` scale). */
  | { readonly kind: 'rssi'; readonly raw: string; readonly rssi: number; readonly rssiDbm: number | undefined }
  /** `^HCSQ: "LTE",…`. */
  | { readonly kind: 'hcsq'; readonly raw: string; readonly signal: HcsqSignal }
  /** `^MODE: <sys_mode>[,<sys_submode>]`. */
  | { readonly kind: 'mode'; readonly raw: string; readonly sysMode: number; readonly subMode: number | undefined }
  /** `^SIMST: <sim_state>[,<lock_state>]` (1 valid, 255 absent…). */
  | { readonly kind: 'sim-state'; readonly raw: string; readonly state: number; readonly lockState: number | undefined }
  /** `^SRVST: <srv_status>` (0 no service … 2 full service). */
  | { readonly kind: 'service-state'; readonly raw: string; readonly state: number }
  /** `+CREG:`, `+CGREG:`, `+CEREG:` in their unsolicited form. */
  | { readonly kind: 'registration'; readonly raw: string; readonly registration: NetworkRegistration }
  /** `+CUSD: <m>[,"<str>",<dcs>]`. */
  | {
      readonly kind: 'ussd';
      readonly raw: string;
      readonly status: number;
      readonly text: string | undefined;
      readonly dcs: number | undefined;
    }
  /** `+CMTI: "<mem>",<index>`: a new SMS is stored. */
  | { readonly kind: 'sms'; readonly raw: string; readonly storage: string; readonly index: number }
  /** `^NWTIME: yy/mm/dd,hh:mm:ss+tz,dst`. */
  | { readonly kind: 'network-time'; readonly raw: string; readonly time: string }
  | { readonly kind: 'ring'; readonly raw: string }
  | { readonly kind: 'no-carrier'; readonly raw: string }
  /** `^BOOT:`, `^DSFLOWRPT:`, `^SYSINFOEX:`, and any other URC, with its parameters as text. */
  | {
      readonly kind: 'boot' | 'flow-report' | 'system-info' | 'other';
      readonly raw: string;
      readonly name: string;
      readonly params: readonly string[];
    };

/** `+` URCs we know (TS 27.007/27.005); other `+NAME:` lines are taken as answers. Every `^NAME:` line not answering the command in flight is a URC. */
const PLUS_URCS = new Set([
  '+CREG',
  '+CGREG',
  '+CEREG',
  '+CUSD',
  '+CMTI',
  '+CMT',
  '+CDS',
  '+CDSI',
  '+CBM',
  '+CGEV',
  '+CRING',
  '+CLIP',
  '+CIEV',
  '+CUSATP',
  '+CUSATEND',
  '+CPIN',
]);
const BARE_URCS: Readonly<Record<string, 'ring' | 'no-carrier'>> = { RING: 'ring', 'NO CARRIER': 'no-carrier' };
const REGISTRATION = new Set(['+CREG', '+CGREG', '+CEREG']);
/** Huawei URCs that are also the answer to their own query (`AT^HCSQ?`): while it is in flight only the first such line answers. */
const CARET_URCS = new Set([
  '^RSSI',
  '^HCSQ',
  '^MODE',
  '^SIMST',
  '^SRVST',
  '^BOOT',
  '^DSFLOWRPT',
  '^SYSINFOEX',
  '^NWTIME',
  '^CSNR',
  '^CRSSI',
  '^EONS',
  '^NDISSTAT',
  '^LWURC',
  '^RFSWITCH',
]);

/** What the line classifier needs to know about the command in flight. */
export interface InFlight {
  /** The command's extended name (`+CREG` for `AT+CREG?`, `^HCSQ` for `AT^HCSQ?`), if it has one. */
  readonly name: string | undefined;
  /** Whether a solicited line with that name was already taken (a second one is a URC). */
  readonly answered: boolean;
}

/** The extended command name of an AT command (`AT+CSIM=…` → `+CSIM`), or undefined for basic ones (`ATE0`). */
export function commandName(command: string): string | undefined {
  const m = /^AT([+^][A-Z0-9]+)/i.exec(command);
  return m ? m[1]!.toUpperCase() : undefined;
}

/**
 * Whether a line is unsolicited, given the command in flight. A `+CREG:`-style line is the answer
 * when the command is the matching read (`AT+CREG?`), has the solicited shape `<n>,<stat>` and is
 * the first one; otherwise it is the URC. Other named lines: the first line named like the command
 * is its answer (every one of them, unless the name is also a known URC), anything else on the
 * URC lists is a URC.
 */
export function isUrc(line: string, inFlight: InFlight | undefined): boolean {
  const bare = BARE_URCS[line.toUpperCase()];
  if (bare) return true;
  const m = /^([+^][A-Z0-9]+)\s*:/i.exec(line);
  if (!m) return false;
  const name = m[1]!.toUpperCase();
  if (inFlight !== undefined && inFlight.name === name) {
    const urcName = PLUS_URCS.has(name) || CARET_URCS.has(name);
    if (!urcName) return false;
    if (inFlight.answered) return true;
    return REGISTRATION.has(name) ? !isSolicitedRegistration(line) : false;
  }
  return name.startsWith('^') || PLUS_URCS.has(name);
}

/** Parses an unsolicited line into a typed event (`other` when its form is unknown or malformed). */
export function parseUrc(line: string): AtUrc {
  const raw = line;
  const bare = BARE_URCS[line.toUpperCase()];
  if (bare) return { kind: bare, raw };
  const info = splitInfoLine(line);
  if (!info) return { kind: 'other', raw, name: '', params: [] };
  const p = info.params;
  const other = (kind: 'boot' | 'flow-report' | 'system-info' | 'other' = 'other'): AtUrc => ({
    kind,
    raw,
    name: info.name,
    params: p.map((x) => x.value),
  });
  switch (info.name) {
    case '^RSSI': {
      const csq = parseCsq(line);
      return csq ? { kind: 'rssi', raw, rssi: csq.rssi, rssiDbm: csq.rssiDbm } : other();
    }
    case '^HCSQ': {
      const signal = parseHcsq(line);
      return signal ? { kind: 'hcsq', raw, signal } : other();
    }
    case '^MODE': {
      const sysMode = intParam(p[0]);
      return sysMode === undefined ? other() : { kind: 'mode', raw, sysMode, subMode: intParam(p[1]) };
    }
    case '^SIMST': {
      const state = intParam(p[0]);
      return state === undefined ? other() : { kind: 'sim-state', raw, state, lockState: intParam(p[1]) };
    }
    case '^SRVST': {
      const state = intParam(p[0]);
      return state === undefined ? other() : { kind: 'service-state', raw, state };
    }
    case '+CREG':
    case '+CGREG':
    case '+CEREG': {
      const registration = parseRegistration(line, false);
      return registration ? { kind: 'registration', raw, registration } : other();
    }
    case '+CUSD': {
      const status = intParam(p[0]);
      const text = p[1] ? printable(p[1].value, 182) : undefined;
      return status === undefined ? other() : { kind: 'ussd', raw, status, text, dcs: intParam(p[2]) };
    }
    case '+CMTI': {
      const index = intParam(p[1]);
      return p[0] && index !== undefined ? { kind: 'sms', raw, storage: p[0].value, index } : other();
    }
    case '^NWTIME':
      return p.length > 0 ? { kind: 'network-time', raw, time: joinParams(p) } : other();
    case '^BOOT':
      return other('boot');
    case '^DSFLOWRPT':
      return other('flow-report');
    case '^SYSINFOEX':
      return other('system-info');
    default:
      return other();
  }
}

function joinParams(p: readonly AtParam[]): string {
  return p.map((x) => x.value).join(',');
}
