import { type CachedKey, type KeyCache, checkCachedKey, checkImsi } from './key-cache.ts';

/** The key cache when caching is disabled (`-disable-key-cache`): remembers nothing, so every run agrees a new key. */
export class NoKeyCache implements KeyCache {
  /** Always absent. */
  async get(imsi: string): Promise<CachedKey | undefined> {
    checkImsi(imsi);
    return undefined;
  }

  /** Checks the key (so a bug shows with caching off too) and drops it. */
  async put(key: CachedKey): Promise<void> {
    checkCachedKey(key);
  }

  /** Nothing to forget. */
  async delete(imsi: string): Promise<void> {
    checkImsi(imsi);
  }

  /** Nothing to forget. */
  async clear(): Promise<void> {}
}
