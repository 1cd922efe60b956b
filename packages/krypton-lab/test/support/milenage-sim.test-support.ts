import { concatBytes, xorBytes, type Bytes } from '@krypton-web/krypton-core';
import { Milenage } from '../../src/milenage/index.ts';
import { cardKeys, type SimProfile } from '../../src/profiles/index.ts';

/**
 * The card side of AKA computed directly with Milenage, without a file system or SQN checks:
 * lets server tests run before (and independently of) the virtual USIM.
 */
export async function simRespond(
  profile: SimProfile,
  rand: Uint8Array,
  autn: Uint8Array,
): Promise<{ res: Bytes; ck: Bytes; sqn: Bytes; macOk: boolean }> {
  const keys = cardKeys(profile);
  const m = await Milenage.withOpc(keys.k, keys.opc);
  const out = await m.compute(rand, new Uint8Array(6), keys.amf);
  const sqn = xorBytes(autn.subarray(0, 6), out.ak);
  const { macA } = await m.f1(rand, sqn, autn.subarray(6, 8));
  return { res: out.res, ck: out.ck, sqn, macOk: macA.every((b, i) => b === autn[8 + i]) };
}

/** The AUTS a card answers when it refuses a stale SQN (TS 33.102 §6.3.3): SQN_MS ⊕ AK*, then MAC-S with AMF 0000. */
export async function simAuts(profile: SimProfile, rand: Uint8Array, sqnMs: Uint8Array): Promise<Bytes> {
  const keys = cardKeys(profile);
  const m = await Milenage.withOpc(keys.k, keys.opc);
  const { akStar } = await m.f2345(rand);
  const { macS } = await m.f1(rand, sqnMs, new Uint8Array(2));
  return concatBytes(xorBytes(sqnMs, akStar), macS);
}
