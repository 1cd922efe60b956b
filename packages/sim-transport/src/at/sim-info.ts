/**
 * Parsers of what a modem says about its SIM without AT+CSIM: `AT+CRSM` (TS 27.007 §8.18), `AT+CPIN?`
 * (§8.3), Huawei's `AT^CPIN?`, `AT+CLCK="SC",2` (§7.4) and `AT+CCHO` (§8.45). Pure functions; an answer
 * that does not have the expected form gives undefined, so the caller can ask another way.
 */
import { decodeEfIccid, type PinState } from '@krypton-web/krypton-core';
import { normaliseIccid } from './device-info.ts';

/** `+CRSM: <sw1>,<sw2>[,"<hex>"]`: the data when the card answered 9000 (144,0), else undefined. */
export function parseCrsmData(lines: readonly string[]): Uint8Array | undefined {
  for (const line of lines) {
    const m = /^\+CRSM:\s*(\d{1,3})\s*,\s*(\d{1,3})\s*(?:,\s*"?([0-9A-Fa-f]*)"?)?$/i.exec(line);
    if (!m) continue;
    if (Number(m[1]) !== 0x90 || Number(m[2]) !== 0) return undefined;
    const hex = m[3] ?? '';
    if (hex.length % 2 !== 0) return undefined;
    const out = new Uint8Array(hex.length / 2);
    for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
    return out;
  }
  return undefined;
}

/** The ICCID from an `AT+CRSM` READ BINARY of EF_ICCID (swapped BCD, TS 102 221 §13.2), or undefined. */
export function parseCrsmIccid(lines: readonly string[]): string | undefined {
  const data = parseCrsmData(lines);
  if (data === undefined || data.length !== 10) return undefined;
  try {
    return normaliseIccid(decodeEfIccid(data));
  } catch {
    return undefined;
  }
}

/** What `+CPIN:`/`^CPIN:` says: the code the SIM waits for and, from Huawei's form, the tries left. */
export interface CpinAnswer {
  /** `READY`, `SIM PIN`, `SIM PUK` or another code of TS 27.007 §8.3, upper case. */
  code: string;
  pinTriesLeft?: number;
  pukTriesLeft?: number;
}

/** `+CPIN: READY` or Huawei's `^CPIN: <code>,[<times>],<puk_times>,<pin_times>,<puk2_times>,<pin2_times>`. */
export function parseCpin(lines: readonly string[]): CpinAnswer | undefined {
  for (const line of lines) {
    const m = /^([+^])CPIN:\s*(.*)$/i.exec(line);
    if (!m) continue;
    const fields = m[2]!.split(',').map((f) => f.trim().replace(/^"|"$/g, ''));
    const code = fields[0]!.toUpperCase();
    if (code === '') return undefined;
    if (m[1] === '+') return { code };
    const n = (f: string | undefined) => (f !== undefined && /^\d{1,2}$/.test(f) ? Number(f) : undefined);
    const puk = n(fields[2]);
    const pin = n(fields[3]);
    return { code, ...(pin !== undefined ? { pinTriesLeft: pin } : {}), ...(puk !== undefined ? { pukTriesLeft: puk } : {}) };
  }
  return undefined;
}

/**
 * PIN1's state from a CPIN answer, or undefined when it does not tell all a PIN prompt needs: READY
 * says nothing of whether PIN1 is enabled (`enabled` comes from `AT+CLCK="SC",2`, undefined when
 * unknown), and a locked SIM without the tries left (plain `+CPIN:`) would lose the last-try guard.
 */
export function pinStateOf(answer: CpinAnswer, enabled: boolean | undefined): PinState | undefined {
  if (answer.code === 'READY') return enabled === undefined ? undefined : { enabled, verified: enabled, triesLeft: undefined };
  if (answer.code === 'SIM PIN' && answer.pinTriesLeft !== undefined)
    return { enabled: true, verified: false, triesLeft: answer.pinTriesLeft };
  if (answer.code === 'SIM PUK' && answer.pukTriesLeft !== undefined)
    return { enabled: true, verified: false, triesLeft: 0, pukTriesLeft: answer.pukTriesLeft };
  return undefined;
}

/** `+CLCK: <status>` for the SIM lock: whether PIN1 is enabled, or undefined. */
export function parseClck(lines: readonly string[]): boolean | undefined {
  for (const line of lines) {
    const m = /^\+CLCK:\s*([01])\b/i.exec(line);
    if (m) return m[1] === '1';
  }
  return undefined;
}

/** The session id `AT+CCHO` gives (bare per TS 27.007 §8.45; `+CCHO: <n>` on some firmware), or undefined. */
export function parseCchoSession(lines: readonly string[]): number | undefined {
  for (const line of lines) {
    const m = /^(?:\+CCHO:\s*)?(\d{1,10})$/i.exec(line.trim());
    if (m) return Number(m[1]);
  }
  return undefined;
}

/** `+CMEE: <n>` or `^CURC: <n>[,…]`: the first number after the head, or undefined. */
export function parseSetting(lines: readonly string[], head: '+CMEE' | '^CURC'): number | undefined {
  const re = new RegExp(`^\\${head}:\\s*(\\d)`, 'i');
  for (const line of lines) {
    const m = re.exec(line);
    if (m) return Number(m[1]);
  }
  return undefined;
}
