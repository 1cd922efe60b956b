import { cardKeyOfIccid, Usim, type ApduTransport, type CardPath } from '@krypton-web/krypton-core';
import { demoProfileSet, findSim, VirtualUsim } from '@krypton-web/krypton-lab/browser';
import { MemoryCardTransport } from '@krypton-web/sim-transport';
import { IDBDatabase, IDBFactory } from 'fake-indexeddb';
import { describe, expect, it, vi } from 'vitest';
import { CARD_PATH_DATABASE, IndexedDbCardPaths } from './card-path-store.ts';

const FULL_AID = 'A0000000871002FF44FF1289000000FF';

/** A clock that moves one step per reading, so "last used" never ties. */
function ticking(): () => number {
  let t = 1_000;
  return () => ++t;
}

/** Writes a raw record into the store, as another program (or a damaged profile) could. */
async function putRaw(idb: IDBFactory, value: unknown): Promise<void> {
  const db = await new Promise<IDBDatabase>((resolve, reject) => {
    const r = idb.open(CARD_PATH_DATABASE);
    r.onsuccess = () => resolve(r.result);
    r.onerror = () => reject(r.error);
  });
  await new Promise<void>((resolve, reject) => {
    const t = db.transaction('cards', 'readwrite');
    t.objectStore('cards').put(value);
    t.oncomplete = () => resolve();
    t.onerror = () => reject(t.error);
  });
  db.close();
}

async function rawKeys(idb: IDBFactory): Promise<string[]> {
  const db = await new Promise<IDBDatabase>((resolve, reject) => {
    const r = idb.open(CARD_PATH_DATABASE);
    r.onsuccess = () => resolve(r.result);
    r.onerror = () => reject(r.error);
  });
  const keys = await new Promise<IDBValidKey[]>((resolve, reject) => {
    const r = db.transaction('cards').objectStore('cards').getAllKeys();
    r.onsuccess = () => resolve(r.result);
    r.onerror = () => reject(r.error);
  });
  db.close();
  return keys.map(String).sort();
}

describe('card paths in IndexedDB (the page’s workers)', () => {
  it('keeps a path across a reopen (a reload), only the three facts of a card path', async () => {
    const idb = new IDBFactory();
    const first = new IndexedDbCardPaths({ factory: idb, now: ticking() });
    const path = { usimAid: FULL_AID, selectWithoutData: false, readBySfi: true, secret: 'no' } as CardPath;
    await first.remember('iccid:8981100000000000016', path);
    expect(await first.recall('iccid:8981100000000000016')).toEqual({ usimAid: FULL_AID, selectWithoutData: false, readBySfi: true });
    await first.close();

    const again = new IndexedDbCardPaths({ factory: idb, now: ticking() });
    expect(await again.recall('iccid:8981100000000000016')).toEqual({ usimAid: FULL_AID, selectWithoutData: false, readBySfi: true });
    expect(await again.recall('iccid:8981100000000000024')).toBeUndefined();
    // Replaced, not merged.
    await again.remember('iccid:8981100000000000016', { readBySfi: false });
    expect(await again.recall('iccid:8981100000000000016')).toEqual({ readBySfi: false });
    await again.close();
  });

  it('ignores a damaged or foreign record (and drops it), and never writes a path that is not one', async () => {
    const idb = new IDBFactory();
    const logs: string[] = [];
    const paths = new IndexedDbCardPaths({ factory: idb, now: ticking(), log: (m) => logs.push(m) });
    await paths.remember('atr:3b9f96', { selectWithoutData: false });
    await paths.close();
    const damaged: unknown[] = [
      { key: 'iccid:1', path: { usimAid: 'not hex' }, usedAt: 1 },
      { key: 'iccid:2', path: { readBySfi: 'yes' }, usedAt: 1 },
      { key: 'iccid:3', path: { usimAid: 'A0'.repeat(20) }, usedAt: 1 },
      { key: 'iccid:4', path: null, usedAt: 1 },
      { key: 'iccid:5', path: {}, usedAt: 'yesterday' },
      { key: 'iccid:6', path: [] },
      { key: 'someone-else', path: { readBySfi: true }, usedAt: 1 },
      { key: 'iccid:7' },
    ];
    for (const record of damaged) await putRaw(idb, record);

    const reader = new IndexedDbCardPaths({ factory: idb, now: ticking(), log: (m) => logs.push(m) });
    for (const key of ['iccid:1', 'iccid:2', 'iccid:3', 'iccid:4', 'iccid:5', 'iccid:6', 'someone-else', 'iccid:7'])
      expect(await reader.recall(key), key).toBeUndefined();
    expect(await reader.recall('atr:3b9f96')).toEqual({ selectWithoutData: false });
    // What was ignored is gone; the good card stays.
    expect(await rawKeys(idb)).toEqual(['atr:3b9f96']);
    // A key or path that is not a card's is not written at all.
    await reader.remember('not a key', { readBySfi: true });
    await reader.remember('iccid:9', { usimAid: 'zz' });
    expect(await rawKeys(idb)).toEqual(['atr:3b9f96']);
    expect(logs).toEqual([]);
    await reader.close();
  });

  it('keeps the most recently used cards up to its capacity; a recall counts as a use; junk goes first', async () => {
    const idb = new IDBFactory();
    const now = ticking();
    const paths = new IndexedDbCardPaths({ factory: idb, capacity: 3, now });
    await paths.remember('iccid:1', { readBySfi: true });
    await paths.close();
    await putRaw(idb, { key: 'iccid:99', path: 'junk', usedAt: 5_000_000 });
    const bounded = new IndexedDbCardPaths({ factory: idb, capacity: 3, now });
    await bounded.remember('iccid:2', { readBySfi: true });
    await bounded.remember('iccid:3', { readBySfi: true });
    // Four records, three allowed: the junk one goes although it looks newest.
    expect(await rawKeys(idb)).toEqual(['iccid:1', 'iccid:2', 'iccid:3']);
    expect(await bounded.recall('iccid:1')).toEqual({ readBySfi: true });
    await bounded.remember('iccid:4', { readBySfi: false });
    // iccid:2 was the least recently used (iccid:1 was just recalled).
    expect(await rawKeys(idb)).toEqual(['iccid:1', 'iccid:3', 'iccid:4']);
    await bounded.remember('iccid:5', {});
    await bounded.remember('iccid:6', {});
    expect(await rawKeys(idb)).toEqual(['iccid:4', 'iccid:5', 'iccid:6']);
    await bounded.close();
  });

  it('is shared by two workers (or tabs) on one origin: what one learns, the other uses', async () => {
    const idb = new IDBFactory();
    const sessionWorker = new IndexedDbCardPaths({ factory: idb, now: ticking() });
    const batchWorker = new IndexedDbCardPaths({ factory: idb, now: ticking() });
    // Both open at once.
    expect(await Promise.all([sessionWorker.recall('iccid:1'), batchWorker.recall('iccid:1')])).toEqual([undefined, undefined]);
    await sessionWorker.remember('iccid:1', { usimAid: FULL_AID });
    expect(await batchWorker.recall('iccid:1')).toEqual({ usimAid: FULL_AID });
    await batchWorker.remember('iccid:1', { usimAid: FULL_AID, readBySfi: false });
    expect(await sessionWorker.recall('iccid:1')).toEqual({ usimAid: FULL_AID, readBySfi: false });
    await Promise.all([sessionWorker.remember('iccid:2', {}), batchWorker.remember('iccid:3', {})]);
    expect(await rawKeys(idb)).toEqual(['iccid:1', 'iccid:2', 'iccid:3']);
    await sessionWorker.close();
    await batchWorker.close();
  });

  it('without IndexedDB (private mode, storage refused) keeps paths in memory, and says so once', async () => {
    for (const factory of [
      undefined,
      {
        open: () => {
          throw new DOMException('denied', 'SecurityError');
        },
      } as unknown as IDBFactory,
    ]) {
      const logs: string[] = [];
      const paths = new IndexedDbCardPaths({ factory, log: (m) => logs.push(m) });
      expect(await paths.recall('iccid:1')).toBeUndefined();
      await paths.remember('iccid:1', { readBySfi: false });
      expect(await paths.recall('iccid:1')).toEqual({ readBySfi: false });
      expect(logs).toHaveLength(1);
      expect(logs[0]).toMatch(/^Card paths are kept in memory for this page only: IndexedDB could not be opened/);
    }
  });

  it('a write that fails (quota) is logged once; the worker still goes straight from memory', async () => {
    const idb = new IDBFactory();
    const logs: string[] = [];
    const paths = new IndexedDbCardPaths({ factory: idb, log: (m) => logs.push(m) });
    expect(await paths.recall('iccid:1')).toBeUndefined();
    // The next transactions fail as a full disk makes them.
    const full = vi.spyOn(IDBDatabase.prototype, 'transaction').mockImplementation(() => {
      throw new DOMException('quota', 'QuotaExceededError');
    });
    try {
      await paths.remember('iccid:1', { readBySfi: false });
      expect(await paths.recall('iccid:1')).toEqual({ readBySfi: false });
      await paths.remember('iccid:2', {});
    } finally {
      full.mockRestore();
    }
    expect(logs).toEqual([expect.stringMatching(/writing failed \(QuotaExceededError: quota\)/)]);
    await paths.close();
  });

  it('a USIM session through it: a card refusing the partial AID costs its detour once, then goes straight after a reopen', async () => {
    const idb = new IDBFactory();
    const profile = { ...findSim(demoProfileSet(), 'demo'), quirks: ['no-partial-aid' as const] };
    const card = await VirtualUsim.create(profile);
    const run = async (): Promise<number> => {
      const paths = new IndexedDbCardPaths({ factory: idb, now: ticking() });
      const transport = new MemoryCardTransport(card, 'card');
      let apdus = 0;
      const counted: ApduTransport = {
        kind: transport.kind,
        name: transport.name,
        transmit: (apdu, options) => {
          apdus++;
          return transport.transmit(apdu, options);
        },
        close: () => transport.close(),
      };
      const usim = new Usim(counted, { cardKey: cardKeyOfIccid(profile.iccid), cardPaths: paths });
      expect(await usim.readImsi()).toBe(profile.imsi);
      await paths.close();
      return apdus;
    };
    const first = await run();
    const second = await run();
    // Partial AID refused, EF_DIR by path (3 on T=0), full AID, READ BINARY by SFI; then the full AID at once.
    expect({ first, second }).toEqual({ first: 6, second: 2 });
  });
});
