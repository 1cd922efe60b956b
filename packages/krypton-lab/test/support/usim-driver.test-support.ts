import { concatBytes, decodeEfImsi, fromHex, toHex, type Bytes } from '@krypton-web/krypton-core';
import { transmitT0 } from '../../src/testing/t0.ts';
import type { VirtualCard } from '../../src/card/virtual-card.ts';

/**
 * A deliberately small card-side driver for lab tests: T=0 GET RESPONSE handling, IMSI read and
 * AUTHENTICATE. The product's real implementation lives in krypton-core; this one exists so the
 * lab can be tested on its own, with nothing but the APDUs a terminal would send.
 */
export interface Exchange {
  command: string;
  response: string;
}

/** Sends one command through the lab's T=0 helper (61xx → GET RESPONSE, 6Cxx → resend), recording every APDU. */
export async function transmit(card: VirtualCard, apdu: Uint8Array, log: Exchange[] = []): Promise<{ data: Bytes; sw: number }> {
  const response = await transmitT0(async (command) => {
    const answer = await card.transmit(command);
    log.push({ command: toHex(command), response: toHex(answer) });
    return answer;
  }, apdu);
  const sw = (response[response.length - 2]! << 8) | response[response.length - 1]!;
  return { data: response.slice(0, response.length - 2), sw };
}

/** Selects the USIM by its registered AID prefix and reads EF_IMSI. */
export async function readImsi(card: VirtualCard, log: Exchange[] = []): Promise<string> {
  const select = await transmit(card, fromHex('00a4040407a0000000871002'), log);
  if (select.sw !== 0x9000) throw new Error(`SELECT USIM: ${select.sw.toString(16)}`);
  const ef = await transmit(card, fromHex('00a4000c026f07'), log);
  if (ef.sw !== 0x9000) throw new Error(`SELECT EF_IMSI: ${ef.sw.toString(16)}`);
  const read = await transmit(card, fromHex('00b0000009'), log);
  if (read.sw !== 0x9000) throw new Error(`READ BINARY: ${read.sw.toString(16)}`);
  return decodeEfImsi(read.data);
}

/** The outcome of AUTHENTICATE in 3G context. */
export type AuthOutcome = { kind: 'ok'; res: Bytes; ck: Bytes; ik: Bytes; kc: Bytes } | { kind: 'sync'; auts: Bytes } | { kind: 'sw'; sw: number };

/** Runs AUTHENTICATE (TS 31.102 §7.1.2) and parses the DB / DC answer. */
export async function authenticate(card: VirtualCard, rand: Uint8Array, autn: Uint8Array, log: Exchange[] = []): Promise<AuthOutcome> {
  const apdu = concatBytes(fromHex('0088008122'), new Uint8Array([0x10]), rand, new Uint8Array([0x10]), autn);
  const { data, sw } = await transmit(card, apdu, log);
  if (sw !== 0x9000) return { kind: 'sw', sw };
  if (data[0] === 0xdc) return { kind: 'sync', auts: data.slice(2, 2 + data[1]!) };
  if (data[0] !== 0xdb) throw new Error(`AUTHENTICATE: unexpected tag ${data[0]}`);
  const fields: Bytes[] = [];
  for (let i = 1; i < data.length; ) {
    const len = data[i]!;
    fields.push(data.slice(i + 1, i + 1 + len));
    i += 1 + len;
  }
  return { kind: 'ok', res: fields[0]!, ck: fields[1]!, ik: fields[2]!, kc: fields[3]! };
}
