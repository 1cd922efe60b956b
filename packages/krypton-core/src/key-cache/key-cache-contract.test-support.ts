import { beforeEach, describe, expect, it } from 'vitest';
import { type Bytes, fromHex, wipe } from '../bytes/index.ts';
import { KryptonError } from '../errors/index.ts';
import { type CachedKey, DEFAULT_KEY_TTL_MS, type KeyCache, KEY_CACHE_CLOCK_TOLERANCE_MS, newCachedKey } from './key-cache.ts';

/** A fixed start time for the fake clocks (2025-01-01T00:00:00Z). */
export const T0 = Date.UTC(2025, 0, 1);
/** Two SIMs. */
export const IMSI_A = '440103123456789';
export const IMSI_B = '440103987654321';
/** Their CKs: distinct, non-repeating bytes, so a CK found in storage cannot be a coincidence. */
export const CK_A: Bytes = fromHex('a1b2c3d4e5f60718293a4b5c6d7e8f90');
export const CK_B: Bytes = fromHex('0f1e2d3c4b5a69788796a5b4c3d2e1f0');

/** A key for `imsi` agreed at `at`, with the default one-hour life. */
export function sampleKey(imsi = IMSI_A, ck = CK_A, at = T0, keyId = `key-${imsi}`): CachedKey {
  return newCachedKey(imsi, keyId, ck.slice(), at);
}

/** Runs the behaviour every KeyCache that remembers must have, against caches made by `make`. */
export function keyCacheContract(label: string, make: (now: () => number) => KeyCache): void {
  describe(`${label} (KeyCache contract)`, () => {
    let t = T0;
    let cache: KeyCache;
    beforeEach(() => {
      t = T0;
      cache = make(() => t);
    });

    it('returns what was put', async () => {
      const key = sampleKey();
      await cache.put(key);
      expect(await cache.get(IMSI_A)).toEqual(key);
    });

    it('returns undefined for an IMSI never put', async () => {
      await cache.put(sampleKey(IMSI_A));
      expect(await cache.get(IMSI_B)).toBeUndefined();
    });

    it('replaces the key of the same IMSI on put', async () => {
      await cache.put(sampleKey(IMSI_A, CK_A));
      const newer = sampleKey(IMSI_A, CK_B, T0 + 1000, 'key-newer');
      await cache.put(newer);
      expect(await cache.get(IMSI_A)).toEqual(newer);
    });

    it('keeps IMSIs apart: each gets its own key, and deleting one leaves the other', async () => {
      await cache.put(sampleKey(IMSI_A, CK_A));
      await cache.put(sampleKey(IMSI_B, CK_B));
      expect((await cache.get(IMSI_A))?.ck).toEqual(CK_A);
      expect((await cache.get(IMSI_B))?.ck).toEqual(CK_B);
      expect((await cache.get(IMSI_B))?.keyId).toBe(`key-${IMSI_B}`);
      await cache.delete(IMSI_A);
      expect(await cache.get(IMSI_A)).toBeUndefined();
      expect((await cache.get(IMSI_B))?.ck).toEqual(CK_B);
    });

    it('deleting an absent IMSI is harmless', async () => {
      await expect(cache.delete(IMSI_B)).resolves.toBeUndefined();
    });

    it('clear forgets every key, and the cache still works afterwards', async () => {
      await cache.put(sampleKey(IMSI_A, CK_A));
      await cache.put(sampleKey(IMSI_B, CK_B));
      await cache.clear();
      expect(await cache.get(IMSI_A)).toBeUndefined();
      expect(await cache.get(IMSI_B)).toBeUndefined();
      await cache.put(sampleKey(IMSI_B, CK_B));
      expect((await cache.get(IMSI_B))?.ck).toEqual(CK_B);
    });

    it('serves a key 1 ms before expiresAt, not at expiresAt, and removes it once expired', async () => {
      await cache.put(sampleKey());
      t = T0 + DEFAULT_KEY_TTL_MS - 1;
      expect(await cache.get(IMSI_A)).toBeDefined();
      t = T0 + DEFAULT_KEY_TTL_MS;
      expect(await cache.get(IMSI_A)).toBeUndefined();
      // Winding the clock back shows the entry was removed, not merely hidden.
      t = T0 + DEFAULT_KEY_TTL_MS - 1;
      expect(await cache.get(IMSI_A)).toBeUndefined();
    });

    it('does not serve a key after expiry', async () => {
      await cache.put(sampleKey());
      t = T0 + DEFAULT_KEY_TTL_MS + 1;
      expect(await cache.get(IMSI_A)).toBeUndefined();
    });

    it('expiry of one IMSI does not touch another', async () => {
      await cache.put(sampleKey(IMSI_A, CK_A, T0));
      await cache.put(sampleKey(IMSI_B, CK_B, T0 + 10 * 60_000));
      t = T0 + DEFAULT_KEY_TTL_MS;
      expect(await cache.get(IMSI_A)).toBeUndefined();
      expect((await cache.get(IMSI_B))?.ck).toEqual(CK_B);
    });

    it('drops a key created further in the future than the tolerance (the clock went back)', async () => {
      await cache.put(sampleKey(IMSI_A, CK_A, T0 + KEY_CACHE_CLOCK_TOLERANCE_MS));
      await cache.put(sampleKey(IMSI_B, CK_B, T0 + KEY_CACHE_CLOCK_TOLERANCE_MS + 1));
      expect(await cache.get(IMSI_A)).toBeDefined();
      expect(await cache.get(IMSI_B)).toBeUndefined();
    });

    it('hands out copies: changing a returned CK or the CK given to put does not change the cache', async () => {
      const key = sampleKey();
      await cache.put(key);
      key.ck.fill(0xee);
      const first = await cache.get(IMSI_A);
      expect(first?.ck).toEqual(CK_A);
      first!.ck.fill(0x11);
      first!.keyId = 'changed';
      expect(await cache.get(IMSI_A)).toEqual(sampleKey());
    });

    it('stores the CK as it was when put was called, even if the caller wipes it before put settles', async () => {
      const key = sampleKey();
      const pending = cache.put(key);
      wipe(key.ck);
      await pending;
      expect((await cache.get(IMSI_A))?.ck).toEqual(CK_A);
    });

    it('keeps every one of many concurrent puts for different IMSIs', async () => {
      const imsis = Array.from({ length: 20 }, (_, i) => `0010100000000${String(i).padStart(2, '0')}`);
      const cks = imsis.map((_, i) => new Uint8Array(16).fill(i + 1));
      await Promise.all(imsis.map((imsi, i) => cache.put(sampleKey(imsi, cks[i]))));
      const got = await Promise.all(imsis.map((imsi) => cache.get(imsi)));
      expect(got.map((k) => k?.ck)).toEqual(cks);
      expect(got.map((k) => k?.imsi)).toEqual(imsis);
    });

    it('rejects malformed input with BAD_INPUT and never echoes the values', async () => {
      const bad: CachedKey[] = [
        { ...sampleKey(), imsi: 'not-an-imsi' },
        { ...sampleKey(), ck: new Uint8Array(15) },
        { ...sampleKey(), keyId: '' },
        { ...sampleKey(), expiresAt: T0 },
        { ...sampleKey(), createdAt: Number.NaN },
      ];
      for (const key of bad) {
        const e = await cache.put(key).then(
          () => undefined,
          (err: unknown) => err,
        );
        expect(KryptonError.is(e, 'BAD_INPUT'), JSON.stringify({ ...key, ck: key.ck.length })).toBe(true);
        expect((e as Error).message).not.toContain('a1b2c3');
      }
      await expect(cache.get('12345')).rejects.toSatisfy((e) => KryptonError.is(e, 'BAD_INPUT'));
      await expect(cache.delete('')).rejects.toSatisfy((e) => KryptonError.is(e, 'BAD_INPUT'));
      expect(await cache.get(IMSI_A)).toBeUndefined();
    });
  });
}
