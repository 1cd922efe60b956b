import { xorBytes, type Bytes } from '@krypton-web/krypton-core';
import { Milenage } from '../../src/milenage/index.ts';
import { cardKeys, type SimProfile } from '../../src/profiles/index.ts';

/**
 * The card side of AKA computed directly with Milenage, without a file system or SQN checks:
 * lets server tests run before (and independently of) the virtual USIM.
 */
export async function simRespond(profile: SimProfile, rand: Uint8Array, autn: Uint8Array): Promise<{ res: Bytes; ck: Bytes; sqn: Bytes; macOk: boolean }> {
  const keys = cardKeys(profile);
  const m = await Milenage.withOpc(keys.k, keys.opc);
  const out = await m.compute(rand, new Uint8Array(6), keys.amf);
  const sqn = xorBytes(autn.subarray(0, 6), out.ak);
  const { macA } = await m.f1(rand, sqn, autn.subarray(6, 8));
  return { res: out.res, ck: out.ck, sqn, macOk: macA.every((b, i) => b === autn[8 + i]) };
}
