import { DEMO_STACK_READER_NAME, VIRTUAL_READER_NAME } from '@krypton-web/bridge-server';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser, OPFS_PICKER, startCheckSims, waitFor } from '@krypton-web/web-driver';
import { ja } from '../../src/lib/i18n/ja.ts';
import { screenshot } from './support/artifacts.test-support.ts';
import { englishLeaks, expectNoEnglish } from './support/japanese-screen.test-support.ts';
import { startStack, type Stack } from './support/stack.test-support.ts';

// Issue #15 §2: a Japanese screen shows no English beyond product names and codes, in every state a
// person meets — first visit, connected, authenticated, credentials, S3, and the failures (a foreign
// SIM, no internet, no bucket), in real Chromium with a Japanese browser against the real bridge.

/** Connects a demo SIM over the lab endpoint, by the Japanese labels. */
async function connectJa(page: Page, url: string, sim = 'demo'): Promise<void> {
  await page.goto(url);
  await page.getByRole('radio', { name: ja['link.virtual'] }).check();
  await page.getByRole('radio', { name: ja['endpoint.lab'] }).check();
  await page.getByLabel(ja['link.virtualSim']).selectOption(sim);
  await page.getByRole('button', { name: ja['link.connect'], exact: true }).click();
  await page
    .getByRole('status')
    .filter({ hasText: ja['link.state.connected'].replace('{name}', '') })
    .waitFor({ timeout: 30_000 });
}

describe('#15 §2: no English on a Japanese screen', () => {
  let stack: Stack;
  let browser: Awaited<ReturnType<typeof launchBrowser>>;

  beforeAll(async () => {
    stack = await startStack();
    browser = await launchBrowser({ locale: 'ja-JP' });
    await browser.context.addInitScript({ content: OPFS_PICKER });
  }, 300_000);

  afterAll(async () => {
    await browser?.close();
    await stack?.close();
  });

  it('the helper finds English and passes product names, codes and marked data', async () => {
    const page = await browser.context.newPage();
    try {
      await page.goto(stack.url);
      await page.getByRole('radio', { name: ja['link.virtual'] }).waitFor();
      await page.evaluate(() => {
        const p = document.createElement('p');
        p.innerHTML =
          'SORACOM の SIM で AWS へ（IMSI、ICCID、PIN、ETag、MD5、PC/SC、pcscd）。ap-northeast-1、s3://krypton-demo/a.txt、v1.2 ' +
          '<span translate="no">Some Data</span> <span class="mono">ASIAFAKEKEY</span> <input placeholder="Type here"> Left untranslated';
        document.querySelector('main')!.prepend(p);
      });
      const words = (await englishLeaks(page)).map((l) => l.word);
      expect(words).toEqual(['Left', 'untranslated', 'Type', 'here']);
      // A string the test names as data on this screen is not looked at.
      expect((await englishLeaks(page, ['Type here', 'Left untranslated'])).map((l) => l.word)).toEqual([]);
    } finally {
      await page.close();
    }
  }, 60_000);

  it('first visit, a bridge reader, connected, authenticated, credentials revealed, operations', async () => {
    const page = await browser.context.newPage();
    try {
      await page.goto(stack.url);
      await page.getByRole('radio', { name: ja['link.virtual'] }).waitFor();
      await expectNoEnglish(page, 'first visit');
      await screenshot(page, '15-2-ja-first-visit');

      await page.getByRole('radio', { name: ja['link.bridge'] }).check();
      const reader = page.getByLabel(ja['link.reader'], { exact: true });
      await waitFor(async () => (await reader.inputValue()) !== '', 'the bridge to list its readers');
      await expectNoEnglish(page, 'bridge reader chosen', [VIRTUAL_READER_NAME, DEMO_STACK_READER_NAME]);

      await connectJa(page, stack.url);
      await expectNoEnglish(page, 'connected');
      await page.getByRole('button', { name: ja['auth.button'], exact: true }).click();
      await page.getByText(ja['auth.success']).waitFor({ timeout: 30_000 });
      await expectNoEnglish(page, 'authenticated');
      const cred = page.getByRole('region', { name: ja['cred.heading'] });
      await cred.getByRole('button', { name: ja['cred.reveal'] }).click();
      await cred.getByRole('button', { name: ja['cred.hide'] }).waitFor();
      await expectNoEnglish(page, 'credentials revealed');
      await screenshot(page, '15-2-ja-credentials');

      await page.getByRole('button', { name: ja['ops.heading'] }).click();
      await page.getByLabel(ja['ops.operation'], { exact: true }).selectOption('getSubscriberMetadata');
      await page.getByRole('button', { name: ja['ops.run'], exact: true }).click();
      await page
        .getByRole('heading', { name: ja['ops.result'].replace('{operation}', 'getSubscriberMetadata') })
        .waitFor({ timeout: 30_000 });
      await expectNoEnglish(page, 'operation run');

      await page.getByRole('button', { name: ja['link.disconnect'], exact: true }).click();
      await page.getByTestId('renewal').filter({ hasText: ja['cred.notRenewed'] }).waitFor();
      await expectNoEnglish(page, 'disconnected');
    } finally {
      await page.close();
    }
  }, 120_000);

  it('a SIM with its PIN enabled: the PIN form, a wrong PIN', async () => {
    const page = await browser.context.newPage();
    try {
      await connectJa(page, stack.url, 'demo-pin');
      const pin = page.getByLabel(ja['pin.label'], { exact: true });
      await pin.waitFor();
      await expectNoEnglish(page, 'PIN asked');
      await pin.fill('9999');
      await page.getByRole('button', { name: ja['pin.submit'], exact: true }).click();
      await page.locator('.failure[data-code="PIN_WRONG"]').waitFor({ timeout: 30_000 });
      await expectNoEnglish(page, 'PIN wrong');
      await screenshot(page, '15-2-ja-pin-wrong');
    } finally {
      await page.close();
    }
  }, 120_000);

  it('S3: the list, a folder, details and a download', async () => {
    const page = await browser.context.newPage();
    try {
      await connectJa(page, stack.url);
      await page.getByRole('button', { name: ja['auth.button'], exact: true }).click();
      await page.getByText(ja['auth.success']).waitFor({ timeout: 30_000 });
      await page.getByRole('button', { name: ja['s3.open'] }).click();
      const bucket = page.getByLabel(ja['s3.bucket'], { exact: true });
      await waitFor(async () => (await bucket.inputValue()) === 'krypton-demo', 'the bucket field to be pre-filled');
      await page.getByRole('button', { name: ja['s3.list'], exact: true }).click();
      const table = page.getByRole('table');
      await table.getByRole('button', { name: ja['s3.open.folder'].replace('{name}', 'docs/') }).waitFor({ timeout: 30_000 });
      await expectNoEnglish(page, 'S3 list');
      await table
        .getByRole('row', { name: /hello\.json/ })
        .getByRole('button', { name: ja['s3.details'] })
        .click();
      await page.locator('#details-heading').waitFor();
      await expectNoEnglish(page, 'S3 details');
      await table
        .getByRole('row', { name: /hello\.json/ })
        .getByRole('button', { name: ja['s3.download'] })
        .click();
      await page.locator('.download[data-status="done"]').waitFor({ timeout: 30_000 });
      await expectNoEnglish(page, 'S3 downloaded');
      await screenshot(page, '15-2-ja-s3-download');
      await table.getByRole('button', { name: ja['s3.open.folder'].replace('{name}', 'docs/') }).click();
      await table.getByRole('row', { name: /naïve file/ }).waitFor({ timeout: 30_000 });
      await expectNoEnglish(page, 'S3 folder');
    } finally {
      await page.close();
    }
  }, 120_000);

  it('failures: a foreign SIM, no internet, no bucket', async () => {
    const page = await browser.context.newPage();
    try {
      // A foreign SIM: the network holds another key, so the SIM refuses the challenge (MAC failure).
      await connectJa(page, stack.url, 'demo-foreign');
      await page.getByRole('button', { name: ja['auth.forget'] }).click();
      await page.getByText(ja['auth.forgotten']).waitFor();
      await page.getByRole('button', { name: ja['auth.button'], exact: true }).click();
      await page.locator('.failure[data-code="MAC_FAILURE"]').waitFor({ timeout: 30_000 });
      await expectNoEnglish(page, 'foreign SIM');
      await screenshot(page, '15-2-ja-foreign-sim');

      // No internet: SORACOM's name does not resolve (called straight from the browser).
      await page.goto(stack.url);
      await page.getByRole('radio', { name: ja['link.virtual'] }).check();
      await page.getByRole('radio', { name: ja['endpoint.custom'] }).check();
      await page.getByLabel(ja['endpoint.customUrl']).fill('http://krypton.nowhere.invalid');
      await page.getByRole('button', { name: ja['link.connect'], exact: true }).click();
      await page
        .getByRole('status')
        .filter({ hasText: ja['link.state.connected'].replace('{name}', '') })
        .waitFor({ timeout: 30_000 });
      await page.getByRole('button', { name: ja['auth.button'], exact: true }).click();
      const unreachable = page.locator('.failure[data-code="NETWORK_UNREACHABLE"]');
      await unreachable.waitFor({ timeout: 30_000 });
      // The Japanese text names the host, as the English one does.
      await expect(unreachable.innerText()).resolves.toContain('krypton.nowhere.invalid');
      await expectNoEnglish(page, 'no internet');
      await screenshot(page, '15-2-ja-no-internet');

      // No bucket by that name.
      await connectJa(page, stack.url);
      await page.getByRole('button', { name: ja['auth.button'], exact: true }).click();
      await page.getByText(ja['auth.success']).waitFor({ timeout: 30_000 });
      await page.getByRole('button', { name: ja['s3.open'] }).click();
      const bucket = page.getByLabel(ja['s3.bucket'], { exact: true });
      await waitFor(async () => (await bucket.inputValue()) !== '', 'the bucket field to be pre-filled');
      await bucket.fill('krypton-demo-misspelt');
      await page.getByRole('button', { name: ja['s3.list'], exact: true }).click();
      await page.getByRole('alert').filter({ hasText: 'バケット「krypton-demo-misspelt」がありません。' }).waitFor({ timeout: 30_000 });
      await expectNoEnglish(page, 'no bucket');
      await screenshot(page, '15-2-ja-no-bucket');
    } finally {
      await page.close();
    }
  }, 180_000);

  it('the Check SIMs screen', async () => {
    const page = await browser.context.newPage();
    try {
      await page.goto(`${stack.url}/#check-sims`);
      await page.locator('#check-heading').waitFor({ timeout: 30_000 });
      await expectNoEnglish(page, 'Check SIMs', [VIRTUAL_READER_NAME, DEMO_STACK_READER_NAME]);
    } finally {
      await page.close();
    }
  }, 60_000);

  it('the Check SIMs screen running a batch: lanes and the report', async () => {
    // The batch is started by the English labels the web-driver knows, then the page is switched to Japanese.
    const en = await launchBrowser();
    try {
      const page = en.page;
      await startCheckSims(page, stack.url, [DEMO_STACK_READER_NAME], { s3: true, metadata: true });
      await page.locator('[data-testid="report-body"] [role="row"]').first().waitFor({ timeout: 60_000 });
      await page.locator('#language').selectOption('ja');
      await waitFor(async () => (await page.evaluate(() => document.documentElement.lang)) === 'ja', 'the page in Japanese');
      await expectNoEnglish(page, 'Check SIMs running', [VIRTUAL_READER_NAME, DEMO_STACK_READER_NAME]);
      await screenshot(page, '15-2-ja-check-sims-running');
      await page.getByRole('button', { name: ja['check.stop'] }).click();
    } finally {
      await en.close();
    }
  }, 120_000);
});
