import { describe, expect, it } from 'vitest';
import { keyCacheContract, CK_A, IMSI_A, sampleKey, T0 } from './key-cache-contract.test-support.ts';
import { DEFAULT_KEY_TTL_MS, isKeyUsable, newCachedKey } from './key-cache.ts';
import { MemoryKeyCache } from './memory-key-cache.ts';

keyCacheContract('MemoryKeyCache', (now) => new MemoryKeyCache({ now }));

describe('MemoryKeyCache', () => {
  it('reads the real clock by default', async () => {
    const cache = new MemoryKeyCache();
    await cache.put(newCachedKey(IMSI_A, 'k', CK_A.slice()));
    expect(await cache.get(IMSI_A)).toBeDefined();
    await cache.put(newCachedKey(IMSI_A, 'k', CK_A.slice(), Date.now() - DEFAULT_KEY_TTL_MS));
    expect(await cache.get(IMSI_A)).toBeUndefined();
  });

  it('zeroes the CK it held when an entry is replaced, deleted or cleared', async () => {
    // Reach the cache's own copy through the Map it keeps, to see that forgotten CKs are wiped.
    const cache = new MemoryKeyCache({ now: () => T0 });
    const held = () => (cache as unknown as { entries: Map<string, { ck: Uint8Array }> }).entries.get(IMSI_A)!.ck;
    await cache.put(sampleKey());
    const first = held();
    await cache.put(sampleKey());
    expect(first.every((b) => b === 0)).toBe(true);
    const second = held();
    await cache.delete(IMSI_A);
    expect(second.every((b) => b === 0)).toBe(true);
    await cache.put(sampleKey());
    const third = held();
    await cache.clear();
    expect(third.every((b) => b === 0)).toBe(true);
  });
});

describe('newCachedKey and isKeyUsable', () => {
  it('gives a key one hour by default', () => {
    const key = newCachedKey(IMSI_A, 'k', CK_A, T0);
    expect(key.expiresAt - key.createdAt).toBe(60 * 60 * 1000);
    expect(newCachedKey(IMSI_A, 'k', CK_A, T0, 5000).expiresAt).toBe(T0 + 5000);
  });
  it('treats expiresAt as exclusive', () => {
    const key = newCachedKey(IMSI_A, 'k', CK_A, T0, 10);
    expect([T0 - 1, T0, T0 + 9, T0 + 10, T0 + 11].map((t) => isKeyUsable(key, t))).toEqual([true, true, true, false, false]);
  });
});
