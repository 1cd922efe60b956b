import { concatBytes, constantTimeEqual, wipe, xorBytes } from '@krypton-web/krypton-core';
import { kcFromCkIk, sresFromRes, type Milenage } from '../milenage/index.ts';
import { commandData, type CommandApdu } from './apdu.ts';
import type { CardSession } from './card-session.ts';
import { outgoing, reply, type Reply } from './reply.ts';
import { sqnFromBytes, sqnToBytes, type SqnFreshness } from './sqn-freshness.ts';
import { SW } from './status-words.ts';

/** P2 of AUTHENTICATE (TS 31.102 §7.1.2): specific reference data, GSM or 3G security context. */
const CONTEXT_GSM = 0x80;
const CONTEXT_3G = 0x81;
/** Tags of the response (TS 31.102 §7.1.2.1): successful 3G/GSM-with-3G, synchronisation failure. */
const TAG_SUCCESS = 0xdb;
const TAG_SYNC_FAILURE = 0xdc;
/** AMF used for MAC-S in AUTS (TS 33.102 §6.3.3: the dummy value 0000). */
const RESYNC_AMF = new Uint8Array(2);

/** The card's authentication secrets and SQN state. */
export interface AuthenticationState {
  readonly milenage: Milenage;
  readonly sqn: SqnFreshness;
}

/** What the USIM concludes from one RAND/AUTN in 3G context (TS 33.102 §6.3.3). */
export type AkaResult =
  | { kind: 'success'; res: Uint8Array; ck: Uint8Array; ik: Uint8Array; kc: Uint8Array }
  | { kind: 'sync-failure'; auts: Uint8Array }
  | { kind: 'mac-failure' };

/**
 * Runs the USIM side of AKA: AK = f5(RAND), SQN = (SQN ⊕ AK) ⊕ AK, MAC-A = f1(SQN, RAND, AMF) must match,
 * then SQN must be fresh (Annex C); a stale SQN gives AUTS = (SQN_MS ⊕ AK*) ‖ f1*(SQN_MS, RAND, 0000).
 * A fresh SQN is recorded before RES, CK, IK and Kc are returned.
 */
export async function runAka(state: AuthenticationState, rand: Uint8Array, autn: Uint8Array): Promise<AkaResult> {
  const keys = await state.milenage.f2345(rand);
  const sqn = xorBytes(autn.subarray(0, 6), keys.ak);
  const amf = autn.slice(6, 8);
  const { macA } = await state.milenage.f1(rand, sqn, amf);
  wipe(keys.ak);
  if (!constantTimeEqual(macA, autn.subarray(8, 16))) {
    wipeAll(keys.res, keys.ck, keys.ik, keys.akStar);
    return { kind: 'mac-failure' };
  }
  const sqnValue = sqnFromBytes(sqn);
  if (state.sqn.check(sqnValue) !== 'fresh') {
    wipeAll(keys.res, keys.ck, keys.ik);
    const sqnMs = sqnToBytes(state.sqn.highestSqn);
    const { macS } = await state.milenage.f1(rand, sqnMs, RESYNC_AMF);
    const auts = concatBytes(xorBytes(sqnMs, keys.akStar), macS);
    wipe(keys.akStar);
    return { kind: 'sync-failure', auts };
  }
  state.sqn.accept(sqnValue);
  wipe(keys.akStar);
  return { kind: 'success', res: keys.res, ck: keys.ck, ik: keys.ik, kc: kcFromCkIk(keys.ck, keys.ik) };
}

/**
 * AUTHENTICATE (TS 31.102 §7.1.2): needs the USIM as active application (`6985`) and PIN1 satisfied
 * (`6982`). 3G context: `10 RAND 10 AUTN` → `DB 08 RES 10 CK 10 IK 08 Kc`, `DC 0E AUTS`, or `9862`.
 * GSM context: `10 RAND` → `04 SRES 08 Kc`. The data goes out through `61xx` on T=0.
 */
export async function authenticate(apdu: CommandApdu, session: CardSession, state: AuthenticationState): Promise<Reply> {
  if (apdu.p1 !== 0x00 || (apdu.p2 !== CONTEXT_3G && apdu.p2 !== CONTEXT_GSM)) return reply(SW.WRONG_P1P2_FUNCTION);
  const data = commandData(apdu);
  if (data === undefined) return reply(SW.WRONG_LENGTH);
  // The data field is length-prefixed values: RAND (16) then, in 3G context, AUTN (16).
  const wellFormed =
    apdu.p2 === CONTEXT_3G ? data.length === 34 && data[0] === 16 && data[17] === 16 : data.length === 17 && data[0] === 16;
  if (!wellFormed) return reply(SW.WRONG_LENGTH);
  // The command runs in the context of the active application (TS 102 221 §8.5, TS 31.102 §7.1.2):
  // the USIM must have been selected since the last reset; selecting the MF afterwards does not end it.
  if (session.selection.application !== session.tree.adfUsim) return reply(SW.CONDITIONS_NOT_SATISFIED);
  if (!session.pin1.satisfied) return reply(SW.SECURITY_NOT_SATISFIED);

  const rand = data.slice(1, 17);
  if (apdu.p2 === CONTEXT_GSM) {
    // GSM security context (TS 31.102 §7.1.2.2): SRES = c2(RES), Kc = c3(CK, IK) (TS 33.102 §6.8.1.2); no SQN check.
    const keys = await state.milenage.f2345(rand);
    const answer = concatBytes(Uint8Array.of(4), sresFromRes(keys.res), Uint8Array.of(8), kcFromCkIk(keys.ck, keys.ik));
    wipeAll(keys.res, keys.ck, keys.ik, keys.ak, keys.akStar);
    return outgoing(answer);
  }
  const result = await runAka(state, rand, data.slice(18, 34));
  switch (result.kind) {
    case 'mac-failure':
      return reply(SW.AUTH_MAC_FAILURE);
    case 'sync-failure':
      return outgoing(concatBytes(Uint8Array.of(TAG_SYNC_FAILURE, result.auts.length), result.auts));
    case 'success': {
      const { res, ck, ik, kc } = result;
      const answer = concatBytes(
        Uint8Array.of(TAG_SUCCESS, res.length),
        res,
        Uint8Array.of(ck.length),
        ck,
        Uint8Array.of(ik.length),
        ik,
        Uint8Array.of(kc.length),
        kc,
      );
      wipeAll(res, ck, ik, kc);
      return outgoing(answer);
    }
  }
}

function wipeAll(...buffers: Uint8Array[]): void {
  for (const b of buffers) wipe(b);
}
