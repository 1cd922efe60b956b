import type { Bytes } from '../bytes/index.ts';
import { KryptonError } from '../errors/index.ts';

/** Length of a PIN or PUK block (TS 102 221 §9.5.1). */
export const PIN_BLOCK_LENGTH = 8;

/**
 * Encodes a PIN (4 to 8 digits) or PUK (8 digits) as TS 102 221 §9.5.1 sends it: ASCII digits, `FF`
 * padding. Anything else is refused with BAD_INPUT before it can reach the card.
 */
export function encodePinBlock(code: string, kind: 'PIN' | 'PUK'): Bytes {
  const pattern = kind === 'PIN' ? /^[0-9]{4,8}$/ : /^[0-9]{8}$/;
  if (!pattern.test(code)) {
    throw new KryptonError(
      'BAD_INPUT',
      kind === 'PIN' ? 'A SIM PIN has 4 to 8 digits.' : 'A SIM PUK has 8 digits.',
      `Type the ${kind} again, digits only.`,
    );
  }
  const block = new Uint8Array(PIN_BLOCK_LENGTH).fill(0xff);
  for (let i = 0; i < code.length; i++) block[i] = code.charCodeAt(i);
  return block;
}
