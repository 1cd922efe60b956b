/**
 * The AT+CSIM command and answer syntax (3GPP TS 27.007 §8.17), as pure functions:
 * `AT+CSIM=<length>,"<command hex>"` where length counts hex characters, answered by
 * `+CSIM: <length>,"<response hex>"`.
 */
import { toHex } from '@krypton-web/krypton-core';

/** The shortest APDU a card takes: CLA INS P1 P2. */
const MIN_APDU = 4;
/** The longest short APDU: header, Lc, 255 data bytes, Le. */
const MAX_APDU = 261;

/** Why an AT+CSIM argument list was refused; every reason is answered `+CME ERROR: 50`. */
export type CsimRefusal = 'syntax' | 'length-mismatch' | 'odd-hex' | 'bad-hex' | 'apdu-size';

/** A parsed AT+CSIM argument list: the APDU, or why it is refused. */
export type CsimArguments = { ok: true; apdu: Uint8Array } | { ok: false; reason: CsimRefusal };

/**
 * Parses what follows `AT+CSIM=`. The length must equal the number of hex characters, the hex must
 * be quoted, even and made of hex digits (either case), and the APDU 4 to 261 bytes long.
 */
export function parseCsimArguments(args: string): CsimArguments {
  const m = /^([0-9]{1,4}),"([^"]*)"$/.exec(args);
  if (!m) return { ok: false, reason: 'syntax' };
  const declared = Number(m[1]);
  const hex = m[2]!;
  if (!/^[0-9A-Fa-f]*$/.test(hex)) return { ok: false, reason: 'bad-hex' };
  if (hex.length % 2 !== 0) return { ok: false, reason: 'odd-hex' };
  if (declared !== hex.length) return { ok: false, reason: 'length-mismatch' };
  const apdu = new Uint8Array(hex.length / 2);
  for (let i = 0; i < apdu.length; i++) apdu[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  if (apdu.length < MIN_APDU || apdu.length > MAX_APDU) return { ok: false, reason: 'apdu-size' };
  return { ok: true, apdu };
}

/** How a firmware prints the `+CSIM:` answer. */
export interface CsimStyle {
  /** Lowercase hex digits (default: uppercase, as Huawei prints). */
  lowercaseHex?: boolean;
  /** A space after the comma: `+CSIM: 4, "9000"`. */
  spaces?: boolean;
  /** The length counts bytes, not hex characters: `+CSIM: 2,"9000"`. */
  lengthInBytes?: boolean;
  /** No quotes around the hex: `+CSIM: 4,9000`. */
  unquoted?: boolean;
}

/** Formats a response APDU (data then SW1 SW2) as the `+CSIM:` information line (or `+CGLA:`, same syntax). */
export function formatCsimAnswer(response: Uint8Array, style: CsimStyle = {}, name: '+CSIM' | '+CGLA' = '+CSIM'): string {
  const hex = style.lowercaseHex ? toHex(response) : toHex(response).toUpperCase();
  const length = style.lengthInBytes ? response.length : hex.length;
  const quote = style.unquoted ? '' : '"';
  return `${name}: ${length},${style.spaces ? ' ' : ''}${quote}${hex}${quote}`;
}

/** Builds the `AT+CSIM=...` command line (without the `\r`) for an APDU; for tests and clients of the emulator. */
export function csimCommand(apdu: Uint8Array): string {
  const hex = toHex(apdu).toUpperCase();
  return `AT+CSIM=${hex.length},"${hex}"`;
}
