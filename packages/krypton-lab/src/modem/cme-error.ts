/**
 * Mobile equipment error codes the emulator reports (3GPP TS 27.007 §9.2.1) and how `AT+CMEE`
 * renders them: 0 plain `ERROR` (the power-on default), 1 the number, 2 the text.
 */
export const CME = {
  OPERATION_NOT_ALLOWED: 3,
  OPERATION_NOT_SUPPORTED: 4,
  SIM_NOT_INSERTED: 10,
  SIM_PIN_REQUIRED: 11,
  SIM_PUK_REQUIRED: 12,
  SIM_FAILURE: 13,
  INCORRECT_PASSWORD: 16,
  INCORRECT_PARAMETERS: 50,
  UNKNOWN: 100,
} as const;

/** One of the codes in `CME`. */
export type CmeCode = (typeof CME)[keyof typeof CME];

const TEXT: Record<CmeCode, string> = {
  3: 'operation not allowed',
  4: 'operation not supported',
  10: 'SIM not inserted',
  11: 'SIM PIN required',
  12: 'SIM PUK required',
  13: 'SIM failure',
  16: 'incorrect password',
  50: 'Incorrect parameters',
  100: 'unknown',
};

/** `AT+CMEE` modes: 0 plain ERROR, 1 numeric, 2 verbose. */
export type CmeeMode = 0 | 1 | 2;

/** The final result line for a mobile equipment error under a given `AT+CMEE` mode. */
export function cmeErrorLine(code: CmeCode, mode: CmeeMode): string {
  if (mode === 0) return 'ERROR';
  return `+CME ERROR: ${mode === 1 ? code : TEXT[code]}`;
}
