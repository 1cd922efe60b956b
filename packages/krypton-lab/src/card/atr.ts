/**
 * The answer to reset of the virtual USIM (ISO/IEC 7816-3 §8, TS 102 221 §6.3).
 *
 *   3B           TS: direct convention
 *   9F           T0: TA1 and TD1 follow, 15 historical bytes
 *   96           TA1: Fi = 512, Di = 32 (a common UICC speed offer)
 *   80           TD1: TD2 follows; protocol T=0
 *   1F           TD2: TA3 follows; T=15 (global interface bytes)
 *   C7           TA3 (T=15): clock stop with no preference, supply classes A, B and C (TS 102 221 §6.3.3)
 *   80 ...       historical bytes (ISO/IEC 7816-4 §8.1.1): category 80, card service data 31 A0,
 *                card capabilities 73 BE 21 13, pre-issuing data 67 "KRYPTON"
 *   TCK          present because T=15 is announced (ISO/IEC 7816-3 §8.2.5)
 */
const ATR_BODY = [
  0x3b, 0x9f, 0x96, 0x80, 0x1f, 0xc7, 0x80, 0x31, 0xa0, 0x73, 0xbe, 0x21, 0x13, 0x67, 0x4b, 0x52, 0x59, 0x50, 0x54, 0x4f, 0x4e,
];

/** Returns the ATR of the virtual USIM (T=0 with T=15 global bytes and a correct TCK). */
export function usimAtr(): Uint8Array {
  const atr = new Uint8Array(ATR_BODY.length + 1);
  atr.set(ATR_BODY);
  // TCK makes the XOR of every byte from T0 to TCK zero (ISO/IEC 7816-3 §8.2.5).
  atr[ATR_BODY.length] = ATR_BODY.slice(1).reduce((x, b) => x ^ b, 0);
  return atr;
}

/** What an ATR announces, as far as a reader needs to know it. */
export interface AtrSummary {
  /** Protocols announced in TD bytes, in order (T=0 when no TD1 is present). */
  protocols: number[];
  historicalBytes: Uint8Array;
  /** Whether a TCK byte is present. */
  hasTck: boolean;
  /** Whether the XOR of T0..TCK is zero; true when no TCK is required. */
  tckValid: boolean;
}

/** Parses the interface bytes of an ATR; returns undefined when the bytes are not a complete ATR. */
export function parseAtr(atr: Uint8Array): AtrSummary | undefined {
  if (atr.length < 2 || (atr[0] !== 0x3b && atr[0] !== 0x3f)) return undefined;
  const t0 = atr[1]!;
  const historicalLength = t0 & 0x0f;
  const protocols: number[] = [];
  let y = t0 >> 4;
  let i = 2;
  for (;;) {
    // TAi, TBi, TCi are present when bits 5, 6, 7 of Y are set; TDi when bit 8 is.
    i += (y & 1) + ((y >> 1) & 1) + ((y >> 2) & 1);
    if ((y & 8) === 0) break;
    const td = atr[i];
    if (td === undefined) return undefined;
    protocols.push(td & 0x0f);
    y = td >> 4;
    i += 1;
  }
  if (protocols.length === 0) protocols.push(0);
  const historicalBytes = atr.slice(i, i + historicalLength);
  if (historicalBytes.length !== historicalLength) return undefined;
  const hasTck = protocols.some((p) => p !== 0);
  const end = i + historicalLength + (hasTck ? 1 : 0);
  if (atr.length !== end) return undefined;
  const tckValid = !hasTck || atr.slice(1).reduce((x, b) => x ^ b, 0) === 0;
  return { protocols, historicalBytes, hasTck, tckValid };
}
