import { fromHex, toHex, type Bytes } from '../bytes/index.ts';

/**
 * What worked on one card: how its USIM was selected and its files read, so that the next session on
 * that card sends no command the card is known to refuse. Every field is optional: unknown means
 * "try the shortcut". Plain JSON, so any store can keep it.
 */
export interface CardPath {
  /** The AID that selected the USIM, hex (the full AID once learned from EF_DIR or the FCP). */
  readonly usimAid?: string;
  /** Whether SELECT with P2=0C (no data) is accepted; false: the card wants P2=04. */
  readonly selectWithoutData?: boolean;
  /** Whether READ BINARY by short file identifier is accepted. */
  readonly readBySfi?: boolean;
}

/**
 * Where card paths are kept, by a key the caller or link knows for the card (`cardKeyOfIccid`,
 * `cardKeyOfAtr`). Both methods may be asynchronous (IndexedDB, a file); failures are ignored by the
 * USIM session, which then just takes the shortcuts again.
 */
export interface CardPathMemory {
  /** The path remembered for a card, if any. */
  recall(cardKey: string): CardPath | undefined | Promise<CardPath | undefined>;
  /** Replaces the path remembered for a card. */
  remember(cardKey: string, path: CardPath): void | Promise<void>;
}

/** Cards an `InMemoryCardPaths` keeps by default: a box of SIMs is a few hundred at most. */
const DEFAULT_CAPACITY = 1024;

/** Card paths in memory for the life of the process (or page), the least recently used dropped first. */
export class InMemoryCardPaths implements CardPathMemory {
  private readonly paths = new Map<string, CardPath>();

  constructor(private readonly capacity = DEFAULT_CAPACITY) {}

  /** The path remembered for a card, if any (a copy). */
  recall(cardKey: string): CardPath | undefined {
    const path = this.paths.get(cardKey);
    if (path === undefined) return undefined;
    // Map order is insertion order: re-inserting marks the card as recently used.
    this.paths.delete(cardKey);
    this.paths.set(cardKey, path);
    return { ...path };
  }

  /** Replaces the path remembered for a card. */
  remember(cardKey: string, path: CardPath): void {
    this.paths.delete(cardKey);
    this.paths.set(cardKey, { ...path });
    while (this.paths.size > this.capacity) this.paths.delete(this.paths.keys().next().value!);
  }

  /** Every card and its path, least recently used first (copies), for a store that writes them out. */
  entries(): [string, CardPath][] {
    return [...this.paths].map(([key, path]) => [key, { ...path }]);
  }

  /** Forgets every card. */
  clear(): void {
    this.paths.clear();
  }

  /** How many cards are remembered. */
  get size(): number {
    return this.paths.size;
  }
}

/** The key of a card known by its ICCID (read from EF_ICCID, or a modem's `AT^ICCID?`). */
export function cardKeyOfIccid(iccid: string): string {
  return `iccid:${iccid}`;
}

/** The key of a card known by its ATR (what a PC/SC reader reports); cards of one batch share it. */
export function cardKeyOfAtr(atr: Uint8Array): string {
  return `atr:${toHex(atr)}`;
}

/** A full AID is 5 to 16 bytes (a 5-byte RID and up to 11 bytes of PIX, TS 101 220 §4), in hex. */
const AID_HEX = /^([0-9A-Fa-f]{2}){5,16}$/;
/** A key made by `cardKeyOfIccid` or `cardKeyOfAtr`, of a sane length. */
const CARD_KEY = /^(iccid|atr):[0-9A-Fa-f]{1,194}$/;

/** Whether a value read back from a store is a card key `cardKeyOfIccid` or `cardKeyOfAtr` could have made. */
export function isCardKey(value: unknown): value is string {
  return typeof value === 'string' && CARD_KEY.test(value);
}

/**
 * A value read back from a store (a file, IndexedDB) as a `CardPath`, checked field by field: anything
 * that is not exactly a card path (a wrong type, an AID that is not 5 to 16 bytes of hex) gives undefined.
 * Only the three known fields are kept, so nothing foreign travels on.
 */
export function checkedCardPath(value: unknown): CardPath | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const v = value as Record<string, unknown>;
  const path: { usimAid?: string; selectWithoutData?: boolean; readBySfi?: boolean } = {};
  if (v.usimAid !== undefined) {
    if (typeof v.usimAid !== 'string' || !AID_HEX.test(v.usimAid)) return undefined;
    path.usimAid = v.usimAid;
  }
  for (const flag of ['selectWithoutData', 'readBySfi'] as const) {
    if (v[flag] === undefined) continue;
    if (typeof v[flag] !== 'boolean') return undefined;
    path[flag] = v[flag];
  }
  return path;
}

/** The in-memory store sessions use when given a card key and no memory of their own. */
export const defaultCardPaths: CardPathMemory = new InMemoryCardPaths();

/** Whether two paths say the same (what is worth writing back). */
export function samePath(a: CardPath | undefined, b: CardPath): boolean {
  return a?.usimAid === b.usimAid && a?.selectWithoutData === b.selectWithoutData && a?.readBySfi === b.readBySfi;
}

/** The remembered AID as bytes, or undefined when it is absent or not 1 to 16 bytes of hex (a damaged store). */
export function aidOfPath(path: CardPath | undefined): Bytes | undefined {
  const hex = path?.usimAid;
  if (typeof hex !== 'string' || !/^([0-9a-fA-F]{2}){1,16}$/.test(hex)) return undefined;
  return fromHex(hex);
}
