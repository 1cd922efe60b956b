import { AtError } from './at-errors.ts';

/** Shortest command APDU (CLA INS P1 P2). */
const MIN_APDU = 4;
/** Longest short-form command APDU: header, Lc, 255 data bytes, Le. */
const MAX_APDU = 261;
/** Longest response APDU: 256 data bytes and SW1 SW2. */
const MAX_RESPONSE = 258;

const HEX = '0123456789ABCDEF';

/** Builds `AT+CSIM=<2 × bytes>,"<HEX>"` (TS 27.007 §8.17): the length counts hex characters, the hex is upper case. */
export function buildCsimCommand(apdu: Uint8Array): string {
  const hex = apduHex(apdu);
  return `AT+CSIM=${hex.length},"${hex}"`;
}

/** Builds `AT+CGLA=<session>,<2 × bytes>,"<HEX>"` (TS 27.007 §8.43), the APDU as given (the modem puts the channel in CLA). */
export function buildCglaCommand(session: number, apdu: Uint8Array): string {
  const hex = apduHex(apdu);
  return `AT+CGLA=${session},${hex.length},"${hex}"`;
}

function apduHex(apdu: Uint8Array): string {
  if (apdu.length < MIN_APDU || apdu.length > MAX_APDU)
    throw new RangeError(`a command APDU has ${MIN_APDU} to ${MAX_APDU} bytes, got ${apdu.length}`);
  let hex = '';
  for (const b of apdu) hex += HEX[b >> 4]! + HEX[b & 15]!;
  return hex;
}

/**
 * The one pattern a `+CSIM` answer must match: optional blanks after `:` and around `,`, hex in
 * either case, quoted or not (but not half-quoted: a missing closing quote means a cut line).
 */
const CSIM_LINE = /^\+(?:CSIM|CGLA):\s*(\d{1,4})\s*,\s*(?:"([0-9A-Fa-f]*)"|([0-9A-Fa-f]*))$/i;

/**
 * Parses the response APDU out of `+CSIM: <len>,"<hex>"` (or `+CGLA:`, the same syntax on a logical channel,
 * with `name` '+CGLA'). Lenient in form, strict in content:
 * exactly one `+CSIM:` line, an even number of hex digits, at least SW1 SW2, at most 258 bytes.
 * `<len>` must count the hex characters; a `<len>` equal to the *byte* count is accepted too,
 * because some firmware reports bytes — the hex is then longer than `<len>` claims, which a cut
 * line can never produce. Any other mismatch is refused: `<len>` is the only sign that the line
 * arrived whole. Error messages never quote the line (it may hold CK and IK).
 */
export function parseCsimResponse(lines: readonly string[], name: '+CSIM' | '+CGLA' = '+CSIM'): Uint8Array {
  const bad = (message: string) => new AtError('BAD_RESPONSE', `Unexpected answer from the modem: ${message}`, { command: `AT${name}` });
  const head = new RegExp(`^\\${name}\\s*:`, 'i');
  const answers = lines.filter((l) => head.test(l));
  if (answers.length !== 1)
    throw bad(
      answers.length === 0
        ? `the modem answered AT${name} without a ${name} line`
        : `the modem answered AT${name} with ${answers.length} ${name} lines`,
    );
  const m = CSIM_LINE.exec(answers[0]!);
  if (!m) throw bad('the +CSIM answer does not have the form +CSIM: <length>,"<hex>"');
  const declared = Number(m[1]);
  const hex = m[2] ?? m[3] ?? '';
  if (hex.length % 2 !== 0) throw bad(`the +CSIM answer has an odd number of hex digits (${hex.length})`);
  if (declared !== hex.length && declared * 2 !== hex.length)
    throw bad(`the +CSIM answer declares ${declared} characters but carries ${hex.length}`);
  const n = hex.length / 2;
  if (n < 2) throw bad('the +CSIM answer has no status word');
  if (n > MAX_RESPONSE) throw bad(`the +CSIM answer has ${n} bytes, more than a response APDU can`);
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return out;
}
