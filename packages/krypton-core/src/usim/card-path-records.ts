import { InMemoryCardPaths, type CardPath } from './card-path-memory.ts';

/** Version of the stored layout of card paths; another version is ignored (and replaced on the next write). */
export const CARD_PATHS_RECORD_VERSION = 1;

/** Card paths as a file or a database row keeps them: plain JSON, least recently used first. */
export interface CardPathsRecord {
  readonly version: typeof CARD_PATHS_RECORD_VERSION;
  readonly cards: readonly (readonly [string, CardPath])[];
}

/** A full AID is at most 16 bytes (TS 101 220 §4), a partial one at least 5. */
const AID_HEX = /^[0-9A-Fa-f]{10,32}$/;
const CARD_KEY = /^(iccid|atr):[0-9A-Fa-f]{1,198}$/;
/** More entries than any store keeps: the rest of a longer list is dropped, oldest first. */
const MOST_ENTRIES = 1024;

/** The record a store writes out for these card paths. */
export function cardPathsRecord(memory: InMemoryCardPaths): CardPathsRecord {
  return { version: CARD_PATHS_RECORD_VERSION, cards: memory.entries() };
}

/**
 * Reads stored card paths defensively (a file, IndexedDB): every entry checked, anything that is not a
 * card key with a card path dropped, a foreign or damaged record taken as empty. Never throws.
 */
export function cardPathsFromRecord(data: unknown): InMemoryCardPaths {
  const memory = new InMemoryCardPaths();
  if (typeof data !== 'object' || data === null || (data as { version?: unknown }).version !== CARD_PATHS_RECORD_VERSION) return memory;
  const cards = (data as { cards?: unknown }).cards;
  if (!Array.isArray(cards)) return memory;
  for (const entry of cards.slice(-MOST_ENTRIES)) {
    if (!Array.isArray(entry) || entry.length !== 2) continue;
    const [key, path] = entry as [unknown, unknown];
    if (typeof key !== 'string' || !CARD_KEY.test(key)) continue;
    const checked = cardPathOf(path);
    if (checked) memory.remember(key, checked);
  }
  return memory;
}

/** One stored card path, checked field by field; undefined when anything in it is not what a path holds. */
export function cardPathOf(value: unknown): CardPath | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const v = value as Record<string, unknown>;
  const path: { usimAid?: string; selectWithoutData?: boolean; readBySfi?: boolean } = {};
  if (v.usimAid !== undefined) {
    if (typeof v.usimAid !== 'string' || !AID_HEX.test(v.usimAid) || v.usimAid.length % 2 !== 0) return undefined;
    path.usimAid = v.usimAid;
  }
  for (const flag of ['selectWithoutData', 'readBySfi'] as const) {
    if (v[flag] === undefined) continue;
    if (typeof v[flag] !== 'boolean') return undefined;
    path[flag] = v[flag];
  }
  return path;
}
