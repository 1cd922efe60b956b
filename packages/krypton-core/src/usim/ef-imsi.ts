import { CodecError, decodeEfImsi } from '../bytes/index.ts';
import { KryptonError } from '../errors/index.ts';

/** Length of EF_IMSI (TS 31.102 §4.2.2). */
export const EF_IMSI_LENGTH = 9;

/** Decodes EF_IMSI (TS 31.102 §4.2.2) into its digits; a blank or invalid file is MALFORMED_ANSWER. */
export function decodeImsi(content: Uint8Array): string {
  try {
    return decodeEfImsi(content);
  } catch (e) {
    if (e instanceof CodecError) {
      throw new KryptonError(
        'MALFORMED_ANSWER',
        `The SIM's IMSI file could not be read (${e.message}); the SIM may be blank or not activated.`,
        'Use a provisioned SIM; if this one should work, ask its provider.',
      );
    }
    throw e;
  }
}
