import { startLab, type Lab } from '@krypton-web/krypton-lab';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authenticate, connect, launchBrowser, openBucket, OPFS_PICKER, readOpfsFile, waitFor } from '@krypton-web/web-driver';
import type { Page } from 'playwright-core';
import { screenshot } from './support/artifacts.test-support.ts';
import { startStack, type Stack } from './support/stack.test-support.ts';

const MiB = 1024 * 1024;
/** Five 8 MiB parts: four connections, and a window that must move. */
const SIZE = 40 * MiB;
const KEY = 'large/blob.bin';

describe('parallel ranged downloads in Chromium (#16)', () => {
  let lab: Lab;
  let stack: Stack;
  let browser: Awaited<ReturnType<typeof launchBrowser>>;
  let page: Page;

  beforeAll(async () => {
    lab = await startLab({ s3: { seed: { largeObjectBytes: SIZE } } });
    stack = await startStack({ lab });
    browser = await launchBrowser();
    await browser.context.addInitScript({ content: OPFS_PICKER });
    page = browser.page;
    await connect(page, stack.url, 'Virtual SIM (demo)');
    await authenticate(page);
    await openBucket(page);
    await page.getByRole('table').getByRole('button', { name: 'Open folder large/' }).click();
    await page.getByLabel('Connections per download').selectOption('4');
    await page.getByLabel('Part size').selectOption('8');
  }, 300_000);

  afterAll(async () => {
    await browser?.close();
    await stack?.close();
  });

  const seeded = () => lab.s3.objects.find((o) => o.key === KEY)!;
  const removeSaved = () =>
    page.evaluate(async () => {
      const root = await navigator.storage.getDirectory();
      await root.removeEntry('blob.bin').catch(() => undefined);
    });
  const downloadButton = () =>
    page
      .getByRole('table')
      .getByRole('row', { name: /blob\.bin/ })
      .getByRole('button', { name: 'Download' });

  it('reads a multi-part object over 4 connections, resumes the range whose connection the lab cut, and saves it whole with its MD5 checked', async () => {
    await removeSaved();
    const before = lab.s3.stats();
    // Two ranges pass, the third is cut 3 MiB in: mid-way through the download.
    lab.s3.link.armDrop(3 * MiB, 1, 2);
    await downloadButton().click();
    const done = page.locator(`.download[data-key="${KEY}"][data-status="done"]`);
    await done.waitFor({ timeout: 120_000 });
    await expect(done.innerText()).resolves.toContain('MD5 matches the ETag.');
    await expect(done.getByTestId('dl-reading').innerText()).resolves.toBe(
      'Read over 4 connections · resumed 1 time after a dropped connection',
    );
    expect(lab.s3.link.snapshot()).toMatchObject({ dropped: 1, dropsArmed: 0 });
    expect(await readOpfsFile(page, 'blob.bin')).toEqual({ size: SIZE, sha256: seeded().sha256 });
    // Five ranges and one resumed range (plus preflights): the object was read in parts, not once whole.
    const after = lab.s3.stats();
    expect(after.requests - before.requests).toBeGreaterThanOrEqual(6);
    // Only the cut range's lost tail is read twice; nothing else is fetched again.
    expect(after.upstreamBodyBytes - before.upstreamBodyBytes).toBeLessThan(SIZE + 8 * MiB);
    await screenshot(page, 'p-1-parallel-resumed');
  }, 180_000);

  it('cancel aborts every connection and leaves no file, and nothing is reported complete', async () => {
    await removeSaved();
    for (const dismiss of await page.locator('.download').getByRole('button', { name: 'Dismiss' }).all()) await dismiss.click();
    // Slow enough to cancel in the middle: 1 MiB/s per connection.
    lab.s3.link.update({ bytesPerSecond: 1 * MiB });
    try {
      await downloadButton().click();
      const running = page.locator(`.download[data-key="${KEY}"][data-status="running"]`);
      await running.waitFor();
      await waitFor(async () => (await running.locator('progress').getAttribute('value')) !== null, 'progress to show');
      await page.getByRole('button', { name: 'Cancel download of blob.bin' }).click();
      const cancelled = page.locator(`.download[data-key="${KEY}"][data-status="cancelled"]`);
      await cancelled.waitFor({ timeout: 30_000 });
      await expect(cancelled.innerText()).resolves.toContain('Cancelled. Nothing was saved.');
      // Every connection stops reading: the gate pulls nothing more from s3rver.
      await new Promise((r) => setTimeout(r, 500));
      const pulled = lab.s3.stats().upstreamBodyBytes;
      await new Promise((r) => setTimeout(r, 1000));
      expect(lab.s3.stats().upstreamBodyBytes - pulled).toBeLessThan(256 * 1024);
      expect(await readOpfsFile(page, 'blob.bin')).toBeNull();
      expect(await page.locator(`.download[data-key="${KEY}"][data-status="done"]`).count()).toBe(0);
      await screenshot(page, 'p-2-cancelled');
    } finally {
      lab.s3.link.update({ bytesPerSecond: 0 });
    }
  }, 120_000);

  it('a connection that keeps dropping ends the download once the retry budget is spent: failed, said so, no file', async () => {
    await removeSaved();
    for (const dismiss of await page.locator('.download').getByRole('button', { name: 'Dismiss' }).all()) await dismiss.click();
    // Every range is cut 1 MiB in: 1 first try + 5 resumes, then the download gives up.
    lab.s3.link.armDrop(1 * MiB, 100);
    try {
      await downloadButton().click();
      const failed = page.locator(`.download[data-key="${KEY}"][data-status="failed"]`);
      await failed.waitFor({ timeout: 60_000 });
      const text = await failed.innerText();
      expect(text).toContain('Code: DOWNLOAD_INTERRUPTED');
      expect(text).toContain('The connection to S3 dropped 6 times during the download');
      expect(lab.s3.link.snapshot().dropped).toBeGreaterThanOrEqual(6);
      expect(await readOpfsFile(page, 'blob.bin')).toBeNull();
    } finally {
      lab.s3.link.armDrop(0, 0);
    }
  }, 120_000);

  it('an object replaced on S3 mid-download is refused (every range must answer the first range’s ETag), not stitched from two versions', async () => {
    await removeSaved();
    for (const dismiss of await page.locator('.download').getByRole('button', { name: 'Dismiss' }).all()) await dismiss.click();
    // Slow enough that the later ranges are asked for after the object changed.
    lab.s3.link.update({ bytesPerSecond: 4 * MiB });
    try {
      await downloadButton().click();
      const running = page.locator(`.download[data-key="${KEY}"][data-status="running"]`);
      await running.waitFor();
      await waitFor(async () => (await running.locator('progress').getAttribute('value')) !== null, 'progress to show');
      // A new version, straight into s3rver behind the gate (the lab's fixtures are read-only through it).
      const replaced = await fetch(`${lab.s3.backendUrl}/${lab.bucket}/${KEY}`, { method: 'PUT', body: new Uint8Array(SIZE).fill(7) });
      expect(replaced.ok).toBe(true);
      const failed = page.locator(`.download[data-key="${KEY}"][data-status="failed"]`);
      await failed.waitFor({ timeout: 60_000 });
      const text = await failed.innerText();
      expect(text).toContain('Code: OBJECT_CHANGED');
      expect(text).toContain(`The object s3://${lab.bucket}/${KEY} changed on S3 while it was being downloaded`);
      expect(await readOpfsFile(page, 'blob.bin')).toBeNull();
      await screenshot(page, 'p-3-object-changed');
    } finally {
      lab.s3.link.update({ bytesPerSecond: 0 });
    }
  }, 120_000);
});
