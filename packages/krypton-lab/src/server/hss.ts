import { concatBytes, constantTimeEqual, toHex, xorBytes, type Bytes } from '@krypton-web/krypton-core';
import { Milenage } from '../milenage/index.ts';
import { networkKeys, type ProfileSet, type SimProfile } from '../profiles/index.ts';
import { IND_COUNT, joinSqn, splitSqn, sqnFromBytes, sqnToBytes } from '../card/sqn-freshness.ts';

/** One authentication vector, as an HSS hands it to the serving network (TS 33.102 §6.3.2). */
export interface AuthVector {
  rand: Bytes;
  autn: Bytes;
  xres: Bytes;
  ck: Bytes;
  ik: Bytes;
  /** The SQN this vector carries (for traces and tests; never sent). */
  sqn: number;
}

interface Subscriber {
  profile: SimProfile;
  milenage: Milenage;
  amf: Bytes;
  /** SEQ_HE: the last SEQ issued (TS 33.102 Annex C.1.1, profile 1: one counter per subscriber). */
  seqHe: number;
  /** IND of the next vector; cycles through the array as Annex C.1.2 suggests. */
  nextInd: number;
}

const ZERO_AMF = new Uint8Array(2);

/**
 * The lab's home subscriber server: generates Milenage vectors with fresh SQNs and recovers from
 * a synchronisation failure by checking AUTS, the way a real HSS/AuC does.
 */
export class Hss {
  private readonly subscribers = new Map<string, Subscriber>();

  private constructor(private readonly randomBytes: (n: number) => Bytes) {}

  /** Builds an HSS holding every SIM of a profile set, with the network-side keys. */
  static async create(profiles: ProfileSet, randomBytes: (n: number) => Bytes = defaultRandom): Promise<Hss> {
    const hss = new Hss(randomBytes);
    for (const profile of profiles.sims) await hss.add(profile);
    return hss;
  }

  /** Adds or replaces one subscriber, starting from the SQN in its profile. */
  async add(profile: SimProfile): Promise<void> {
    const keys = networkKeys(profile);
    const { seq, ind } = splitSqn(sqnFromBytes(keys.sqn));
    this.subscribers.set(profile.imsi, {
      profile,
      milenage: await Milenage.withOpc(keys.k, keys.opc),
      amf: keys.amf,
      seqHe: seq,
      nextInd: (ind + 1) % IND_COUNT,
    });
  }

  /** The profile of a subscriber, or undefined when the IMSI is unknown. */
  profile(imsi: string): SimProfile | undefined {
    return this.subscribers.get(imsi)?.profile;
  }

  /** Generates a fresh vector: the next SEQ, the next IND, a random RAND. */
  async generateVector(imsi: string): Promise<AuthVector> {
    const sub = this.require(imsi);
    sub.seqHe += 1;
    const sqn = joinSqn(sub.seqHe, sub.nextInd);
    sub.nextInd = (sub.nextInd + 1) % IND_COUNT;
    const rand = this.randomBytes(16);
    const sqnBytes = sqnToBytes(sqn);
    const out = await sub.milenage.compute(rand, sqnBytes, sub.amf);
    const autn = concatBytes(xorBytes(sqnBytes, out.ak), sub.amf, out.macA);
    return { rand, autn, xres: out.res, ck: out.ck, ik: out.ik, sqn };
  }

  /**
   * Handles a synchronisation failure report (TS 33.102 §6.3.5): recovers SQN_MS from AUTS with
   * f5*, checks MAC-S with f1* (AMF = 0000), and on success moves SEQ_HE to SEQ_MS so the next
   * vector is fresh. Returns false when AUTS does not verify.
   */
  async resynchronise(imsi: string, rand: Uint8Array, auts: Uint8Array): Promise<boolean> {
    const sub = this.require(imsi);
    if (rand.length !== 16 || auts.length !== 14) return false;
    const { akStar } = await sub.milenage.f2345(rand);
    const sqnMsBytes = xorBytes(auts.subarray(0, 6), akStar);
    const { macS } = await sub.milenage.f1(rand, sqnMsBytes, ZERO_AMF);
    if (!constantTimeEqual(macS, auts.subarray(6, 14))) return false;
    const { seq, ind } = splitSqn(sqnFromBytes(sqnMsBytes));
    // Annex C.3.4: the HE resets SEQ_HE to SEQ_MS; the next vector then carries SEQ_MS + 1.
    sub.seqHe = seq;
    sub.nextInd = (ind + 1) % IND_COUNT;
    return true;
  }

  /** Lab fault: rewinds the subscriber's SEQ_HE so the next vector is stale and the SIM asks to resync. */
  forceDesync(imsi: string): void {
    const sub = this.require(imsi);
    // The next vector carries SEQ 0, which no card can accept (Annex C.2.1 needs SEQ > SEQ_MS(i) ≥ 0).
    sub.seqHe = -1;
  }

  /** Current SEQ_HE and next IND of a subscriber (for tests and the lab state endpoint). */
  sequenceState(imsi: string): { seqHe: number; nextInd: number; sqnHex: string } {
    const sub = this.require(imsi);
    return { seqHe: sub.seqHe, nextInd: sub.nextInd, sqnHex: toHex(sqnToBytes(joinSqn(sub.seqHe, sub.nextInd))) };
  }

  private require(imsi: string): Subscriber {
    const sub = this.subscribers.get(imsi);
    if (!sub) throw new RangeError(`unknown IMSI ${imsi}`);
    return sub;
  }
}

function defaultRandom(n: number): Bytes {
  return crypto.getRandomValues(new Uint8Array(n));
}
