import { reply, type Reply } from './reply.ts';
import { SW } from './status-words.ts';

/** The answer to GET RESPONSE and the data that stays pending after it. */
export interface GetResponseResult {
  readonly reply: Reply;
  readonly pending: Uint8Array | undefined;
}

/**
 * GET RESPONSE on T=0 (TS 102 221 §12.1.1, ISO/IEC 7816-3 §12.2.2), Le from P3 (0 meaning 256):
 * - nothing pending (not right after a command with response data): 6F00;
 * - Le equal to the data pending, or 256 with 256 or more pending: the data and 9000 (or 61xx for the rest);
 * - Le smaller: Le bytes and 61xx with what remains (at most `chunk`, for a card that chains);
 * - Le larger, including 00 with fewer than 256 pending: 6Cxx with the exact length, data kept pending.
 */
export function getResponse(pending: Uint8Array | undefined, le: number, chunk = 256): GetResponseResult {
  if (pending === undefined || pending.length === 0) return { reply: reply(SW.NO_PRECISE_DIAGNOSIS), pending: undefined };
  if (le > pending.length) return { reply: reply(SW.WRONG_LE | pending.length), pending };
  const data = pending.slice(0, le);
  const rest = pending.slice(le);
  if (rest.length === 0) return { reply: reply(SW.OK, data), pending: undefined };
  // A chaining card announces no more than one chunk at a time (`chunk`), whatever remains.
  return { reply: reply(SW.BYTES_AVAILABLE | (Math.min(rest.length, chunk) & 0xff), data), pending: rest };
}

/**
 * Answers a case 2 command whose data has one exact length (STATUS, READ RECORD), Le from P3 (0 = 256).
 * On T=0 a different Le gets 6Cxx, so the terminal resends with the exact P3 (TS 102 221 §7.3.1.1.5);
 * in T=1 form (APDU level) Le is a maximum, so a larger one, or 00, returns the data.
 */
export function exactLength(data: Uint8Array, le: number, t0: boolean): Reply {
  if (le === data.length) return reply(SW.OK, data);
  if (!t0 && le > data.length) return reply(SW.OK, data);
  return reply(SW.WRONG_LE | (data.length & 0xff));
}
