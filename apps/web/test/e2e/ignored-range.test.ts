import { authenticate, connect, OPFS_PICKER, openBucket, readOpfsFile } from '@krypton-web/web-driver';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { enFailures } from '../../src/lib/i18n/en-failures.ts';
import { screenshot } from './support/artifacts.test-support.ts';
import { startChromiumStack, type BrowserStack } from './support/browser-stack.test-support.ts';

const MiB = 1024 * 1024;
/** Four 4 MiB parts over 2 connections: the first range, then three that meet the personality. */
const SIZE = 16 * MiB;
const KEY = 'large/blob.bin';
const UNUSABLE = enFailures.S3_ANSWER_UNUSABLE;

// A proxy or S3-compatible server that ignores Range answers 200 with the whole object: a parallel
// download must refuse it, not save the whole object where one part belongs, and read the same
// object again once the answers are ranges again (#16).
describe('a server that ignores Range, in Chromium (#16)', () => {
  let stack: BrowserStack;
  let page: Page;

  beforeAll(async () => {
    stack = await startChromiumStack({ lab: { s3: { seed: { largeObjectBytes: SIZE } } }, initScript: OPFS_PICKER });
    page = stack.browser.page;
    await connect(page, stack.url, 'Virtual SIM (demo)');
    await authenticate(page);
    await openBucket(page);
    await page.getByRole('table').getByRole('button', { name: 'Open folder large/' }).click();
    await page.getByLabel('Connections per download').selectOption('2');
    await page.getByLabel('Part size').selectOption('4');
  }, 300_000);

  afterAll(() => stack?.close());

  const entry = () => page.locator(`.download[data-key="${KEY}"]`);
  const download = async (): Promise<string> => {
    await page
      .getByRole('table')
      .getByRole('row', { name: /blob\.bin/ })
      .getByRole('button', { name: 'Download' })
      .click();
    await entry().and(page.locator('[data-status="done"], [data-status="failed"]')).waitFor({ timeout: 120_000 });
    return (await entry().getAttribute('data-status'))!;
  };

  it('refuses the whole object where a range was asked and saves nothing; with ranges answered again, the same page downloads it whole', async () => {
    const lab = stack.lab;
    // The first range is answered as asked, so the download is read in parts; every later one is answered whole.
    lab.s3.ignoreRange({ enabled: true, skip: 1 });
    try {
      await expect(download()).resolves.toBe('failed');
      const failure = entry().locator('.failure');
      await expect(failure.getAttribute('data-code')).resolves.toBe('S3_ANSWER_UNUSABLE');
      const text = await entry().innerText();
      expect(text).toContain('Failed. Nothing was saved.');
      expect(text).toContain('Code: S3_ANSWER_UNUSABLE');
      // English shows the worker's own message (it names what was asked) with the table's action; both say nothing was saved.
      await expect(failure.locator('.failure-message').innerText()).resolves.toMatch(
        new RegExp(`${UNUSABLE.message.split('; ').at(-1)!}\\.$`),
      );
      await expect(failure.locator('.failure-action').innerText()).resolves.toBe(`${UNUSABLE.action}.`);
      // The personality was what the download met: the first range passed, a later one was answered whole.
      expect(lab.s3.ignoreRangeState()).toMatchObject({ enabled: true, skip: 0 });
      expect(lab.s3.ignoreRangeState().ignored).toBeGreaterThanOrEqual(1);
      await expect(readOpfsFile(page, 'blob.bin'), 'the file the picker made is removed').resolves.toBeNull();
      await expect(entry().and(page.locator('[data-status="done"]')).count()).resolves.toBe(0);
      await screenshot(page, 'r-1-range-ignored');
    } finally {
      lab.s3.ignoreRange({ enabled: false });
    }

    await entry().getByRole('button', { name: 'Dismiss' }).click();
    const ignored = lab.s3.ignoreRangeState().ignored;
    await expect(download()).resolves.toBe('done');
    await expect(entry().getByTestId('dl-reading').innerText()).resolves.toBe('Read over 2 connections');
    const seeded = lab.s3.objects.find((o) => o.key === KEY)!;
    await expect(readOpfsFile(page, 'blob.bin')).resolves.toEqual({ size: SIZE, sha256: seeded.sha256 });
    expect(lab.s3.ignoreRangeState().ignored).toBe(ignored);
  }, 300_000);
});
