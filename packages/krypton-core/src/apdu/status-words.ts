/**
 * Status words a SIM can answer, with what they mean in plain English (TS 102 221 §10.2.1,
 * TS 31.102 §7.3, ISO 7816-4 §5.6, and GSM 11.11 §9.4 for `9Fxx`/`94xx`/`98xx` of GSM-era cards).
 * Patterns are four hex digits where `x` stands for any digit; the most specific entry wins
 * because entries are listed specific-first within each group.
 */
export interface StatusWordEntry {
  /** Four characters: hex digits and `x` wildcards, e.g. `63Cx`, `61xx`, `6A82`. */
  readonly pattern: string;
  /** What the card means, for people; the wildcard value is passed in when the text depends on it. */
  readonly meaning: string | ((wild: number) => string);
}

const count = (n: number, one: string, many: string): string => `${n} ${n === 1 ? one : many}`;

/** The status-word table: data, not code, so it can be read, tested and extended in one place. */
export const STATUS_WORDS: readonly StatusWordEntry[] = [
  // Normal processing (TS 102 221 §10.2.1.1)
  { pattern: '9000', meaning: 'Normal ending of the command' },
  { pattern: '91xx', meaning: (x) => `Normal ending; the card has a proactive command of ${count(x, 'byte', 'bytes')} waiting` },
  { pattern: '92xx', meaning: 'Normal ending, with extra information about a data transfer session' },
  // T=0 procedure answers (TS 102 221 §7.3.1.1.4–5; GSM 11.11 §9.4.1)
  { pattern: '61xx', meaning: (x) => `${count(x || 256, 'response byte', 'response bytes')} waiting for GET RESPONSE` },
  { pattern: '9Fxx', meaning: (x) => `${count(x || 256, 'response byte', 'response bytes')} waiting for GET RESPONSE (GSM-era card)` },
  { pattern: '6Cxx', meaning: (x) => `Wrong length Le: the card expects exactly ${x || 256}` },
  // Warnings (TS 102 221 §10.2.1.2)
  { pattern: '6200', meaning: 'Warning: no information given, card memory unchanged' },
  { pattern: '6281', meaning: 'Warning: part of the returned data may be corrupted' },
  { pattern: '6282', meaning: 'Warning: end of file or record reached before reading Le bytes' },
  { pattern: '6283', meaning: 'Warning: the selected file is invalidated' },
  { pattern: '6285', meaning: 'Warning: the selected file is in termination state' },
  { pattern: '62F1', meaning: 'Warning: more data available' },
  { pattern: '62F2', meaning: 'Warning: more data available and a proactive command pending' },
  { pattern: '62F3', meaning: 'Warning: response data available' },
  { pattern: '63F1', meaning: 'Warning: more data expected' },
  { pattern: '63F2', meaning: 'Warning: more data expected and a proactive command pending' },
  { pattern: '63Cx', meaning: (x) => `Verification failed: ${count(x, 'try', 'tries')} left` },
  // Execution errors (TS 102 221 §10.2.1.3)
  { pattern: '6400', meaning: 'Execution error: no information given, card memory unchanged' },
  { pattern: '6500', meaning: 'Execution error: no information given, card memory changed' },
  { pattern: '6581', meaning: 'Execution error: memory problem' },
  // Checking errors (TS 102 221 §10.2.1.4; ISO 7816-4 §5.6)
  { pattern: '6700', meaning: 'Wrong length' },
  { pattern: '67xx', meaning: 'Wrong length (command-specific diagnosis)' },
  { pattern: '6800', meaning: 'Function in the class byte not supported' },
  { pattern: '6881', meaning: 'Logical channel not supported' },
  { pattern: '6882', meaning: 'Secure messaging not supported' },
  { pattern: '6900', meaning: 'Command not allowed' },
  { pattern: '6981', meaning: 'Command incompatible with the file structure' },
  { pattern: '6982', meaning: 'Security status not satisfied: the PIN has not been verified' },
  { pattern: '6983', meaning: 'Authentication method blocked: the PIN (or PUK) is blocked' },
  { pattern: '6984', meaning: 'Referenced data invalidated' },
  { pattern: '6985', meaning: 'Conditions of use not satisfied' },
  { pattern: '6986', meaning: 'Command not allowed: no file selected' },
  { pattern: '6989', meaning: 'Command not allowed: secure channel security not satisfied' },
  { pattern: '6A80', meaning: 'Incorrect parameters in the data field' },
  { pattern: '6A81', meaning: 'Function not supported' },
  { pattern: '6A82', meaning: 'File or application not found' },
  { pattern: '6A83', meaning: 'Record not found' },
  { pattern: '6A84', meaning: 'Not enough memory space' },
  { pattern: '6A86', meaning: 'Incorrect parameters P1 or P2' },
  { pattern: '6A87', meaning: 'Lc inconsistent with P1 and P2' },
  { pattern: '6A88', meaning: 'Referenced data not found' },
  { pattern: '6B00', meaning: 'Wrong parameters P1 or P2' },
  { pattern: '6D00', meaning: 'Instruction not supported by this card' },
  { pattern: '6E00', meaning: 'Class not supported by this card (a 2G SIM answers this to 3G commands)' },
  { pattern: '6F00', meaning: 'Technical problem, no precise diagnosis (the card may have been reset)' },
  { pattern: '6Fxx', meaning: 'Technical problem (card-specific diagnosis)' },
  // Application errors (TS 31.102 §7.3.1)
  { pattern: '9862', meaning: 'Authentication error: incorrect MAC (wrong network or wrong keys)' },
  { pattern: '9863', meaning: 'Authentication error: security context not supported' },
  { pattern: '9864', meaning: 'Key freshness failure' },
  { pattern: '9865', meaning: 'Authentication error: no memory space available' },
  { pattern: '9866', meaning: 'Authentication error: no memory space available in EF_MUK' },
  { pattern: '9850', meaning: 'INCREASE cannot be performed: maximum value reached' },
  // GSM-era cards (GSM 11.11 §9.4)
  { pattern: '9804', meaning: 'Access condition not fulfilled, or wrong PIN (GSM-era card)' },
  { pattern: '9808', meaning: 'In contradiction with the PIN status (GSM-era card)' },
  { pattern: '9810', meaning: 'In contradiction with the invalidation status (GSM-era card)' },
  { pattern: '9840', meaning: 'PIN blocked, or unblocking failed (GSM-era card)' },
  { pattern: '9400', meaning: 'No file selected (GSM-era card)' },
  { pattern: '9402', meaning: 'Out of range: invalid address (GSM-era card)' },
  { pattern: '9404', meaning: 'File not found (GSM-era card)' },
  { pattern: '9408', meaning: 'File inconsistent with the command (GSM-era card)' },
];

/** Formats a status word as four upper-case hex digits (`6A82`), as specifications print them. */
export function formatStatusWord(sw: number): string {
  return (sw & 0xffff).toString(16).toUpperCase().padStart(4, '0');
}

/** Whether a status word matches a pattern such as `63Cx` (wildcard `x`, case-insensitive hex). */
export function matchesStatusWord(pattern: string, sw: number): boolean {
  if (!/^[0-9A-Fa-fx]{4}$/.test(pattern)) return false;
  const hex = formatStatusWord(sw);
  for (let i = 0; i < 4; i++) {
    const p = pattern[i]!;
    if (p !== 'x' && p.toUpperCase() !== hex[i]) return false;
  }
  return true;
}

/** The table entry for a status word, or undefined when the table does not know it. */
export function lookupStatusWord(sw: number): StatusWordEntry | undefined {
  return STATUS_WORDS.find((e) => matchesStatusWord(e.pattern, sw));
}

/** A plain-English explanation of a status word, always non-empty. */
export function explainStatusWord(sw: number): string {
  const entry = lookupStatusWord(sw);
  if (entry === undefined) return `Unknown status ${formatStatusWord(sw)}`;
  if (typeof entry.meaning === 'string') return entry.meaning;
  return entry.meaning(wildValue(entry.pattern, sw));
}

// The bits under the pattern's wildcards, read as one number (`63Cx` → low nibble, `61xx` → SW2).
function wildValue(pattern: string, sw: number): number {
  let value = 0;
  for (let i = 0; i < 4; i++) {
    if (pattern[i] === 'x') value = (value << 4) | ((sw >> (12 - 4 * i)) & 0xf);
  }
  return value;
}
