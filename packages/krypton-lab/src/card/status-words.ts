/**
 * Status words the virtual USIM answers with (TS 102 221 §10.2.1, ISO/IEC 7816-4 §5.6).
 * Kept as numbers (SW1 << 8 | SW2) so handlers can build `61xx`/`6Cxx`/`63Cx` by OR-ing a value in.
 */
export const SW = {
  /** Normal ending of the command. */
  OK: 0x9000,
  /** `61xx`: xx response bytes are waiting for GET RESPONSE (T=0 procedure, TS 102 221 §7.3.1.1.4). */
  BYTES_AVAILABLE: 0x6100,
  /** End of file reached before reading Le bytes (TS 102 221 §10.2.1.2). */
  END_OF_FILE: 0x6282,
  /** `63Cx`: verification failed, x tries left (TS 102 221 §11.1.9). */
  VERIFY_FAILED: 0x63c0,
  /** Wrong length: Lc/P3 does not match the command. */
  WRONG_LENGTH: 0x6700,
  /** Logical channel not supported (only the basic channel 0 exists here). */
  CHANNEL_NOT_SUPPORTED: 0x6881,
  /** Secure messaging not supported. */
  SECURE_MESSAGING_NOT_SUPPORTED: 0x6882,
  /** Command incompatible with file structure. */
  INCOMPATIBLE_FILE_STRUCTURE: 0x6981,
  /** Security status not satisfied (PIN not verified). */
  SECURITY_NOT_SATISFIED: 0x6982,
  /** Authentication/PIN method blocked. */
  PIN_BLOCKED: 0x6983,
  /** Conditions of use not satisfied. */
  CONDITIONS_NOT_SATISFIED: 0x6985,
  /** Command not allowed: no EF selected. */
  NO_EF_SELECTED: 0x6986,
  /** Incorrect parameters in the data field (e.g. a PIN with a non-digit). */
  WRONG_DATA: 0x6a80,
  /** File or application not found. */
  FILE_NOT_FOUND: 0x6a82,
  /** Record not found. */
  RECORD_NOT_FOUND: 0x6a83,
  /** Incorrect parameters P1 to P2. */
  WRONG_P1P2_FUNCTION: 0x6a86,
  /** Referenced data (a key reference) not found. */
  REFERENCE_NOT_FOUND: 0x6a88,
  /** Wrong parameter(s) P1-P2 (offset outside the EF, RFU values). */
  WRONG_P1P2: 0x6b00,
  /** `6Cxx`: wrong Le, xx is the exact length to ask for (T=0, TS 102 221 §7.3.1.1.5). */
  WRONG_LE: 0x6c00,
  /** Instruction code not supported or invalid. */
  INS_NOT_SUPPORTED: 0x6d00,
  /** Class not supported. */
  CLA_NOT_SUPPORTED: 0x6e00,
  /** Technical problem, no precise diagnosis (also GET RESPONSE out of sequence, TS 102 221 §12.1.1.1). */
  NO_PRECISE_DIAGNOSIS: 0x6f00,
  /** Authentication error, incorrect MAC (TS 31.102 §7.3.1). */
  AUTH_MAC_FAILURE: 0x9862,
} as const;

/** Formats a status word as four lowercase hex digits, for messages and traces. */
export function swHex(sw: number): string {
  return (sw & 0xffff).toString(16).padStart(4, '0');
}
