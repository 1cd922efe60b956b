import type { Bytes } from '../bytes/index.ts';
import { malformed } from './malformed.ts';

/** What AUTHENTICATE in 3G context tells (TS 31.102 §7.1.2.1). */
export type AuthenticateResult =
  | {
      kind: 'success';
      /** RES, 4 to 16 bytes (TS 33.102 §6.3.2). */
      res: Bytes;
      /** Cipher key CK, 16 bytes. */
      ck: Bytes;
      /** Integrity key IK, 16 bytes. */
      ik: Bytes;
      /** GSM cipher key Kc, 8 bytes, when the card includes it (service n°27 "GSM access"). */
      kc?: Bytes;
    }
  | {
      kind: 'sync-failure';
      /** AUTS, 14 bytes: (SQN_MS ⊕ AK*) ‖ MAC-S, for the network to resynchronise (TS 33.102 §6.3.3). */
      auts: Bytes;
    };

const TAG_SUCCESS = 0xdb;
const TAG_SYNC_FAILURE = 0xdc;
const KEY_LENGTH = 16;
const KC_LENGTH = 8;
const AUTS_LENGTH = 14;

/**
 * Parses the answer of AUTHENTICATE in 3G context (TS 31.102 §7.1.2.1): `DB L RES L CK L IK [L Kc]`
 * or `DC L AUTS`. The answer must be consumed exactly; errors never quote the bytes (they are secret).
 */
export function parseAuthenticateResponse(data: Uint8Array): AuthenticateResult {
  if (data.length === 0) throw malformed('AUTHENTICATE: empty answer');
  let i = 1;
  const take = (what: string, min: number, max: number): Bytes => {
    if (i >= data.length) throw malformed(`AUTHENTICATE: ${what} is missing`);
    const length = data[i]!;
    if (length < min || length > max)
      throw malformed(`AUTHENTICATE: ${what} of ${length} bytes (${min === max ? min : `${min} to ${max}`} expected)`);
    if (i + 1 + length > data.length) throw malformed(`AUTHENTICATE: ${what} is cut short`);
    const value = data.slice(i + 1, i + 1 + length);
    i += 1 + length;
    return value;
  };
  const tag = data[0]!;
  if (tag === TAG_SYNC_FAILURE) {
    const auts = take('AUTS', AUTS_LENGTH, AUTS_LENGTH);
    if (i !== data.length) throw malformed('AUTHENTICATE: bytes after AUTS');
    return { kind: 'sync-failure', auts };
  }
  if (tag !== TAG_SUCCESS) throw malformed(`AUTHENTICATE: unknown answer tag ${tag.toString(16).toUpperCase().padStart(2, '0')}`);
  const res = take('RES', 4, 16);
  const ck = take('CK', KEY_LENGTH, KEY_LENGTH);
  const ik = take('IK', KEY_LENGTH, KEY_LENGTH);
  if (i === data.length) return { kind: 'success', res, ck, ik };
  const kc = take('Kc', KC_LENGTH, KC_LENGTH);
  if (i !== data.length) throw malformed('AUTHENTICATE: bytes after Kc');
  return { kind: 'success', res, ck, ik, kc };
}
