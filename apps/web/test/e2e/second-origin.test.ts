import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { preview, type PreviewServer } from 'vite';
import { authenticate, checkLane, launchBrowser, startCheckSims, waitFor } from '@krypton-web/web-driver';
import { ensureBuilt, WEB_ROOT } from './support/build.test-support.ts';
import { screenshot } from './support/artifacts.test-support.ts';
import { startStack, type Stack } from './support/stack.test-support.ts';

// The app served from a second origin — `vite preview` on another localhost port, proxying the
// bridge's API, Krypton proxy and sockets, as the dev server does — with no --allow-origin: the page
// asks the bridge for approval from its own UI, shows the bridge's code, links to the approvals page
// (which opens, cross-site), and once approved there carries the token: it lists the readers, opens
// the demo reader and authenticates through the bridge's Krypton proxy.

const VIRTUAL_READER = 'Krypton Web demo reader (virtual SIM)';
const DEMO_STACK = 'Krypton Web demo stack (virtual SIMs)';

async function freePort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const { port } = s.address() as AddressInfo;
  await new Promise((resolve) => s.close(resolve));
  return port;
}

describe('the app on a second origin asks the bridge for approval', () => {
  let stack: Stack;
  let site: PreviewServer;
  let origin: string;
  let browser: Awaited<ReturnType<typeof launchBrowser>>;

  beforeAll(async () => {
    await ensureBuilt();
    stack = await startStack();
    const port = await freePort();
    const bridge = stack.url;
    site = await preview({
      configFile: false,
      root: WEB_ROOT,
      logLevel: 'silent',
      preview: {
        host: '127.0.0.1',
        port,
        strictPort: true,
        proxy: {
          '/api': { target: bridge, changeOrigin: true },
          '/krypton': { target: bridge, changeOrigin: true },
          '/ws': { target: bridge.replace(/^http/, 'ws'), ws: true, changeOrigin: true },
          '/pair': { target: bridge.replace(/^http/, 'ws'), ws: true, changeOrigin: true },
        },
      },
    });
    origin = `http://localhost:${port}`;
    browser = await launchBrowser();
  }, 300_000);

  afterAll(async () => {
    await browser?.close();
    await site?.close();
    await stack?.close();
  });

  it('shows the code the bridge shows, is approved on the linked approvals page, then uses the reader and the Krypton proxy with its token', async () => {
    const { page, context } = browser;
    await page.goto(origin);
    await page.getByRole('radio', { name: 'Card reader (bridge)' }).check();
    await page.getByRole('radio', { name: 'Local lab (demo)' }).check();
    const panel = page.getByTestId('bridge-approval');
    await panel.getByText(`This page (${origin}) is not the bridge’s own page`).waitFor();
    expect(stack.bridge.approvals.isApproved(origin)).toBe(false);

    await panel.getByRole('button', { name: 'Ask the bridge for approval' }).click();
    const code = await waitFor(async () => (await page.getByTestId('approval-code').innerText()).trim(), 'the code on the page');
    expect(code).toMatch(/^[0-9]{6}$/);
    // The bridge shows the same code next to this page's origin.
    expect(stack.bridge.approvals.listPending()).toEqual([expect.objectContaining({ origin, code })]);
    await screenshot(page, 'o-1-asking');

    // The link opens the bridge's approvals page (a cross-site top-level navigation), where the person approves.
    const [approvals] = await Promise.all([
      context.waitForEvent('page'),
      panel.getByRole('link', { name: 'Open the bridge’s approvals page' }).click(),
    ]);
    await approvals.waitForLoadState();
    expect(approvals.url()).toBe(`${stack.url}/approvals`);
    const entry = approvals.locator('li', { hasText: origin });
    await entry.getByText(code).waitFor();
    await Promise.all([approvals.waitForURL(`${stack.url}/approvals`), entry.getByRole('button', { name: 'Approve' }).click()]);
    await approvals.locator('li', { hasText: origin }).getByRole('button', { name: 'Revoke' }).waitFor();
    await approvals.close();

    // The page holds its token now: the readers, the session and the Krypton proxy all accept it.
    await panel.getByText('The bridge approved this page.').waitFor();
    await waitFor(
      async () => (await page.locator('#reader-select option').allInnerTexts()).some((t) => t.startsWith(VIRTUAL_READER)),
      'the readers listed',
    );
    await page.getByRole('button', { name: 'Connect', exact: true }).click();
    await page.getByRole('status').filter({ hasText: 'Connected:' }).waitFor({ timeout: 30_000 });
    await expect(page.getByTestId('imsi').innerText()).resolves.toBe('001010000000001');
    const akid = await authenticate(page);
    expect(stack.lab.credentials.lookup(akid)).toBeDefined();
    await screenshot(page, 'o-2-approved-authenticated');
  });

  it('the Check SIMs batch carries the same token: it lists the readers and checks a card through the Krypton proxy', async () => {
    const { page } = browser;
    // A change of fragment, not a reload: the token lives in this page's memory.
    await startCheckSims(page, origin, [DEMO_STACK], { credentials: 'direct', s3: false, metadata: true });
    await checkLane(page, DEMO_STACK).and(page.locator('[data-verdict="PASS"]')).waitFor({ timeout: 30_000 });
    await screenshot(page, 'o-3-batch');
    await page.getByRole('button', { name: 'Stop' }).click();
  }, 120_000);
});
