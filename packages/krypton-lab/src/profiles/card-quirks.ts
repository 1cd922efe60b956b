import type { SimProfile } from './sim-profile.ts';

/**
 * Ways a real UICC may answer differently from the lab's default virtual USIM while still following
 * TS 102 221 / TS 31.102. A SIM profile lists them in `quirks`; each one makes the card refuse one of
 * the client's shortcuts or shape its answers another way, so the client's fallbacks can be tested.
 */
export const CARD_QUIRKS = {
  'no-partial-aid': 'SELECT by a right-truncated AID is refused with 6A82: only the full AID from EF_DIR selects the USIM',
  'no-p2-0c': 'SELECT with P2=0C (no data) is refused with 6A86: every SELECT must ask for the FCP (P2=04)',
  'no-path-select': 'SELECT by path (P1=08/09) is refused with 6A86: files are reached one SELECT by file identifier at a time',
  'no-sfi-6981': 'READ BINARY / READ RECORD by short file identifier is refused with 6981',
  'no-sfi-6a86': 'READ BINARY / READ RECORD by short file identifier is refused with 6A86',
  'no-sfi-6a82': 'READ BINARY / READ RECORD by short file identifier is refused with 6A82',
  'ef-dir-others-first': 'EF_DIR lists an ISIM and a vendor applet before the USIM, over several records',
  't1-direct': 'answers carry their data with 9000 directly (T=1, or a reader doing GET RESPONSE itself): never 61xx',
  'chained-61xx': 'case 4 data comes out in chunks of 16 bytes: each GET RESPONSE answers 61xx for the next chunk',
  'wrong-le-6c': 'a READ BINARY / READ RECORD / STATUS whose Le is not the exact length is answered 6Cxx, also in T=1 form',
  'imsi-behind-pin': 'PIN1 is enabled whatever the profile says, so EF_IMSI and AUTHENTICATE answer 6982 until VERIFY',
} as const;

/** One card behaviour a profile can ask for (see `CARD_QUIRKS`). */
export type CardQuirk = keyof typeof CARD_QUIRKS;

/** Quirks that cannot be on one card: a T=1-style card never answers 61xx, so it cannot chain them. */
const EXCLUSIVE: readonly (readonly [CardQuirk, CardQuirk])[] = [['t1-direct', 'chained-61xx']];

/** A quirk list that cannot be used, with the reason in the message. */
export class QuirkError extends Error {
  override readonly name = 'QuirkError';
  readonly code = 'BAD_PROFILE';
}

/** Whether a string names a known quirk. */
export function isCardQuirk(value: unknown): value is CardQuirk {
  return typeof value === 'string' && Object.hasOwn(CARD_QUIRKS, value);
}

/** Checks an untrusted quirk list: known names, no repeats, no contradictory pair; `where` names the field. */
export function checkQuirks(value: unknown, where: string): CardQuirk[] {
  if (!Array.isArray(value)) throw new QuirkError(`${where}: an array of quirk names is expected`);
  const out: CardQuirk[] = [];
  for (const [i, q] of value.entries()) {
    if (!isCardQuirk(q)) {
      const shown = typeof q === 'string' ? `"${q.slice(0, 40)}"` : typeof q;
      throw new QuirkError(`${where}[${i}]: ${shown} is not a card quirk; known: ${Object.keys(CARD_QUIRKS).join(', ')}`);
    }
    if (out.includes(q)) throw new QuirkError(`${where}[${i}]: "${q}" appears twice`);
    out.push(q);
  }
  for (const [a, b] of EXCLUSIVE) {
    if (out.includes(a) && out.includes(b))
      throw new QuirkError(`${where}: "${a}" and "${b}" cannot be on one card (a T=1 card never answers 61xx)`);
  }
  return out;
}

/** A card personality: a name and the quirks that make it. */
export interface CardPersonality {
  readonly name: string;
  readonly quirks: readonly CardQuirk[];
}

/**
 * The personalities tests and the bench run: the default card, each quirk alone, and combinations a
 * real card plausibly shows at once (an older T=0 card refusing every shortcut; a T=1 card behind a
 * reader that refuses them; a PIN-locked card with a crowded EF_DIR; a card that only knows its full
 * AID and no path selection, so EF_DIR must be reached through the MF).
 */
export const CARD_PERSONALITIES: readonly CardPersonality[] = [
  { name: 'default', quirks: [] },
  ...(Object.keys(CARD_QUIRKS) as CardQuirk[]).map((q) => ({ name: q, quirks: [q] })),
  { name: 'strict-t0', quirks: ['no-partial-aid', 'no-p2-0c', 'no-sfi-6a82', 'ef-dir-others-first', 'chained-61xx'] },
  { name: 'strict-t1', quirks: ['no-partial-aid', 'no-p2-0c', 'no-sfi-6981', 't1-direct', 'wrong-le-6c'] },
  { name: 'locked-crowded', quirks: ['imsi-behind-pin', 'ef-dir-others-first', 'no-partial-aid', 'no-sfi-6a86'] },
  { name: 'no-aid-no-path', quirks: ['no-partial-aid', 'no-path-select'] },
];

/** A copy of a profile with a personality's quirks (name suffixed), keys and identities unchanged. */
export function withPersonality(profile: SimProfile, personality: CardPersonality): SimProfile {
  const copy = structuredClone(profile);
  if (personality.quirks.length === 0) return copy;
  return { ...copy, name: `${profile.name}.${personality.name}`, quirks: [...personality.quirks] };
}
