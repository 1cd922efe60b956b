import { Logger, startBridge } from '@krypton-web/bridge-server';
import { ensureWebAppBuilt } from '@krypton-web/build/web-app';
import { launchBrowser, storeFinishedChecks } from '@krypton-web/web-driver';
import { round, type Suite } from '../metric.ts';

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
          await storeFinishedChecks(page, rows);
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
