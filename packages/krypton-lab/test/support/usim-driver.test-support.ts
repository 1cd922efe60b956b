/**
 * A deliberately small terminal-side driver for lab tests: IMSI read and AUTHENTICATE, with the
 * commands built and the answers parsed here rather than by krypton-core's USIM commands, so the
 * lab is checked against an independent reading of TS 31.102. Only the T=0 procedure (61xx, 6Cxx)
 * is core's `runT0`: the card's own T=0 answers are pinned byte for byte by its tests
 * (src/card/get-response.test.ts, t0-response.test.ts), so sharing it here hides no card fault.
 */
import { concatBytes, decodeEfImsi, fromHex, runT0, toHex, type Bytes } from '@krypton-web/krypton-core';
import type { VirtualCard } from '../../src/card/virtual-card.ts';

/** One physical APDU and the card's raw answer, in hex. */
export interface Exchange {
  command: string;
  response: string;
}

/** Sends one command through krypton-core's T=0 procedure (61xx → GET RESPONSE, 6Cxx → resend), recording every APDU. */
export async function transmit(card: VirtualCard, apdu: Bytes, log: Exchange[] = []): Promise<{ data: Bytes; sw: number }> {
  const { data, sw } = await runT0(async (command) => {
    const answer = await card.transmit(command);
    log.push({ command: toHex(command), response: toHex(answer) });
    return answer;
  }, apdu);
  return { data, sw };
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
export type AuthOutcome =
  { kind: 'ok'; res: Bytes; ck: Bytes; ik: Bytes; kc: Bytes } | { kind: 'sync'; auts: Bytes } | { kind: 'sw'; sw: number };

/** Runs AUTHENTICATE (TS 31.102 §7.1.2) and parses the DB / DC answer. */
export async function authenticate(card: VirtualCard, rand: Uint8Array, autn: Uint8Array, log: Exchange[] = []): Promise<AuthOutcome> {
  const apdu = concatBytes(fromHex('0088008122'), new Uint8Array([0x10]), rand, new Uint8Array([0x10]), autn);
  const { data, sw } = await transmit(card, apdu, log);
  if (sw !== 0x9000) return { kind: 'sw', sw };
  if (data[0] === 0xdc) return { kind: 'sync', auts: data.slice(2, 2 + data[1]!) };
  if (data[0] !== 0xdb) throw new Error(`AUTHENTICATE: unexpected tag ${data[0]}`);
  const fields: Bytes[] = [];
  for (let i = 1; i < data.length;) {
    const len = data[i]!;
    fields.push(data.slice(i + 1, i + 1 + len));
    i += 1 + len;
  }
  return { kind: 'ok', res: fields[0]!, ck: fields[1]!, ik: fields[2]!, kc: fields[3]! };
}
