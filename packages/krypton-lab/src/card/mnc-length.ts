/**
 * Mobile country codes whose networks use three-digit MNCs (ITU-T E.212 assignments for North
 * America, the Caribbean and a few Latin American countries). Everywhere else the MNC has two
 * digits; India (404/405) mixes both and is left at two. A heuristic: pass `mncLength` to be exact.
 */
const THREE_DIGIT_MNC_MCCS = new Set([
  '302',
  '310',
  '311',
  '312',
  '313',
  '314',
  '315',
  '316',
  '330',
  '334',
  '338',
  '342',
  '344',
  '346',
  '348',
  '352',
  '354',
  '356',
  '358',
  '360',
  '365',
  '366',
  '376',
  '708',
  '722',
  '732',
  '750',
]);

/** Guesses the MNC length (2 or 3) of an IMSI from its MCC, for EF_AD byte 4 (TS 31.102 §4.2.18). */
export function mncLengthForImsi(imsi: string): 2 | 3 {
  return THREE_DIGIT_MNC_MCCS.has(imsi.slice(0, 3)) ? 3 : 2;
}
