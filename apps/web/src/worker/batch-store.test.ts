import type { CheckResult } from '@krypton-web/sim-check';
import { IDBFactory } from 'fake-indexeddb';
import { describe, expect, it } from 'vitest';
import { BatchStore } from './batch-store.ts';

function result(batchId: string, n: number, extra: Partial<CheckResult> = {}): CheckResult {
  return {
    id: `${batchId}-${n}`,
    batchId,
    lane: 'Virtual PCD 00 00',
    iccid: `89811000000000000${String(n).padStart(2, '0')}`,
    imsi: '001010000000001',
    startedAt: 1_000 * n,
    finishedAt: 1_000 * n + 500,
    durationMs: 500,
    verdict: 'PASS',
    steps: [{ step: 'sim', status: 'pass', ms: 10 }],
    ...extra,
  };
}

describe('where a batch is kept (IndexedDB)', () => {
  it('keeps every finished check across a reopen (a reload, a crash) and offers the unfinished batch', async () => {
    const idb = new IDBFactory();
    const store = await BatchStore.open(idb);
    expect(await store.unfinished()).toBeUndefined();
    await store.createBatch({ id: 'b1', startedAt: 1, checklist: { credentials: 'openid' } });
    await store.addResult(result('b1', 1));
    await store.addResult(
      result('b1', 2, { verdict: 'FAIL', failedStep: 'key', problem: { code: 'MAC_FAILURE', message: 'm', action: 'a' } }),
    );
    // A recheck of SIM 1: a new check, the same row in the report.
    await store.addResult(result('b1', 3, { iccid: result('b1', 1).iccid }));
    store.close();

    const again = await BatchStore.open(idb);
    const found = await again.unfinished();
    expect(found).toEqual({ batch: { id: 'b1', startedAt: 1, checklist: { credentials: 'openid' } }, sims: 2 });
    const results = await again.results('b1');
    expect(results.map((r) => r.id)).toEqual(['b1-1', 'b1-2', 'b1-3']);
    expect(results[1]).toEqual(
      result('b1', 2, { verdict: 'FAIL', failedStep: 'key', problem: { code: 'MAC_FAILURE', message: 'm', action: 'a' } }),
    );
  });

  it('a finished batch is no longer offered; the newest unfinished one is; old finished ones are pruned', async () => {
    const idb = new IDBFactory();
    const store = await BatchStore.open(idb);
    for (let i = 1; i <= 8; i++) {
      await store.createBatch({ id: `b${i}`, startedAt: i, checklist: { credentials: 'direct' } });
      await store.addResult(result(`b${i}`, 1));
    }
    expect((await store.unfinished())?.batch.id).toBe('b8');
    for (let i = 1; i <= 7; i++) await store.finish(`b${i}`, 100 + i);
    expect((await store.unfinished())?.batch.id).toBe('b8');
    await store.finish('b8', 200);
    expect(await store.unfinished()).toBeUndefined();
    // Five finished batches stay; the oldest go with their results.
    expect(await store.results('b1')).toEqual([]);
    expect(await store.results('b3')).toEqual([]);
    expect(await store.results('b4')).toHaveLength(1);
    expect(await store.results('b8')).toHaveLength(1);
  });

  it('what is read back is checked: a record that is not a whole result is skipped, not guessed at', async () => {
    const idb = new IDBFactory();
    const store = await BatchStore.open(idb);
    await store.createBatch({ id: 'b1', startedAt: 1, checklist: { credentials: 'off' } });
    await store.addResult(result('b1', 1));
    await store.addResult({ ...result('b1', 2), verdict: 'MAYBE' } as unknown as CheckResult);
    await store.addResult({ ...result('b1', 3), steps: 'none' } as unknown as CheckResult);
    expect((await store.results('b1')).map((r) => r.id)).toEqual(['b1-1']);
    // A stored batch whose checklist is not one is not offered.
    await store.createBatch({ id: 'b2', startedAt: 2, checklist: { credentials: 'sometimes' } } as never);
    await store.addResult(result('b2', 1));
    expect((await store.unfinished())?.batch.id).toBe('b1');
  });

  it('a browser that refuses storage gets a failure that says what to do', async () => {
    await expect(BatchStore.open(undefined)).rejects.toMatchObject({ code: 'CHECK_STORAGE_UNAVAILABLE' });
    const refusing = {
      open: () => {
        throw new DOMException('denied', 'SecurityError');
      },
    } as unknown as IDBFactory;
    await expect(BatchStore.open(refusing)).rejects.toMatchObject({
      code: 'CHECK_STORAGE_UNAVAILABLE',
      action: expect.stringContaining('export the report'),
    });
  });
});
