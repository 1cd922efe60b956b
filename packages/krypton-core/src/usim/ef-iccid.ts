import { CodecError, fromSwappedBcd } from '../bytes/index.ts';
import { malformed } from './malformed.ts';

/** Length of EF_ICCID (TS 102 221 §13.2). */
export const EF_ICCID_LENGTH = 10;

/**
 * Decodes EF_ICCID (TS 102 221 §13.2): 10 bytes of swapped-nibble BCD, `F` filling the tail.
 * ITU-T E.118 numbers have 18 to 20 digits; anything else, or an `F` followed by a digit, is malformed.
 */
export function decodeEfIccid(content: Uint8Array): string {
  if (content.length !== EF_ICCID_LENGTH) throw malformed(`EF_ICCID of ${content.length} bytes (${EF_ICCID_LENGTH} expected)`);
  let digits: string;
  try {
    digits = fromSwappedBcd(content);
  } catch (e) {
    if (e instanceof CodecError) throw malformed('EF_ICCID holds a non-digit');
    throw e;
  }
  // Every nibble after the last digit must be filler.
  for (let n = digits.length; n < EF_ICCID_LENGTH * 2; n++) {
    const b = content[n >> 1]!;
    if (((n & 1) === 0 ? b & 0x0f : b >> 4) !== 0x0f) throw malformed('EF_ICCID has digits after its filler');
  }
  if (digits.length < 18) throw malformed(`EF_ICCID holds ${digits.length} digits (18 to 20 expected)`);
  return digits;
}
