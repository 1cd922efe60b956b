import { wipe } from '../bytes/index.ts';
import { type CachedKey, type KeyCache, type KeyCacheClock, checkCachedKey, checkImsi, copyCachedKey, isKeyUsable } from './key-cache.ts';

/** Options of {@link MemoryKeyCache}. */
export interface MemoryKeyCacheOptions {
  /** Clock for expiry checks (default `Date.now`). */
  now?: KeyCacheClock;
}

/** A key cache that lives as long as the page or process: used in tests, Node, and where IndexedDB is missing. */
export class MemoryKeyCache implements KeyCache {
  private readonly entries = new Map<string, CachedKey>();
  private readonly now: KeyCacheClock;

  constructor(options: MemoryKeyCacheOptions = {}) {
    this.now = options.now ?? (() => Date.now());
  }

  /** The live key for an IMSI, as a copy the caller owns. */
  async get(imsi: string): Promise<CachedKey | undefined> {
    checkImsi(imsi);
    const entry = this.entries.get(imsi);
    if (entry === undefined) return undefined;
    if (!isKeyUsable(entry, this.now())) {
      this.drop(imsi);
      return undefined;
    }
    return copyCachedKey(entry);
  }

  /** Stores a copy of the key, so later changes to the caller's CK do not reach the cache. */
  async put(key: CachedKey): Promise<void> {
    checkCachedKey(key);
    const copy = copyCachedKey(key);
    this.drop(key.imsi);
    this.entries.set(key.imsi, copy);
  }

  /** Forgets the key for one IMSI, zeroing its CK. */
  async delete(imsi: string): Promise<void> {
    checkImsi(imsi);
    this.drop(imsi);
  }

  /** Forgets every key, zeroing their CKs. */
  async clear(): Promise<void> {
    for (const entry of this.entries.values()) wipe(entry.ck);
    this.entries.clear();
  }

  private drop(imsi: string): void {
    const entry = this.entries.get(imsi);
    if (entry === undefined) return;
    // The cache owns this copy; zero it so a forgotten CK does not linger in the heap.
    wipe(entry.ck);
    this.entries.delete(imsi);
  }
}
