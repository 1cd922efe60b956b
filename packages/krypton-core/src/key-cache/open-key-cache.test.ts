import { IDBFactory } from 'fake-indexeddb';
import { describe, expect, it } from 'vitest';
import { KryptonError } from '../errors/index.ts';
import { CK_A, IMSI_A, T0, sampleKey } from './key-cache-contract.test-support.ts';
import { IndexedDbKeyCache } from './indexeddb-key-cache.ts';
import { factoryWithOpen, hangingRequest, refusingRequest } from './indexeddb.test-support.ts';
import { DEFAULT_KEY_TTL_MS } from './key-cache.ts';
import { MemoryKeyCache } from './memory-key-cache.ts';
import { NoKeyCache } from './no-key-cache.ts';
import { openKeyCache } from './open-key-cache.ts';

describe('openKeyCache', () => {
  it('gives NoKeyCache when caching is disabled, without touching IndexedDB', async () => {
    const f = new IDBFactory();
    const opened = await openKeyCache({ disabled: true, indexedDB: f });
    expect(opened.cache).toBeInstanceOf(NoKeyCache);
    expect(opened).toMatchObject({ kind: 'none', persistent: false });
    expect(opened.fallback).toBeUndefined();
    expect(await f.databases()).toEqual([]);
  });

  it('gives an opened IndexedDbKeyCache when IndexedDB works', async () => {
    const f = new IDBFactory();
    const opened = await openKeyCache({ indexedDB: f, now: () => T0 });
    expect(opened.cache).toBeInstanceOf(IndexedDbKeyCache);
    expect(opened).toMatchObject({ kind: 'indexeddb', persistent: true });
    expect(opened.fallback).toBeUndefined();
    expect((await f.databases()).map((d) => d.name)).toEqual(['krypton-web']);
    await opened.cache.put(sampleKey());
    const again = await openKeyCache({ indexedDB: f, now: () => T0 });
    expect((await again.cache.get(IMSI_A))?.ck).toEqual(CK_A);
  });

  it('falls back to memory, saying why, when the platform has no IndexedDB', async () => {
    const opened = await openKeyCache({ now: () => T0 });
    expect(opened.cache).toBeInstanceOf(MemoryKeyCache);
    expect(opened).toMatchObject({ kind: 'memory', persistent: false });
    expect(KryptonError.is(opened.fallback, 'STORAGE_UNAVAILABLE')).toBe(true);
    expect(opened.fallback?.message).toMatch(/IndexedDB/);
  });

  it('falls back to memory when the browser refuses to open the database (private window)', async () => {
    const f = factoryWithOpen(new IDBFactory(), () => refusingRequest(new DOMException('refused', 'InvalidStateError')));
    const opened = await openKeyCache({ indexedDB: f, now: () => T0 });
    expect(opened).toMatchObject({ kind: 'memory', persistent: false });
    expect(opened.fallback?.message).toContain('InvalidStateError');
  });

  it('falls back to memory when open hangs, instead of hanging the run', async () => {
    const f = factoryWithOpen(new IDBFactory(), () => hangingRequest());
    const started = Date.now();
    const opened = await openKeyCache({ indexedDB: f, openTimeoutMs: 50 });
    expect(Date.now() - started).toBeLessThan(2000);
    expect(opened).toMatchObject({ kind: 'memory', persistent: false });
    expect(opened.fallback?.message).toMatch(/did not open within 50 ms/);
  });

  it('passes the clock to the memory fallback', async () => {
    let t = T0;
    const opened = await openKeyCache({ now: () => t });
    expect(opened.kind).toBe('memory');
    await opened.cache.put(sampleKey());
    // By the real clock this 2025 key is long expired; by the injected one it is still live.
    t = T0 + DEFAULT_KEY_TTL_MS - 1;
    expect((await opened.cache.get(IMSI_A))?.ck).toEqual(CK_A);
    t = T0 + DEFAULT_KEY_TTL_MS;
    expect(await opened.cache.get(IMSI_A)).toBeUndefined();
  });
});
