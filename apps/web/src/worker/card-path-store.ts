import { checkedCardPath, InMemoryCardPaths, isCardKey, type CardPath, type CardPathMemory } from '@krypton-web/krypton-core';

/** The database of card paths (apart from the key cache's and the batches', so none can disturb another). */
export const CARD_PATH_DATABASE = 'krypton-web-card-paths';
const VERSION = 1;
const CARDS = 'cards';
/** Cards kept, the least recently used dropped first: a box of SIMs is a few hundred at most (as in core). */
const DEFAULT_CAPACITY = 1024;
/** How long opening may take before the page falls back to memory (as the key cache waits). */
const OPEN_TIMEOUT_MS = 5000;

/** A card as stored: its key, what worked on it (decision 0014), and when it was last used. */
interface StoredCard {
  key: string;
  path: CardPath;
  usedAt: number;
}

/** Options of `IndexedDbCardPaths`. */
export interface IndexedDbCardPathsOptions {
  /** Where IndexedDB comes from; default the worker's `indexedDB` (undefined there: memory only). */
  factory?: IDBFactory | undefined;
  /** Database name; default `CARD_PATH_DATABASE`. */
  name?: string;
  /** Cards kept; default 1024. */
  capacity?: number;
  /** The clock that orders cards by last use. */
  now?: () => number;
  /** Where a fall-back to memory is told (once); default `console.warn`. */
  log?: (message: string) => void;
}

/**
 * Card paths (decision 0014) kept in the browser's IndexedDB, shared by the page's workers and tabs, so a
 * card that refused a shortcut goes straight after a reload too. It holds no secret: only how each card
 * wants its USIM selected and its files read. What is read back is checked field by field (anything else
 * is ignored, and dropped); when IndexedDB cannot be opened or written (private mode, quota, site data
 * refused) the paths live in memory for the worker's life, and that is logged once.
 */
export class IndexedDbCardPaths implements CardPathMemory {
  private readonly memory: InMemoryCardPaths;
  private readonly capacity: number;
  private readonly now: () => number;
  private readonly log: (message: string) => void;
  private readonly factory: IDBFactory | undefined;
  private readonly name: string;
  private opening: Promise<IDBDatabase | undefined> | undefined;
  private current: IDBDatabase | undefined;
  private warned = false;

  constructor(options: IndexedDbCardPathsOptions = {}) {
    this.factory = 'factory' in options ? options.factory : globalThis.indexedDB;
    this.name = options.name ?? CARD_PATH_DATABASE;
    this.capacity = Math.max(1, options.capacity ?? DEFAULT_CAPACITY);
    this.now = options.now ?? Date.now;
    // The fall-back is silent in the page (it only costs APDUs) but leaves a line in the console for whoever looks.
    // eslint-disable-next-line no-console
    this.log = options.log ?? ((message) => console.warn(message));
    this.memory = new InMemoryCardPaths(this.capacity);
  }

  /** The path remembered for a card, if any; marks the card as recently used. */
  async recall(cardKey: string): Promise<CardPath | undefined> {
    const db = await this.opened();
    if (!db) return this.memory.recall(cardKey);
    try {
      return await this.recallStored(db, cardKey);
    } catch (e) {
      this.fellBack(`reading failed (${describe(e)})`);
      return this.memory.recall(cardKey);
    }
  }

  /** Replaces the path remembered for a card, and forgets the least recently used beyond the capacity. */
  async remember(cardKey: string, path: CardPath): Promise<void> {
    const checked = checkedCardPath(path);
    if (!isCardKey(cardKey) || checked === undefined) return;
    // Kept here too: should IndexedDB fail later, this worker still goes straight.
    this.memory.remember(cardKey, checked);
    const db = await this.opened();
    if (!db) return;
    try {
      await this.store(db, { key: cardKey, path: checked, usedAt: this.now() });
    } catch (e) {
      this.fellBack(`writing failed (${describe(e)})`);
    }
  }

  /** Closes the database (tests; a worker just ends). */
  async close(): Promise<void> {
    const db = await this.opening;
    this.opening = undefined;
    this.current = undefined;
    db?.close();
  }

  private opened(): Promise<IDBDatabase | undefined> {
    this.opening ??= this.open().then(
      (db) => (this.current = db),
      (e: unknown) => {
        this.fellBack(`IndexedDB could not be opened (${describe(e)})`);
        return undefined;
      },
    );
    return this.opening;
  }

  private async open(): Promise<IDBDatabase> {
    const factory = this.factory;
    if (!factory) throw new Error('this browser offers no IndexedDB here');
    let timer: ReturnType<typeof setTimeout> | undefined;
    const opening = new Promise<IDBDatabase>((resolve, reject) => {
      const request = factory.open(this.name, VERSION);
      request.onupgradeneeded = () => {
        const db = request.result;
        if (!db.objectStoreNames.contains(CARDS)) db.createObjectStore(CARDS, { keyPath: 'key' });
      };
      request.onsuccess = () => {
        const db = request.result;
        // Another tab upgrading the database must not wait on us; the next use opens it again.
        db.onversionchange = () => {
          db.close();
          if (this.current !== db) return;
          this.current = undefined;
          this.opening = undefined;
        };
        resolve(db);
      };
      request.onerror = () => reject(request.error ?? new Error('open failed'));
      request.onblocked = () => reject(new Error('another tab holds an older version of the database'));
    });
    const timedOut = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${OPEN_TIMEOUT_MS} ms`)), OPEN_TIMEOUT_MS);
    });
    try {
      return await Promise.race([opening, timedOut]);
    } catch (e) {
      // A late open must not leave a connection behind that blocks another tab's upgrade.
      void opening.then(
        (db) => db.close(),
        () => undefined,
      );
      throw e;
    } finally {
      clearTimeout(timer);
    }
  }

  /** Reads one card and, in the same transaction, marks it used (or drops it when it is not a card path). */
  private recallStored(db: IDBDatabase, cardKey: string): Promise<CardPath | undefined> {
    return new Promise<CardPath | undefined>((resolve, reject) => {
      // Relaxed: losing a "last used" mark in a crash costs nothing.
      const t = db.transaction(CARDS, 'readwrite', { durability: 'relaxed' });
      const cards = t.objectStore(CARDS);
      let found: CardPath | undefined;
      const request = cards.get(cardKey);
      request.onsuccess = () => {
        const record = storedCard(request.result);
        if (record === undefined || record.key !== cardKey) {
          if (request.result !== undefined) cards.delete(cardKey);
          return;
        }
        found = record.path;
        cards.put({ ...record, usedAt: Math.max(record.usedAt, this.now()) } satisfies StoredCard);
      };
      t.oncomplete = () => resolve(found === undefined ? undefined : { ...found });
      t.onerror = () => reject(failed(t));
      t.onabort = () => reject(failed(t));
    });
  }

  /** Writes one card and drops the least recently used beyond the capacity, in one transaction. */
  private store(db: IDBDatabase, card: StoredCard): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const t = db.transaction(CARDS, 'readwrite', { durability: 'strict' });
      const cards = t.objectStore(CARDS);
      cards.put(card);
      const counted = cards.count();
      counted.onsuccess = () => {
        if (counted.result <= this.capacity) return;
        const all = cards.getAll();
        all.onsuccess = () => {
          // Records that are not cards sort first, so they go before any card does.
          const byUse = (all.result as unknown[])
            .map((value) => ({ key: keyOf(value), usedAt: storedCard(value)?.usedAt ?? -Infinity }))
            .filter((r): r is { key: IDBValidKey; usedAt: number } => r.key !== undefined && r.key !== card.key)
            .sort((a, b) => a.usedAt - b.usedAt);
          for (const old of byUse.slice(0, counted.result - this.capacity)) cards.delete(old.key);
        };
      };
      t.oncomplete = () => resolve();
      t.onerror = () => reject(failed(t));
      t.onabort = () => reject(failed(t));
    });
  }

  private fellBack(why: string): void {
    if (this.warned) return;
    this.warned = true;
    this.log(`Card paths are kept in memory for this page only: ${why}. Cards that refuse a shortcut will pay it again after a reload.`);
  }
}

/** A stored record checked field by field; undefined when it is not a whole card. */
function storedCard(value: unknown): StoredCard | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const v = value as Record<string, unknown>;
  if (!isCardKey(v.key) || typeof v.usedAt !== 'number' || !Number.isFinite(v.usedAt)) return undefined;
  const path = checkedCardPath(v.path);
  return path === undefined ? undefined : { key: v.key, path, usedAt: v.usedAt };
}

/** Why a transaction ended without completing (IndexedDB may give no error for an abort). */
function failed(t: IDBTransaction): DOMException {
  return t.error ?? new DOMException('The transaction was aborted', 'AbortError');
}

function keyOf(value: unknown): IDBValidKey | undefined {
  const key = typeof value === 'object' && value !== null ? (value as { key?: unknown }).key : undefined;
  return typeof key === 'string' || typeof key === 'number' ? key : undefined;
}

function describe(e: unknown): string {
  if (e instanceof DOMException || e instanceof Error) return e.name === 'Error' ? e.message : `${e.name}: ${e.message}`;
  return String(e);
}

let workerPaths: IndexedDbCardPaths | undefined;

/** The card paths of this worker (session or batch): one store per worker, over the page's IndexedDB. */
export function workerCardPaths(): CardPathMemory {
  workerPaths ??= new IndexedDbCardPaths();
  return workerPaths;
}
