import type { Page } from 'playwright-core';

/**
 * Adds `rows` finished checks (one in ten a FAIL MAC_FAILURE) to the unfinished Check SIMs batch in
 * the page's IndexedDB, as a long day of checking leaves them; a batch is created when none is open.
 * The schema is the app's own (apps/web/src/worker/batch-store.ts). Answers the batch's id.
 */
export function storeFinishedChecks(page: Page, rows: number): Promise<string> {
  return page.evaluate(async (count) => {
    const db = await new Promise<IDBDatabase>((resolve, reject) => {
      const open = indexedDB.open('krypton-web-checks', 1);
      open.onupgradeneeded = () => {
        open.result.createObjectStore('batches', { keyPath: 'id' });
        open.result.createObjectStore('results', { keyPath: 'id' }).createIndex('batchId', 'batchId');
      };
      open.onsuccess = () => resolve(open.result);
      open.onerror = () => reject(new Error(`IndexedDB: ${open.error?.message ?? 'open failed'}`));
    });
    const batches = await new Promise<{ id: string; finishedAt?: number }[]>((resolve) => {
      const r = db.transaction('batches').objectStore('batches').getAll();
      r.onsuccess = () => resolve(r.result as { id: string; finishedAt?: number }[]);
    });
    const t = db.transaction(['batches', 'results'], 'readwrite');
    // Older than any check a test makes now: an hour back, or further for a longer day.
    const t0 = Date.now() - Math.max(3_600_000, count * 3000 + 60_000);
    let batchId = batches.find((b) => b.finishedAt === undefined)?.id;
    if (!batchId) {
      batchId = 'stored-batch';
      t.objectStore('batches').put({ id: batchId, startedAt: t0, checklist: { credentials: 'openid' } });
    }
    for (let i = 0; i < count; i++) {
      const verdict = i % 10 === 0 ? 'FAIL' : 'PASS';
      t.objectStore('results').put({
        id: `stored-${i}`,
        batchId,
        lane: `Reader ${i % 3}`,
        iccid: `8981200000${String(i).padStart(9, '0')}`,
        imsi: `00101200${String(i).padStart(7, '0')}`,
        groupId: 'lab-group',
        startedAt: t0 + i * 3000,
        finishedAt: t0 + i * 3000 + 900,
        durationMs: 900,
        verdict,
        ...(verdict === 'FAIL' ? { failedStep: 'key', problem: { code: 'MAC_FAILURE', message: 'm', action: 'a' } } : {}),
        steps: [{ step: 'sim', status: 'pass', ms: 10 }],
      });
    }
    await new Promise<void>((resolve, reject) => {
      t.oncomplete = () => resolve();
      t.onerror = () => reject(new Error(`IndexedDB: ${t.error?.message ?? 'write failed'}`));
    });
    db.close();
    return batchId;
  }, rows);
}
