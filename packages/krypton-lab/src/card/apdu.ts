import { SW } from './status-words.ts';

/**
 * A command APDU in short form as a T=0 card receives it (ISO/IEC 7816-3 §12.1, TS 102 221 §7.3.1.1).
 * The card cannot tell case 2 from case 3 by the bytes alone when only P3 follows the header, so the
 * parser keeps P3 as sent and each command reads it as Le or as Lc according to its own case.
 */
export interface CommandApdu {
  readonly cla: number;
  readonly ins: number;
  readonly p1: number;
  readonly p2: number;
  /** P3 when exactly one byte follows the header (Le of a case 2 command, or Lc = 0); absent otherwise. */
  readonly p3?: number;
  /** The command data field (empty unless Lc and data were sent). */
  readonly data: Uint8Array;
  /** Le when a byte follows the data field (a case 4 APDU sent in T=1 form). */
  readonly trailingLe?: number;
}

/** The outcome of parsing: an APDU, or the status word that rejects the bytes. */
export type ParsedApdu = { ok: true; apdu: CommandApdu } | { ok: false; sw: number };

/** Parses short command APDU bytes; extended-length and inconsistent Lc are rejected with `6700`. */
export function parseCommandApdu(bytes: Uint8Array): ParsedApdu {
  if (bytes.length < 4) return { ok: false, sw: SW.WRONG_LENGTH };
  const [cla, ins, p1, p2] = [bytes[0]!, bytes[1]!, bytes[2]!, bytes[3]!];
  if (bytes.length === 4) return { ok: true, apdu: { cla, ins, p1, p2, data: new Uint8Array(0) } };
  const p3 = bytes[4]!;
  if (bytes.length === 5) return { ok: true, apdu: { cla, ins, p1, p2, p3, data: new Uint8Array(0) } };
  // ISO/IEC 7816-4 §5.1: a zero byte after the header followed by more bytes is an extended Lc,
  // which a T=0 UICC does not support (TS 102 221 §10.1.4: short APDUs only).
  if (p3 === 0) return { ok: false, sw: SW.WRONG_LENGTH };
  const data = bytes.slice(5, 5 + p3);
  if (bytes.length === 5 + p3) return { ok: true, apdu: { cla, ins, p1, p2, data } };
  if (bytes.length === 6 + p3) return { ok: true, apdu: { cla, ins, p1, p2, data, trailingLe: bytes[5 + p3]! } };
  return { ok: false, sw: SW.WRONG_LENGTH };
}

/**
 * Reads Le for a case 2 command (no data field): the P3 byte, where 0 means 256.
 * Returns undefined when the APDU carries a data field or no P3 at all, which the caller answers with `6700`.
 */
export function caseTwoLe(apdu: CommandApdu): number | undefined {
  if (apdu.data.length > 0 || apdu.p3 === undefined) return undefined;
  return apdu.p3 === 0 ? 256 : apdu.p3;
}

/**
 * Reads the data field of a case 3 or 4 command: a lone P3 of 0 (or no P3) means an empty field,
 * a lone non-zero P3 announces data that never came (undefined, answered with `6700`).
 */
export function commandData(apdu: CommandApdu): Uint8Array | undefined {
  if (apdu.p3 !== undefined && apdu.p3 !== 0) return undefined;
  return apdu.data;
}
