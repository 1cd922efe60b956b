import { KryptonError } from '../errors/index.ts';
import { IndexedDbKeyCache, type IndexedDbKeyCacheOptions } from './indexeddb-key-cache.ts';
import { type KeyCache, keyCacheError } from './key-cache.ts';
import { MemoryKeyCache } from './memory-key-cache.ts';
import { NoKeyCache } from './no-key-cache.ts';

/** Which store {@link openKeyCache} ended up with. */
export type KeyCacheKind = 'indexeddb' | 'memory' | 'none';

/** Options of {@link openKeyCache}. */
export interface OpenKeyCacheOptions extends IndexedDbKeyCacheOptions {
  /** Caching disabled (`-disable-key-cache`): a cache that remembers nothing. */
  disabled?: boolean;
  /**
   * How long to wait for IndexedDB to open before falling back to memory (default 5000 ms): some
   * WebKit versions leave the first `open` pending forever, and a run must not hang on a cache.
   */
  openTimeoutMs?: number;
}

/** The cache to use, and whether keys will survive this page or process. */
export interface OpenedKeyCache {
  cache: KeyCache;
  kind: KeyCacheKind;
  /** True only for IndexedDB: with memory (or none) the next run agrees a new key. */
  persistent: boolean;
  /** Why the persistent cache could not be used, when `kind` is `memory`: show it, then carry on. */
  fallback?: KryptonError;
}

/**
 * Opens the best key cache available and never fails: NoKeyCache when disabled, else the
 * encrypted IndexedDB cache, else (no IndexedDB, private window, storage refused, open hung)
 * a MemoryKeyCache with `fallback` saying why. The repeat run is an optimisation, so losing it
 * must not stop an authentication; `persistent: false` lets the UI say keys will not be kept.
 */
export async function openKeyCache(options: OpenKeyCacheOptions = {}): Promise<OpenedKeyCache> {
  if (options.disabled === true) return { cache: new NoKeyCache(), kind: 'none', persistent: false };
  const timeoutMs = options.openTimeoutMs ?? 5000;
  let cache: IndexedDbKeyCache | undefined;
  let opening: Promise<void> | undefined;
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    cache = new IndexedDbKeyCache(options);
    opening = cache.open();
    const timedOut = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () =>
          reject(
            keyCacheError(
              `IndexedDB did not open within ${timeoutMs} ms, so agreed keys are kept in memory for this page only.`,
              'Reload the page to try again, or run with the key cache disabled.',
            ),
          ),
        timeoutMs,
      );
    });
    await Promise.race([opening, timedOut]);
    return { cache, kind: 'indexeddb', persistent: true };
  } catch (e) {
    // A late open must not leave a connection behind that blocks another tab's upgrade or delete.
    const late = cache;
    if (late !== undefined && opening !== undefined)
      void opening.then(
        () => late.close(),
        () => undefined,
      );
    const fallback = KryptonError.is(e)
      ? e
      : keyCacheError(
          'The key cache could not be opened, so agreed keys are kept in memory for this page only.',
          'Run with the key cache disabled to hide this message.',
          e,
        );
    return { cache: new MemoryKeyCache({ now: options.now }), kind: 'memory', persistent: false, fallback };
  } finally {
    if (timer !== undefined) clearTimeout(timer);
  }
}
