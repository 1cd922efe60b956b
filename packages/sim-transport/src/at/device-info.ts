import { AtError } from './at-errors.ts';
import { printable, type CsqSignal, type HcsqSignal, type OperatorInfo, type NetworkRegistration } from './network.ts';

/** What a modem says about itself, its SIM and the network; a field is absent when the modem did not say. */
export interface ModemInfo {
  /** `AT+CGMI` ("huawei"). */
  manufacturer?: string;
  /** `AT+CGMM` ("E3372", "MS2131"). */
  model?: string;
  /** `AT+CGMR`. */
  firmware?: string;
  /** `AT+CGSN`: 15 digits (IMEI) or 16 (IMEISV). */
  imei?: string;
  /** `AT^ICCID?`: 18 to 20 digits, `F` padding removed, un-swapped when the firmware printed EF_ICCID's raw nibbles. */
  iccid?: string;
  /** `AT+CSQ` and, on Huawei, `AT^HCSQ?`. */
  signal?: { csq?: CsqSignal; hcsq?: HcsqSignal };
  /** `AT+CEREG?` (LTE), else `AT+CREG?` (circuit switched), whichever says registered. */
  registration?: NetworkRegistration;
  /** `AT+COPS?`. */
  operator?: OperatorInfo;
}

/**
 * The value of a one-line answer (`AT+CGMI` → `huawei`), without the `+CGMI:` head some modems put
 * before it, without quotes, printable and short. Undefined when there is no such line.
 */
export function identityLine(lines: readonly string[], name: string): string | undefined {
  const head = new RegExp(`^\\${name}\\s*:\\s*`, 'i');
  for (const line of lines) {
    const value = printable(line.replace(head, '').replace(/^"(.*)"$/, '$1'));
    if (value) return value;
  }
  return undefined;
}

/** The IMEI from `AT+CGSN` (14 to 17 digits), or undefined. */
export function parseImei(lines: readonly string[]): string | undefined {
  const value = identityLine(lines, '+CGSN');
  return value && /^\d{14,17}$/.test(value) ? value : undefined;
}

/** The IMSI from `AT+CIMI` (6 to 15 digits; some modems put `+CIMI:` before it); throws BAD_RESPONSE otherwise. */
export function parseImsi(lines: readonly string[]): string {
  const value = identityLine(lines, '+CIMI');
  if (value === undefined || !/^\d{6,15}$/.test(value))
    throw new AtError('BAD_RESPONSE', 'Unexpected answer from the modem: the answer to AT+CIMI is not an IMSI of 6 to 15 digits', {
      command: 'AT+CIMI',
    });
  return value;
}

/** The ICCID from `^ICCID: <digits>` (Huawei's `AT^ICCID?`), or undefined. */
export function parseIccidLine(lines: readonly string[]): string | undefined {
  const line = lines.find((l) => /^\^ICCID\s*:/i.test(l));
  return line === undefined ? undefined : normaliseIccid(line.replace(/^\^ICCID\s*:\s*/i, ''));
}

/**
 * Normalises an ICCID as modems print it. ICCIDs start with 89 (ITU-T E.118); some Huawei firmware
 * prints EF_ICCID's raw swapped nibbles instead (`98…`, with the `F` pad inside the last pair), so
 * a `98` start is un-swapped pair by pair. Trailing `F` padding is removed. Undefined when the result
 * is not 18 to 20 digits.
 */
export function normaliseIccid(text: string): string | undefined {
  let s = text
    .trim()
    .replace(/^"(.*)"$/, '$1')
    .toUpperCase();
  if (!/^[0-9F]{18,20}$/.test(s)) return undefined;
  if (s.startsWith('98') && s.length % 2 === 0) s = s.replace(/(.)(.)/g, '$2$1');
  s = s.replace(/F+$/, '');
  return /^\d{18,20}$/.test(s) ? s : undefined;
}
