/**
 * The main flows of flows.ts (connect, authenticate, open the bucket), step for step, over the
 * engine-neutral page: the same clicks by role and label, in Firefox and WebKit. Plus the download
 * into the browser's own download folder, which those engines use (no save picker there).
 */
import type { EngineBrowser, EnginePage } from './engine.ts';
import { waitForDownloadFile } from './engine.ts';
import { waitFor } from './flows.ts';

/** The links the page offers, by their radio label. */
export type LinkChoice =
  'Virtual SIM (demo)' | 'USB modem (Web Serial)' | 'USB modem (WebUSB)' | 'USB modem (bridge)' | 'Card reader (bridge)';

/** Opens the app and connects the chosen link (the page's defaults: the lab endpoint in demo mode); mirrors flows.connect. */
export async function connectIn(page: EnginePage, url: string, link: LinkChoice, setup?: () => Promise<void>): Promise<void> {
  await page.goto(url);
  await page.check({ role: 'radio', name: link });
  await page.check({ role: 'radio', name: 'Local lab (demo)' });
  await setup?.();
  await page.click({ role: 'button', name: 'Connect', exact: true });
  await page.waitFor({ role: 'status', hasText: 'Connected:' }, 30_000);
}

/**
 * Opens the app and connects "USB modem (bridge)" to the modem on `port` (pressing "Look for modems"
 * until the bridge lists it), then waits for "Connected: <port>"; mirrors flows.connectBridgeModem.
 */
export async function connectBridgeModemIn(page: EnginePage, url: string, port: string): Promise<void> {
  await connectIn(page, url, 'USB modem (bridge)', async () => {
    const modems = { label: 'Modem', exact: true } as const;
    await waitFor(
      async () => {
        const values = await page.evaluate<string[]>(`() => Array.from(document.querySelectorAll('select option')).map((o) => o.value)`);
        if (values.includes(port)) return true;
        await page.click({ role: 'button', name: 'Look for modems' });
        return false;
      },
      `the bridge to list the modem on ${port}`,
      20_000,
    );
    await page.select(modems, port);
  });
  await page.waitFor({ role: 'status', hasText: `Connected: ${port}` }, 30_000);
}

/** Presses Authenticate and waits for the credentials; returns the access key id shown. Mirrors flows.authenticate. */
export async function authenticateIn(page: EnginePage): Promise<string> {
  await page.click({ role: 'button', name: 'Authenticate', exact: true });
  await page.waitFor({ text: 'Authenticated. AWS credentials obtained.' }, 30_000);
  const akid = (await page.text({ testId: 'access-key-id', within: { role: 'region', name: 'Credentials' } })).split(/\s/)[0]!;
  if (!/^[A-Z0-9]{16,}$/.test(akid)) throw new Error(`the access key id shown looks wrong: ${akid}`);
  return akid;
}

/** Opens S3, lists the bucket (pre-filled from userdata unless given), and waits for the table. Mirrors flows.openBucket. */
export async function openBucketIn(page: EnginePage, bucket?: string): Promise<void> {
  await page.click({ role: 'button', name: 'Browse S3' });
  const field = { label: 'Bucket', exact: true } as const;
  if (bucket !== undefined) {
    await waitFor(async () => (await page.value(field)) !== '', 'the bucket field to be pre-filled');
    await page.fill(field, bucket);
  } else {
    await waitFor(async () => (await page.value(field)) === 'krypton-demo', 'the bucket field to be pre-filled with krypton-demo');
  }
  await page.click({ role: 'button', name: 'List', exact: true });
  await page.waitFor({ role: 'table' }, 30_000);
}

/**
 * Downloads `key` from the listed bucket (opening its folders first) through the page's Download
 * button, waits until the page marks it done and the browser has written the file, and returns the
 * file's path and what the page said about it.
 */
export async function downloadIn(browser: EngineBrowser, key: string, timeoutMs = 60_000): Promise<{ path: string; status: string }> {
  const { page } = browser;
  const parts = key.split('/');
  const name = parts.pop()!;
  const table = { role: 'table' } as const;
  for (const folder of parts) await page.click({ role: 'button', name: `Open folder ${folder}/`, within: table });
  const row = { role: 'row', name: new RegExp(name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')), within: table } as const;
  await page.click({ role: 'button', name: 'Download', within: row });
  const done = { css: '.download[data-status="done"]' };
  const failed = { css: '.download[data-status="failed"]' };
  const outcome = await waitFor(
    async () => ((await page.count(failed)) > 0 ? 'failed' : (await page.count(done)) > 0 ? 'done' : undefined),
    `the page to mark the download of ${key} done`,
    timeoutMs,
  );
  if (outcome === 'failed') throw new Error(`the page marked the download of ${key} failed: ${await page.text(failed)}`);
  const path = await waitForDownloadFile(browser.downloadDir, name, timeoutMs);
  return { path, status: await page.text(done) };
}
