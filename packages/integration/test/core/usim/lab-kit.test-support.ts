/**
 * Test support: the lab's virtual USIM behind MemoryCardTransport, with a transcript of every APDU
 * the card processed, and a network side that builds AUTN and the expected RES/CK/IK/Kc with the
 * lab's Milenage, as an HSS would.
 */
import {
  demoProfileSet,
  findSim,
  Milenage,
  networkKeys,
  VirtualUsim,
  type SimProfile,
  type VirtualUsimOptions,
} from '@krypton-web/krypton-lab/browser';
import { MemoryCardTransport, type MemoryCard } from '@krypton-web/sim-transport';
import { concatBytes, fromHex, toHex, xorBytes, type Bytes } from '@krypton-web/krypton-core';
import { Tracer, type TraceEvent } from '@krypton-web/krypton-core';
import { Usim, type UsimOptions } from '@krypton-web/krypton-core';

/** A demo SIM, its transport, a Usim over it, the card transcript and the trace events. */
export interface LabRig {
  profile: SimProfile;
  card: VirtualUsim;
  transport: MemoryCardTransport;
  usim: Usim;
  /** `=> command` / `<= response` lines (upper-case hex), two per APDU that crossed the link. */
  transcript: string[];
  /** Trace events the Usim emitted. */
  events: TraceEvent[];
  /** APDUs that crossed the link so far. */
  count(): number;
}

/** Builds the rig for a demo SIM (demo, demo-pin, demo-blocked, demo-even, demo-foreign). */
export async function labRig(
  name: string,
  options: { card?: VirtualUsimOptions; wrap?: (card: MemoryCard) => MemoryCard; usim?: Omit<UsimOptions, 'tracer'> } = {},
): Promise<LabRig> {
  const profile = findSim(demoProfileSet(), name);
  const transcript: string[] = [];
  const card = await VirtualUsim.create(profile, options.card);
  const inner: MemoryCard = options.wrap ? options.wrap(card) : card;
  // Recorded at the link, outside any wrapper, so refused shortcuts show up too.
  const recorder: MemoryCard = {
    transmit: async (command) => {
      const response = await inner.transmit(command);
      transcript.push(`=> ${toHex(command).toUpperCase()}`, `<= ${toHex(response).toUpperCase()}`);
      return response;
    },
  };
  const transport = new MemoryCardTransport(recorder);
  const events: TraceEvent[] = [];
  const usim = new Usim(transport, { ...options.usim, tracer: new Tracer((e) => events.push(e)) });
  return { profile, card, transport, usim, transcript, events, count: () => transcript.length / 2 };
}

/** What the network sends and expects for one challenge. */
export interface Vector {
  rand: Bytes;
  autn: Bytes;
  res: Bytes;
  ck: Bytes;
  ik: Bytes;
  kc: Bytes;
  /** The SQN used (6 bytes). */
  sqn: Bytes;
}

/** SQN bytes from SEQ and IND (SQN = SEQ ‖ IND with 5 IND bits, TS 33.102 Annex C.3.2). */
export function sqnOf(seq: number, ind: number): Bytes {
  const out = new Uint8Array(6);
  for (let i = 5, v = seq * 32 + ind; i >= 0; i--, v = Math.floor(v / 256)) out[i] = v % 256;
  return out;
}

/** Builds a vector with the network's keys for the profile (TS 33.102 §6.3.2): AUTN = SQN⊕AK ‖ AMF ‖ MAC-A. */
export async function vectorFor(
  profile: SimProfile,
  sqn: Bytes,
  rand: Bytes = fromHex('0123456789abcdef0123456789abcdef'),
): Promise<Vector> {
  const keys = networkKeys(profile);
  const m = await Milenage.withOpc(keys.k, keys.opc);
  const out = await m.compute(rand, sqn, keys.amf);
  const autn = concatBytes(xorBytes(sqn, out.ak), keys.amf, out.macA);
  // Kc = c3(CK, IK) (TS 33.102 §6.8.1.2): CK1 ⊕ CK2 ⊕ IK1 ⊕ IK2.
  const kc = xorBytes(xorBytes(out.ck.slice(0, 8), out.ck.slice(8)), xorBytes(out.ik.slice(0, 8), out.ik.slice(8)));
  return { rand, autn, res: out.res, ck: out.ck, ik: out.ik, kc, sqn };
}

/** The SQN of the profile plus `steps` SEQ steps at IND 0: fresh for a card that accepted the profile's SQN. */
export function freshSqn(profile: SimProfile, steps = 1): Bytes {
  const start = fromHex(profile.sqn).reduce((n, b) => n * 256 + b, 0);
  return sqnOf(Math.floor(start / 32) + steps, 0);
}
