/**
 * T=0 procedure answers as a PC/SC application must handle them itself (pcsclite does not):
 * `61xx` means "xx more bytes: send GET RESPONSE", `6Cxx` means "wrong Le: send again with Le = xx".
 */
import { concatBytes } from '@krypton-web/krypton-core';

/** Sends one APDU and returns its response; what `transmitT0` drives. */
export type SendApdu = (apdu: Uint8Array) => Promise<Uint8Array>;

/** Sends `apdu`, then follows `61xx` with GET RESPONSE and `6Cxx` with a resend, returning data then the final SW. */
export async function transmitT0(send: SendApdu, apdu: Uint8Array, maxRounds = 16): Promise<Uint8Array> {
  if (apdu.length < 4) throw new RangeError(`transmitT0: a command APDU has at least 4 bytes, got ${apdu.length}`);
  const cla = apdu[0]!;
  const data: Uint8Array[] = [];
  let command = apdu;
  for (let round = 0; round < maxRounds; round++) {
    const response = await send(command);
    if (response.length < 2) throw new RangeError(`transmitT0: response of ${response.length} byte(s) has no status word`);
    const sw1 = response[response.length - 2]!;
    const sw2 = response[response.length - 1]!;
    if (sw1 === 0x61) {
      data.push(response.subarray(0, response.length - 2));
      // GET RESPONSE keeps the logical channel bits of the original class byte.
      command = new Uint8Array([cla & 0x03, 0xc0, 0x00, 0x00, sw2]);
    } else if (sw1 === 0x6c && command.length <= 5) {
      // Only a command without data (case 1 or 2) can be resent with a new Le.
      command = new Uint8Array([...command.subarray(0, 4), sw2]);
    } else {
      return concatBytes(...data, response);
    }
  }
  throw new RangeError(`transmitT0: no final status word after ${maxRounds} exchanges`);
}
