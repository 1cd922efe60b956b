import { concatBytes, wipe, type Bytes } from '../bytes/index.ts';
import { KryptonError } from '../errors/index.ts';
import { hasCommandData, withLe } from './command-apdu.ts';
import { parseResponseApdu, responseApdu, type ResponseApdu } from './response-apdu.ts';

/** Sends one physical command APDU and resolves with the card's raw answer (data ‖ SW1 ‖ SW2). */
export type SendApdu = (command: Bytes) => Promise<Uint8Array>;

/** Options of the T=0 procedure. */
export interface T0Options {
  /** Most physical APDUs for one command (default 16); a card that keeps asking is an error, not a hang. */
  maxRounds?: number;
  /** Overwrite the intermediate response buffers once assembled (AUTHENTICATE answers hold RES, CK, IK). */
  secret?: boolean;
  /**
   * The caller does not want the response data (a SELECT that had to ask for the FCP it will not read):
   * a `61xx` already reports normal processing (TS 102 221 §7.3.1.1.4), so no GET RESPONSE is sent and
   * the answer is `9000` without data. Data the card sends at once (T=1) is still returned.
   */
  skipResponseData?: boolean;
}

/** Default bound on physical APDUs per command: 16 rounds carry up to 4 KiB, far above any USIM answer. */
export const DEFAULT_MAX_ROUNDS = 16;

const INS_GET_RESPONSE = 0xc0;

/**
 * Runs one command through the T=0 procedure, written once for every link (ISO 7816-3 §12.2,
 * TS 102 221 §7.3.1.1): `61xx` → GET RESPONSE with Le = xx, data accumulated across several `61xx`;
 * `9Fxx` (GSM 11.11 §9.4.1) the same; `6Cxx` → the same command again with Le = xx, only when it has
 * no data field (ISO 7816-3 §12.2.2). Any other answer ends the exchange. Cards that answer data and
 * `9000` at once (T=1, many modems) pass straight through.
 */
export async function runT0(send: SendApdu, command: Bytes, options: T0Options = {}): Promise<ResponseApdu> {
  const maxRounds = options.maxRounds ?? DEFAULT_MAX_ROUNDS;
  if (command.length < 4)
    throw new KryptonError(
      'BAD_INPUT',
      'A SIM command needs at least 4 bytes.',
      'This is a bug in Krypton Web; report it with the steps that led here.',
    );
  const cla = command[0]!;
  const parts: Uint8Array[] = [];
  const raws: Uint8Array[] = [];
  let next = command;
  try {
    for (let round = 0; round < maxRounds; round++) {
      const raw = await send(next);
      raws.push(raw);
      const r = parseResponseApdu(raw);
      if ((r.sw1 === 0x61 || r.sw1 === 0x9f) && options.skipResponseData === true) {
        parts.push(r.data);
        return responseApdu(concatBytes(...parts), 0x9000);
      }
      if (r.sw1 === 0x61 || r.sw1 === 0x9f) {
        parts.push(r.data);
        next = getResponse(cla, r.sw2);
      } else if (r.sw1 === 0x6c && !hasCommandData(next)) {
        next = withLe(next, r.sw2 === 0 ? 256 : r.sw2);
      } else {
        parts.push(r.data);
        return responseApdu(concatBytes(...parts), r.sw);
      }
    }
  } finally {
    if (options.secret) for (const b of [...raws, ...parts]) wipe(b);
  }
  throw new KryptonError(
    'CARD_ERROR',
    `The SIM kept asking for more exchanges (${maxRounds} APDUs for one command).`,
    'Reinsert the card (or reconnect the modem) and try again; if it keeps happening, the card may be faulty.',
  );
}

/** GET RESPONSE for `61xx`/`9Fxx` (TS 102 221 §11.1.1.4.0 / ISO 7816-4 §7.6.1): Le = xx, 00 meaning 256. */
export function getResponse(commandCla: number, sw2: number): Bytes {
  return Uint8Array.of(getResponseClass(commandCla), INS_GET_RESPONSE, 0x00, 0x00, sw2);
}

/**
 * The class byte of GET RESPONSE: A0 for GSM-era commands (GSM 11.11 §9.2), otherwise the interindustry
 * class on the command's logical channel (TS 102 221 §10.1.1): `0X`/`8X` keep channel bits b2..b1,
 * `4X`..`7X` keep b7 and b4..b1.
 */
export function getResponseClass(commandCla: number): number {
  if (commandCla === 0xa0) return 0xa0;
  if ((commandCla & 0x40) !== 0) return commandCla & 0x4f;
  return commandCla & 0x03;
}
