/**
 * What the modem firmware itself does with the SIM: read its identity at boot (as a real stick
 * does before anyone types AT+CIMI), verify PIN1 for AT+CPIN, and — on firmware that handles the
 * T=0 procedure bytes itself — collect `61xx`/`6Cxx` answers into one response.
 */
import { decodeEfIccid, decodeImsi, fromHex, toHex } from '@krypton-web/krypton-core';
import { USIM_AID } from '../card/index.ts';

/** The card operations the modem uses; `VirtualUsim` has them all. */
export interface ModemSim {
  transmit(apdu: Uint8Array): Promise<Uint8Array>;
  /** Whether PIN1 is enabled (with `pin1Verified`: what `AT+CPIN?` reports). */
  readonly pin1Enabled: boolean;
  /** Whether PIN1 has been verified since the card was powered. */
  readonly pin1Verified: boolean;
  /** PIN1 tries left; 0 means blocked (PUK needed). */
  readonly pin1TriesLeft: number;
}

/** The card's identity as the firmware read it at boot. */
export interface SimIdentity {
  /** EF_ICCID exactly as stored (swapped-nibble BCD), for the quirky `^ICCID:` of some firmware. */
  iccidFile: Uint8Array;
  iccid: string;
  /** Undefined while PIN1 guards EF_IMSI. */
  imsi: string | undefined;
}

/** Status word of a response APDU. */
export function statusWord(response: Uint8Array): number {
  return response.length < 2 ? 0x6f00 : (response[response.length - 2]! << 8) | response[response.length - 1]!;
}

/**
 * Sends an APDU and follows the T=0 procedure bytes as firmware does for its own commands:
 * `61xx` → GET RESPONSE for xx bytes (repeated while the card has more), `6Cxx` → the same command
 * again with Le = xx. The result is data then the final status word, as at APDU level.
 */
export async function transmitCollecting(sim: Pick<ModemSim, 'transmit'>, apdu: Uint8Array): Promise<Uint8Array> {
  let response = await sim.transmit(apdu);
  let sw = statusWord(response);
  if (sw >> 8 === 0x6c && apdu.length === 5) {
    const again = apdu.slice();
    again[4] = sw & 0xff;
    response = await sim.transmit(again);
    sw = statusWord(response);
  }
  const chunks: Uint8Array[] = [response.slice(0, -2)];
  // A card announces at most 256 bytes per 61xx; a cap stops a faulty card from looping forever.
  for (let round = 0; sw >> 8 === 0x61 && round < 64; round++) {
    // GET RESPONSE keeps the logical channel bits of the command's class (TS 102 221 §10.1.1).
    response = await sim.transmit(Uint8Array.of((apdu[0] ?? 0) & 0x03, 0xc0, 0x00, 0x00, sw & 0xff));
    sw = statusWord(response);
    chunks.push(response.slice(0, -2));
  }
  const length = chunks.reduce((n, c) => n + c.length, 0);
  const out = new Uint8Array(length + 2);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  out[length] = sw >> 8;
  out[length + 1] = sw & 0xff;
  return out;
}

const SW_OK = 0x9000;

/** SELECT by DF name with no data returned (P2=0C), as the firmware selects an application for itself. */
export function selectUsimCommand(aid: Uint8Array): Uint8Array {
  const apdu = new Uint8Array(5 + aid.length);
  apdu.set([0x00, 0xa4, 0x04, 0x0c, aid.length]);
  apdu.set(aid, 5);
  return apdu;
}
const SW_SECURITY = 0x6982;

/**
 * SELECT without FCP, as firmware prefers; a card that only returns the FCP (`6A86`/`6B00` to P2=0C,
 * TS 102 221 Table 11.2) is asked again with P2=04 and its FCP collected and dropped.
 */
async function selectQuietly(sim: Pick<ModemSim, 'transmit'>, hex: string): Promise<Uint8Array> {
  const apdu = fromHex(hex);
  const first = await transmitCollecting(sim, apdu);
  const sw = statusWord(first);
  if (apdu[3] !== 0x0c || (sw !== 0x6a86 && sw !== 0x6b00)) return first;
  const withFcp = apdu.slice();
  withFcp[3] = 0x04;
  const answer = await transmitCollecting(sim, withFcp);
  return statusWord(answer) === SW_OK ? Uint8Array.of(0x90, 0x00) : answer;
}

/** Thrown when the card will not give the firmware its identity (EF_ICCID unreadable). */
export class SimReadError extends Error {
  override readonly name = 'SimReadError';
}

/**
 * Reads EF_ICCID and EF_IMSI with SELECT P2=0C (no FCP, so no GET RESPONSE) and READ BINARY, as
 * a modem does at boot. A PIN-guarded EF_IMSI leaves `imsi` undefined rather than failing.
 */
export async function readSimIdentity(sim: Pick<ModemSim, 'transmit'>): Promise<SimIdentity> {
  const step = async (hex: string): Promise<Uint8Array> => transmitCollecting(sim, fromHex(hex));
  // By path from the MF in one command; a card that refuses paths is walked: MF, then EF_ICCID.
  const byPath = await selectQuietly(sim, '00a4080c022fe2');
  if (statusWord(byPath) !== SW_OK) {
    await selectQuietly(sim, '00a4000c023f00');
    await selectQuietly(sim, '00a4000c022fe2');
  }
  const iccidAnswer = await step('00b000000a');
  if (statusWord(iccidAnswer) !== SW_OK) throw new SimReadError(`READ BINARY EF_ICCID answered ${swText(iccidAnswer)}`);
  const iccidFile = iccidAnswer.slice(0, -2);
  const iccid = decodeEfIccid(iccidFile);
  return { iccidFile, iccid, imsi: await readImsi(sim) };
}

/** Reads EF_IMSI (after selecting the USIM); undefined when PIN1 guards it. */
export async function readImsi(sim: Pick<ModemSim, 'transmit'>): Promise<string | undefined> {
  const step = async (hex: string): Promise<Uint8Array> => transmitCollecting(sim, fromHex(hex));
  const selected = await selectQuietly(sim, `00a4040c${USIM_AID.length.toString(16).padStart(2, '0')}${toHex(USIM_AID)}`);
  if (statusWord(selected) !== SW_OK) throw new SimReadError(`SELECT ADF USIM answered ${swText(selected)}`);
  await selectQuietly(sim, '00a4000c026f07');
  const answer = await step('00b0000009');
  const sw = statusWord(answer);
  if (sw === SW_SECURITY) return undefined;
  if (sw !== SW_OK) throw new SimReadError(`READ BINARY EF_IMSI answered ${swText(answer)}`);
  return decodeImsi(answer.slice(0, -2));
}

/** VERIFY PIN1 (TS 102 221 §11.1.9): the PIN as ASCII digits padded with FF to 8 bytes; returns the status word. */
export async function verifyPin1(sim: Pick<ModemSim, 'transmit'>, pin: string): Promise<number> {
  const block = new Uint8Array(8).fill(0xff);
  for (let i = 0; i < pin.length && i < 8; i++) block[i] = pin.charCodeAt(i);
  const apdu = new Uint8Array(13);
  apdu.set([0x00, 0x20, 0x00, 0x01, 0x08]);
  apdu.set(block, 5);
  return statusWord(await sim.transmit(apdu));
}

function swText(response: Uint8Array): string {
  return statusWord(response).toString(16).padStart(4, '0');
}
