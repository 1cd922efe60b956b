export {
  type CachedKey,
  type KeyCache,
  type KeyCacheClock,
  DEFAULT_KEY_TTL_MS,
  CK_LENGTH,
  KEY_CACHE_CLOCK_TOLERANCE_MS,
  newCachedKey,
  isKeyUsable,
} from './key-cache.ts';
export { MemoryKeyCache, type MemoryKeyCacheOptions } from './memory-key-cache.ts';
export { NoKeyCache } from './no-key-cache.ts';
export { IndexedDbKeyCache, type IndexedDbKeyCacheOptions, DEFAULT_KEY_CACHE_DATABASE } from './indexeddb-key-cache.ts';
export { openKeyCache, type OpenKeyCacheOptions, type OpenedKeyCache, type KeyCacheKind } from './open-key-cache.ts';
