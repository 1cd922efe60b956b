import { checkedCardPath, InMemoryCardPaths, isCardKey, type CardPath } from './card-path-memory.ts';

/** Version of the stored layout of card paths; another version is ignored (and replaced on the next write). */
export const CARD_PATHS_RECORD_VERSION = 1;

/** Card paths as a file keeps them: plain JSON, least recently used first. */
export interface CardPathsRecord {
  readonly version: typeof CARD_PATHS_RECORD_VERSION;
  readonly cards: readonly (readonly [string, CardPath])[];
}

/** More entries than any store keeps: the rest of a longer list is dropped, oldest first. */
const MOST_ENTRIES = 1024;

/** The record a store writes out for these card paths. */
export function cardPathsRecord(memory: InMemoryCardPaths): CardPathsRecord {
  return { version: CARD_PATHS_RECORD_VERSION, cards: memory.entries() };
}

/**
 * Reads stored card paths defensively: every entry checked (`isCardKey`, `checkedCardPath`), anything
 * that is not a card key with a card path dropped, a foreign or damaged record taken as empty. Never throws.
 */
export function cardPathsFromRecord(data: unknown): InMemoryCardPaths {
  const memory = new InMemoryCardPaths();
  if (typeof data !== 'object' || data === null || (data as { version?: unknown }).version !== CARD_PATHS_RECORD_VERSION) return memory;
  const cards = (data as { cards?: unknown }).cards;
  if (!Array.isArray(cards)) return memory;
  for (const entry of cards.slice(-MOST_ENTRIES)) {
    if (!Array.isArray(entry) || entry.length !== 2) continue;
    const [key, path] = entry as [unknown, unknown];
    const checked = checkedCardPath(path);
    if (isCardKey(key) && checked) memory.remember(key, checked);
  }
  return memory;
}
