/**
 * Helpers for the card's tests (not part of the public API): hex in/out exchanges, a flat TLV reader
 * for FCP assertions, and a network side that builds AUTN with Milenage as an HSS would.
 */
import { concatBytes, fromHex, toHex, xorBytes } from '@krypton-web/krypton-core';
import { Milenage } from '../milenage/index.ts';
import { demoProfileSet, findSim, networkKeys, type SimProfile } from '../profiles/index.ts';
import { VirtualUsim, type VirtualUsimOptions } from './virtual-usim.ts';

/** Builds a card from one of the demo SIMs (demo, demo-pin, demo-blocked, demo-even, demo-foreign). */
export async function demoCard(name: string, options: VirtualUsimOptions = {}): Promise<{ card: VirtualUsim; profile: SimProfile }> {
  const profile = findSim(demoProfileSet(), name);
  return { card: await VirtualUsim.create(profile, options), profile };
}

/** Sends hex (spaces allowed) and returns the response as lowercase hex. */
export async function send(card: VirtualUsim, hex: string): Promise<string> {
  return toHex(await card.transmit(fromHex(hex.replace(/\s+/g, ''))));
}

/** Sends several APDUs in order and returns the last response. */
export async function sendAll(card: VirtualUsim, ...hex: string[]): Promise<string> {
  let last = '';
  for (const h of hex) last = await send(card, h);
  return last;
}

/** The status word (last four hex digits) of a response. */
export function swOf(responseHex: string): string {
  return responseHex.slice(-4);
}

/** The data (all but the status word) of a response. */
export function dataOf(responseHex: string): string {
  return responseHex.slice(0, -4);
}

/** Reads the top-level TLVs of a constructed value (one-byte tags, short lengths), in order. */
export function readTlvs(bytes: Uint8Array): { tag: number; value: Uint8Array }[] {
  const out: { tag: number; value: Uint8Array }[] = [];
  let i = 0;
  while (i < bytes.length) {
    const tag = bytes[i]!;
    let len = bytes[i + 1]!;
    let head = 2;
    if (len === 0x81) {
      len = bytes[i + 2]!;
      head = 3;
    }
    if (i + head + len > bytes.length) throw new Error(`TLV ${tag.toString(16)} overruns at ${i}`);
    out.push({ tag, value: bytes.slice(i + head, i + head + len) });
    i += head + len;
  }
  return out;
}

/** Decodes an FCP template (`62 L ...`) into tag → value (hex) for its top-level objects. */
export function fcpFields(fcpHex: string): Map<number, string> {
  const [outer] = readTlvs(fromHex(fcpHex));
  if (!outer || outer.tag !== 0x62) throw new Error(`not an FCP template: ${fcpHex}`);
  return new Map(readTlvs(outer.value).map((t) => [t.tag, toHex(t.value)]));
}

/** The network side of AKA for one profile: AUTN built from the HSS's K/OPc (TS 33.102 §6.3.2). */
export async function networkAutn(profile: SimProfile, rand: Uint8Array, sqn: Uint8Array, amf = fromHex(profile.amf)): Promise<Uint8Array> {
  const keys = networkKeys(profile);
  const m = await Milenage.withOpc(keys.k, keys.opc);
  const out = await m.compute(rand, sqn, amf);
  return concatBytes(xorBytes(sqn, out.ak), amf, out.macA);
}

/** An AUTHENTICATE APDU in 3G context: `00 88 00 81 22 10 RAND 10 AUTN`. */
export function authenticateApdu(rand: Uint8Array, autn: Uint8Array): string {
  return '0088008122' + '10' + toHex(rand) + '10' + toHex(autn);
}

/** SQN bytes from SEQ and IND (SQN = SEQ ‖ IND, IND 5 bits). */
export function sqnOf(seq: number, ind: number): Uint8Array {
  const value = seq * 32 + ind;
  const out = new Uint8Array(6);
  for (let i = 5, v = value; i >= 0; i--, v = Math.floor(v / 256)) out[i] = v % 256;
  return out;
}

/** Selects the USIM ADF by full AID without FCP and returns the status word. */
export async function selectUsim(card: VirtualUsim): Promise<string> {
  return swOf(await send(card, '00a404 0c 10 a0000000871002ff44ff1289000000ff'));
}
