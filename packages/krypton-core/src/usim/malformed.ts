import { KryptonError } from '../errors/index.ts';

/** The one error the USIM parsers throw: the card's answer does not have the structure the spec gives it. */
export function malformed(what: string): KryptonError {
  return new KryptonError(
    'MALFORMED_ANSWER',
    `The SIM's answer could not be read: ${what}.`,
    'Reinsert the card and try again; if it keeps happening, the card may not be a standard USIM.',
  );
}
