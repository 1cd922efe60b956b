import { intParam, splitInfoLine, type AtParam } from './at-params.ts';

/** Signal strength from `AT+CSQ` (TS 27.007 §8.5). */
export interface CsqSignal {
  /** The raw `<rssi>` (0–31, 100–191, 99 = unknown). */
  readonly rssi: number;
  /** Received power in dBm (the bottom of the range the code stands for); undefined when unknown. */
  readonly rssiDbm: number | undefined;
  /** The raw `<ber>` (0–7, 99 = unknown). */
  readonly ber: number | undefined;
}

/** Converts a TS 27.007 `<rssi>` to dBm: 0 → -113, 2..30 → -109..-53, 31 → -51, 100..191 → -116..-25 (TD-SCDMA), 99/199 → undefined. */
export function csqRssiToDbm(rssi: number): number | undefined {
  if (Number.isInteger(rssi) && rssi >= 0 && rssi <= 31) return -113 + 2 * rssi;
  if (Number.isInteger(rssi) && rssi >= 100 && rssi <= 191) return -216 + rssi;
  return undefined;
}

/** Parses `+CSQ: <rssi>,<ber>` (also the value of Huawei's `^RSSI: <rssi>` URC). */
export function parseCsq(line: string): CsqSignal | undefined {
  const info = splitInfoLine(line);
  if (!info || (info.name !== '+CSQ' && info.name !== '^RSSI')) return undefined;
  const rssi = intParam(info.params[0]);
  if (rssi === undefined) return undefined;
  const ber = intParam(info.params[1]);
  return { rssi, rssiDbm: csqRssiToDbm(rssi), ber: ber === undefined || ber === 99 ? undefined : ber };
}

/** Signal detail from Huawei's `^HCSQ` (each value the bottom of the range Huawei's code stands for). */
export interface HcsqSignal {
  /** `LTE`, `WCDMA`, `GSM`, `NOSERVICE`, or what the firmware said (`TD-SCDMA`, `CDMA`…). */
  readonly mode: string;
  readonly rssiDbm?: number;
  /** LTE reference signal received power. */
  readonly rsrpDbm?: number;
  /** LTE signal to interference and noise ratio. */
  readonly sinrDb?: number;
  /** LTE reference signal received quality. */
  readonly rsrqDb?: number;
  /** WCDMA received signal code power. */
  readonly rscpDbm?: number;
  /** WCDMA Ec/Io. */
  readonly ecioDb?: number;
}

// Huawei's tables: 255 is "unknown" everywhere; each code n means "n-th step above the floor".
// Code 0 means "below the floor" and is reported as the floor's lower neighbour (f(0)).
const step = (n: number | undefined, max: number, f: (n: number) => number): number | undefined =>
  n === undefined || n > max ? undefined : f(n);

/**
 * Parses `^HCSQ: "LTE",<rssi>,<rsrp>,<sinr>,<rsrq>` (and the WCDMA and GSM forms) with Huawei's
 * formulas: rssi and rscp -121+n dBm (0 means below -120), rsrp -141+n dBm (0 below -140),
 * sinr -20.2+0.2n dB (0 below -20), rsrq -20+0.5n dB (0 below -19.5), ecio -32.5+0.5n dB.
 */
export function parseHcsq(line: string): HcsqSignal | undefined {
  const info = splitInfoLine(line);
  if (!info || info.name !== '^HCSQ' || !info.params[0]?.quoted) return undefined;
  const mode = info.params[0].value.toUpperCase();
  if (!/^[A-Z0-9-]{1,16}$/.test(mode)) return undefined;
  const n = (i: number) => intParam(info.params[i]);
  const rssi = (v: number | undefined) => step(v, 96, (x) => -121 + x);
  switch (mode) {
    case 'LTE':
      return {
        mode,
        ...defined('rssiDbm', rssi(n(1))),
        ...defined(
          'rsrpDbm',
          step(n(2), 97, (x) => -141 + x),
        ),
        // Integer arithmetic first: 0.2 × n in floating point gives 11.800000000000004.
        ...defined(
          'sinrDb',
          step(n(3), 251, (x) => (2 * x - 202) / 10),
        ),
        ...defined(
          'rsrqDb',
          step(n(4), 34, (x) => (x - 40) / 2),
        ),
      };
    case 'WCDMA':
    case 'TD-SCDMA':
      return {
        mode,
        ...defined('rssiDbm', rssi(n(1))),
        ...defined(
          'rscpDbm',
          step(n(2), 96, (x) => -121 + x),
        ),
        ...defined(
          'ecioDb',
          step(n(3), 65, (x) => (x - 65) / 2),
        ),
      };
    case 'GSM':
      return { mode, ...defined('rssiDbm', rssi(n(1))) };
    default:
      return { mode };
  }
}

function defined<K extends string>(key: K, value: number | undefined): { [P in K]?: number } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: number };
}

/** Where a modem stands with the network (TS 27.007 §7.2 `<stat>`). */
export type RegistrationStatus =
  'not-registered' | 'registered-home' | 'searching' | 'denied' | 'unknown' | 'registered-roaming' | 'emergency-only';

/** Which registration the line is about. */
export type RegistrationDomain = 'cs' | 'ps' | 'eps';

/** A `+CREG`/`+CGREG`/`+CEREG` answer or URC. */
export interface NetworkRegistration {
  readonly domain: RegistrationDomain;
  readonly status: RegistrationStatus;
  /** The raw `<stat>`. */
  readonly stat: number;
  /** Location or tracking area code, hex as the modem gave it. */
  readonly area?: string;
  /** Cell id, hex as the modem gave it. */
  readonly cellId?: string;
  /** `<AcT>` (0 GSM, 2 UTRAN, 7 E-UTRAN…). */
  readonly accessTechnology?: number;
}

const STATUS: readonly RegistrationStatus[] = ['not-registered', 'registered-home', 'searching', 'denied', 'unknown', 'registered-roaming'];

/** Maps `<stat>`: 6/9 (SMS only, CSFB not preferred; home) count as home, 7/10 as roaming, 8 is emergency only. */
export function registrationStatus(stat: number): RegistrationStatus {
  if (stat >= 0 && stat <= 5) return STATUS[stat]!;
  if (stat === 6 || stat === 9) return 'registered-home';
  if (stat === 7 || stat === 10) return 'registered-roaming';
  if (stat === 8) return 'emergency-only';
  return 'unknown';
}

const DOMAINS: Readonly<Record<string, RegistrationDomain>> = { '+CREG': 'cs', '+CGREG': 'ps', '+CEREG': 'eps' };

/**
 * Whether a registration line has the solicited shape `<n>,<stat>[,…]` (the answer to `AT+CREG?`):
 * the URC is `<stat>[,"<lac>","<ci>"[,<AcT>]]`, whose second parameter, when present, is quoted.
 */
export function isSolicitedRegistration(line: string): boolean {
  const info = splitInfoLine(line);
  if (!info || !(info.name in DOMAINS)) return false;
  return info.params.length >= 2 && intParam(info.params[0]) !== undefined && intParam(info.params[1]) !== undefined;
}

/** Parses a registration line; `solicited` picks the read-command form (`<n>` first) over the URC form. */
export function parseRegistration(line: string, solicited: boolean): NetworkRegistration | undefined {
  const info = splitInfoLine(line);
  const domain = info ? DOMAINS[info.name] : undefined;
  if (!info || !domain) return undefined;
  const p: AtParam[] = solicited ? info.params.slice(1) : info.params;
  const stat = intParam(p[0]);
  if (stat === undefined) return undefined;
  const area = hexParam(p[1]);
  const cellId = hexParam(p[2]);
  const act = intParam(p[3]);
  return {
    domain,
    status: registrationStatus(stat),
    stat,
    ...(area === undefined ? {} : { area }),
    ...(cellId === undefined ? {} : { cellId }),
    ...(act === undefined ? {} : { accessTechnology: act }),
  };
}

function hexParam(p: AtParam | undefined): string | undefined {
  return p && /^[0-9A-F]{1,8}$/i.test(p.value) ? p.value.toUpperCase() : undefined;
}

/** The operator from `AT+COPS?` (TS 27.007 §7.3). */
export interface OperatorInfo {
  /** `<mode>`: 0 automatic, 1 manual, 2 deregistered, 3 format only, 4 manual/automatic. */
  readonly mode: number;
  /** The operator as the modem named it; undefined when not registered. */
  readonly name?: string;
  /** How `name` is written. */
  readonly format?: 'long' | 'short' | 'numeric';
  readonly accessTechnology?: number;
}

const FORMATS = ['long', 'short', 'numeric'] as const;

/** Parses `+COPS: <mode>[,<format>,"<oper>"[,<AcT>]]`. */
export function parseCops(line: string): OperatorInfo | undefined {
  const info = splitInfoLine(line);
  if (!info || info.name !== '+COPS') return undefined;
  const mode = intParam(info.params[0]);
  if (mode === undefined) return undefined;
  const format = intParam(info.params[1]);
  const name = info.params[2]?.value;
  const act = intParam(info.params[3]);
  return {
    mode,
    ...(name ? { name: printable(name) } : {}),
    ...(format !== undefined && format <= 2 && name ? { format: FORMATS[format] } : {}),
    ...(act === undefined ? {} : { accessTechnology: act }),
  };
}

/** Keeps a modem-supplied name printable and short, since it ends up in a UI. */
export function printable(text: string, max = 64): string {
  return text
    .replace(/[^\x20-\x7e]/g, '')
    .trim()
    .slice(0, max);
}
