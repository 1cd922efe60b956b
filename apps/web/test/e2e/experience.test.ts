import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authenticate, connect, launchBrowser, openBucket, OPFS_PICKER, readOpfsFile, waitFor } from '@krypton-web/web-driver';
import { screenshot } from './support/artifacts.test-support.ts';
import { startChromiumStack, type BrowserStack } from './support/browser-stack.test-support.ts';

const LARGE = 192 * 1024 * 1024;

/** Presses Tab until the focused element is the one named; fails after `max` presses. */
async function tabTo(page: Page, role: 'button' | 'radio' | 'combobox', name: string, max = 80): Promise<void> {
  for (let i = 0; i < max; i++) {
    await page.keyboard.press('Tab');
    const focused = await page.evaluate(() => {
      const el = document.activeElement as HTMLElement | null;
      if (!el) return '';
      const label =
        el.getAttribute('aria-label') ??
        (el.id ? document.querySelector(`label[for="${el.id}"]`)?.textContent : null) ??
        el.closest('label')?.textContent ??
        el.textContent ??
        '';
      return `${el.tagName.toLowerCase()}|${(el as HTMLInputElement).type ?? ''}|${label.trim()}`;
    });
    const [tag, type, label] = focused.split('|');
    const roleOk = role === 'button' ? tag === 'button' : role === 'radio' ? type === 'radio' : tag === 'select';
    if (roleOk && label!.replace(/\s+/g, ' ').startsWith(name)) return;
  }
  throw new Error(`Tab never reached the ${role} "${name}"`);
}

describe('for the person using it: keyboard, Japanese, a tablet, Krypton operations, cancelling a large download', () => {
  let stack: BrowserStack;

  beforeAll(async () => {
    stack = await startChromiumStack({ lab: { s3: { seed: { largeObjectBytes: LARGE } } }, initScript: OPFS_PICKER });
  }, 300_000);

  afterAll(() => stack?.close());

  it('works by keyboard alone, from the link choice to the credentials', async () => {
    const page = await stack.browser.context.newPage();
    await page.goto(stack.url);
    await page.getByRole('button', { name: 'Connect', exact: true }).waitFor();
    await tabTo(page, 'button', 'Connect');
    await page.keyboard.press('Enter');
    await page.getByRole('status').filter({ hasText: 'Connected:' }).waitFor();
    await tabTo(page, 'button', 'Authenticate');
    await page.keyboard.press('Enter');
    await page.getByText('Authenticated. AWS credentials obtained.').waitFor();
    await tabTo(page, 'button', 'Reveal secrets');
    await page.keyboard.press('Enter');
    await page.getByRole('button', { name: 'Hide secrets' }).waitFor();
    await page.close();
  }, 120_000);

  it('follows a Japanese browser, switches to English and back, and remembers the choice', async () => {
    const ja = await launchBrowser({ locale: 'ja-JP' });
    try {
      const page = ja.page;
      await page.goto(stack.url);
      await page.getByRole('radio', { name: '仮想 SIM（デモ）' }).waitFor();
      await expect(page.evaluate(() => document.documentElement.lang)).resolves.toBe('ja');
      await page.getByRole('button', { name: '接続', exact: true }).click();
      await page.getByRole('status').filter({ hasText: '接続済み' }).waitFor();
      await page.getByRole('button', { name: '認証する' }).click();
      await page.getByText('認証しました。AWS の認証情報を取得しました。').waitFor();
      await page.getByRole('region', { name: '認証情報' }).getByText('アクセスキー ID', { exact: true }).waitFor();
      await screenshot(page, 'e-1-japanese');
      await page.getByLabel('表示言語').selectOption('en');
      await page.getByRole('button', { name: 'Authenticate', exact: true }).waitFor();
      await page.reload();
      await page.getByRole('radio', { name: 'Virtual SIM (demo)' }).waitFor();
      await page.getByLabel('Language').selectOption('ja');
      await page.getByRole('radio', { name: '仮想 SIM（デモ）' }).waitFor();
    } finally {
      await ja.close();
    }
  }, 120_000);

  it('fits a tablet screen', async () => {
    const page = await stack.browser.context.newPage();
    await page.setViewportSize({ width: 768, height: 1024 });
    await connect(page, stack.url, 'Virtual SIM (demo)');
    await authenticate(page);
    await openBucket(page);
    await page.getByRole('table').getByRole('button', { name: 'Open folder docs/' }).waitFor();
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    expect(overflow).toBeLessThanOrEqual(0);
    await screenshot(page, 'e-2-tablet');
    await page.close();
  }, 120_000);

  it('runs Krypton operations: IoT bootstrap keys as .pem files after a reveal, and SORACOM’s own refusal code', async () => {
    const page = await stack.browser.context.newPage();
    await connect(page, stack.url, 'Virtual SIM (demo)');
    await page.getByRole('button', { name: 'Krypton operations' }).click();
    await page.getByLabel('Operation', { exact: true }).selectOption('bootstrapAwsIotThing');
    await page.getByRole('button', { name: 'Run', exact: true }).click();
    await page.getByRole('heading', { name: /Result of bootstrapAwsIotThing/ }).waitFor({ timeout: 30_000 });
    const result = page.locator('pre.result');
    await expect(result.innerText()).resolves.not.toContain('PRIVATE KEY');
    await expect(page.getByRole('button', { name: 'Download private-key.pem' }).isDisabled()).resolves.toBe(true);
    const [cert] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('button', { name: 'Download certificate.pem' }).click(),
    ]);
    expect(cert.suggestedFilename()).toBe('certificate.pem');
    await page.getByRole('button', { name: 'Reveal secrets' }).click();
    await waitFor(async () => (await result.innerText()).includes('PRIVATE KEY'), 'the revealed private key');
    const [key] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('button', { name: 'Download private-key.pem' }).click(),
    ]);
    const { readFileSync } = await import('node:fs');
    expect(readFileSync(await key.path(), 'utf8')).toMatch(/^-----BEGIN [A-Z ]*PRIVATE KEY-----/);
    await screenshot(page, 'e-3-operations');

    await page.getByLabel('Operation', { exact: true }).selectOption('getAzureIotDeviceRegistrationStatus');
    await page.getByLabel('Parameters (JSON)').fill('{"operationId":"no-such-operation"}');
    await page.getByRole('button', { name: 'Run', exact: true }).click();
    const alert = page.getByRole('alert').filter({ hasText: 'SORACOM’s answer' });
    await alert.waitFor({ timeout: 30_000 });
    await expect(alert.innerText()).resolves.toMatch(/SORACOM’s answer: LAB0404 no registration operation no-such-operation/);
    await page.getByLabel('Parameters (JSON)').fill('{"operationId": ');
    await page.getByText('Not valid JSON').waitFor();
    await expect(page.getByRole('button', { name: 'Run', exact: true }).isDisabled()).resolves.toBe(true);
    await page.close();
  }, 120_000);

  it('cellular (SORACOM Air): no SIM access, credentials from the line; off the line, it says so', async () => {
    const page = await stack.browser.context.newPage();
    await page.goto(stack.url);
    await page.getByRole('radio', { name: 'Cellular (SORACOM Air)' }).check();
    await page.getByRole('button', { name: 'Connect', exact: true }).click();
    await page.getByRole('status').filter({ hasText: 'Connected: SORACOM Air' }).waitFor();
    await page.getByText('The SIM is not read on the cellular endpoint').waitFor();
    const akid = await authenticate(page);
    expect(stack.lab.credentials.lookup(akid)?.identityId).toBeDefined();
    await expect(page.getByTestId('key-cache').innerText()).resolves.toBe('No SIM key on the cellular endpoint.');
    stack.lab.cellularImsi = null;
    try {
      await page.getByRole('button', { name: 'Authenticate', exact: true }).click();
      const alert = page.getByRole('alert').filter({ hasText: 'Failed at' });
      await alert.waitFor();
      await expect(alert.innerText()).resolves.toMatch(/SORACOM Air/);
    } finally {
      stack.lab.cellularImsi = stack.lab.profiles.sims[0]!.imsi;
      await page.close();
    }
  }, 120_000);

  it('a large download shows progress and can be cancelled; nothing is left that looks complete', async () => {
    const page = await stack.browser.context.newPage();
    await connect(page, stack.url, 'Virtual SIM (demo)');
    await authenticate(page);
    await openBucket(page);
    const table = page.getByRole('table');
    await table.getByRole('button', { name: 'Open folder large/' }).click();
    await table
      .getByRole('row', { name: /blob\.bin/ })
      .getByRole('button', { name: 'Download' })
      .click();
    const running = page.locator('.download[data-status="running"]');
    await running.waitFor();
    await waitFor(
      async () => /\d+(\.\d+)? MiB of 192 MiB/.test(await running.innerText()) && !/^0 B/.test(await running.innerText()),
      'progress in MiB',
    );
    await expect(running.innerText()).resolves.toMatch(/\/s · \d+:\d\d left/);
    await screenshot(page, 'e-4-download-progress');
    await page.getByRole('button', { name: 'Cancel download of blob.bin' }).click();
    await page.locator('.download[data-status="cancelled"]').getByText('Cancelled. Nothing was saved.').waitFor();
    expect(await readOpfsFile(page, 'blob.bin')).toBeNull();
    await page.close();
  }, 180_000);
});
