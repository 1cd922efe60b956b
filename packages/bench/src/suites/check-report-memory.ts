import { Logger, startBridge } from '@krypton-web/bridge-server';
import { ensureWebAppBuilt } from '@krypton-web/build/web-app';
import { launchBrowser } from '@krypton-web/web-driver';
import { round, type Suite } from '../metric.ts';

/** Puts an unfinished batch of `rows` finished checks into the page's IndexedDB, as a long day of checking leaves it. */
function seedBatch(rows: number): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    // The app's own schema (apps/web/src/worker/batch-store.ts), made here if this profile has none yet.
    const open = indexedDB.open('krypton-web-checks', 1);
    open.onupgradeneeded = () => {
      const db = open.result;
      db.createObjectStore('batches', { keyPath: 'id' });
      db.createObjectStore('results', { keyPath: 'id' }).createIndex('batchId', 'batchId');
    };
    open.onerror = () => reject(new Error(`IndexedDB: ${open.error?.message ?? 'open failed'}`));
    open.onsuccess = () => {
      const db = open.result;
      const t = db.transaction(['batches', 'results'], 'readwrite');
      const t0 = Date.now() - rows * 3000;
      t.objectStore('batches').put({ id: 'bench-batch', startedAt: t0, checklist: { credentials: 'openid' } });
      for (let i = 0; i < rows; i++) {
        const verdict = i % 10 === 0 ? 'FAIL' : 'PASS';
        t.objectStore('results').put({
          id: `bench-${i}`,
          batchId: 'bench-batch',
          lane: `Virtual PCD 00 0${i % 3}`,
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
      t.oncomplete = () => {
        db.close();
        resolve();
      };
      t.onerror = () => reject(new Error(`IndexedDB: ${t.error?.message ?? 'write failed'}`));
    };
  });
}

/**
 * The Check SIMs report with 100, 1,000 and 5,000 rows continued from IndexedDB, in Chromium: the
 * page's JS heap after a forced GC and its DOM nodes. The report is a virtualised list, so the DOM
 * stays the same size and the heap grows only by the rows' data.
 */
export const checkReportMemory: Suite = {
  name: 'Check SIMs report memory',
  quick: false,
  async run(ctx) {
    const webRoot = await ensureWebAppBuilt();
    const bridge = await startBridge({ port: 0, lab: true, pcsc: false, webRoot, log: new Logger(() => undefined) });
    const measured: Record<number, { heap: number; nodes: number }> = {};
    try {
      for (const rows of [100, 1000, 5000]) {
        const browser = await launchBrowser();
        try {
          const { page, context } = browser;
          await page.goto(`${bridge.url}/#check-sims`);
          await page.evaluate(seedBatch, rows);
          await page.reload();
          await page.getByRole('button', { name: /^Continue batch \(\d+ SIMs checked\)$/ }).click();
          await page.waitForFunction(
            (n) => document.querySelector('[data-testid="report-table"]')?.getAttribute('aria-rowcount') === String(n + 1),
            rows,
            { timeout: 60_000 },
          );
          const cdp = await context.newCDPSession(page);
          await cdp.send('Performance.enable');
          await cdp.send('HeapProfiler.collectGarbage');
          const { metrics } = await cdp.send('Performance.getMetrics');
          const metric = (name: string) => metrics.find((m) => m.name === name)?.value ?? Number.NaN;
          measured[rows] = { heap: metric('JSHeapUsedSize'), nodes: metric('Nodes') };
          const rendered = await page.getByTestId('report-body').locator('[role="row"]').count();
          ctx.report({
            metric: 'report_page_heap',
            value: round(measured[rows].heap / 2 ** 20, 2),
            unit: 'MiB',
            rows,
            rendered_rows: rendered,
          });
          ctx.report({ metric: 'report_dom_nodes', value: measured[rows].nodes, unit: 'nodes', rows });
        } finally {
          await browser.close();
        }
      }
      ctx.report({
        metric: 'report_heap_ratio_1000_to_100',
        value: round(measured[1000]!.heap / measured[100]!.heap),
        unit: 'ratio',
      });
    } finally {
      await bridge.close();
    }
    ctx.note('Page heap after a forced GC (the worker holds its own copy of the rows); rendered_rows are the report rows in the DOM.');
  },
};
