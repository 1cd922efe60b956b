import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authenticateIn, connectIn, downloadIn, launchWebKit, openBucketIn, type WebKitBrowser } from '@krypton-web/web-driver';
import { startStack, type Stack } from './support/stack.test-support.ts';

describe('WebKitGTK', () => {
  let stack: Stack;
  let browser: WebKitBrowser;
  beforeAll(async () => {
    stack = await startStack();
    browser = await launchWebKit();
    console.log('webkit launch ms', browser.launchMs);
  }, 300_000);
  afterAll(async () => {
    await browser?.close();
    await stack?.close();
  });
  it('virtual SIM', async () => {
    const { page } = browser;
    const t0 = Date.now();
    await connectIn(page, stack.url, 'Virtual SIM (demo)').catch(async (e) => { await page.screenshot('/tmp/i14/wk.png'); console.log(await page.evaluate('() => document.body.innerText')); throw e; });
    expect(await page.text({ testId: 'imsi' })).toBe('001010000000001');
    const akid = await authenticateIn(page).catch(async (e) => { await page.screenshot('/tmp/i14/wk.png'); console.log(await page.evaluate('() => document.body.innerText')); throw e; });
    expect(stack.lab.credentials.lookup(akid)).toBeDefined();
    await openBucketIn(page);
    const { path, status } = await downloadIn(browser, 'firmware/v1/firmware.bin');
    const seeded = stack.lab.s3.objects.find((o) => o.key === 'firmware/v1/firmware.bin')!;
    expect(createHash('sha256').update(readFileSync(path)).digest('hex')).toBe(seeded.sha256);
    console.log(status, Date.now() - t0);
  }, 180_000);
});
