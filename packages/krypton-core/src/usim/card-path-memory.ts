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
