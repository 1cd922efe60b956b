export type { VirtualCard } from './virtual-card.ts';
export { VirtualUsim, type VirtualUsimOptions, type ApduExchange, type UsimPersistentState } from './virtual-usim.ts';
export { usimAtr, parseAtr, type AtrSummary } from './atr.ts';
export { SW, swHex } from './status-words.ts';
export { USIM_AID, FID, EF_DIR_RECORD_LENGTH, applicationTemplate, msisdnRecord } from './usim-file-tree.ts';
export { runAka, type AkaResult } from './authenticate.ts';
export {
  SqnFreshness,
  IND_BITS,
  IND_COUNT,
  SEQ_DELTA,
  sqnFromBytes,
  sqnToBytes,
  splitSqn,
  joinSqn,
  type SqnState,
  type SqnVerdict,
} from './sqn-freshness.ts';
export { decodePinBlock, encodePinBlock, PIN_MAX_TRIES, PUK_MAX_TRIES } from './pin.ts';
export { mncLengthForImsi } from './mnc-length.ts';
