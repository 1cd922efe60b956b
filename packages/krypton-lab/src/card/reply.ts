import { SW } from './status-words.ts';

/** What a command handler answers, before the link convention (T=0 or T=1) shapes the bytes. */
export interface Reply {
  readonly sw: number;
  readonly data: Uint8Array;
  /**
   * The data of a case 4 command (SELECT with FCP, AUTHENTICATE). On T=0 the card cannot send it with
   * the command, so it answers `61xx` and keeps the data for GET RESPONSE (TS 102 221 §7.3.1.1.4).
   */
  readonly outgoing: boolean;
}

const EMPTY = new Uint8Array(0);

/** A reply made of a status word and optional data returned with it. */
export function reply(sw: number, data: Uint8Array = EMPTY): Reply {
  return { sw, data, outgoing: false };
}

/** A successful case 4 reply whose data goes out through GET RESPONSE on T=0. */
export function outgoing(data: Uint8Array): Reply {
  return { sw: SW.OK, data, outgoing: true };
}
