import { readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authenticate, connect, openBucket, OPFS_PICKER, readOpfsFile, waitFor } from '@krypton-web/web-driver';
import { expectAccessible } from './support/a11y.test-support.ts';
import { screenshot } from './support/artifacts.test-support.ts';
import { startChromiumStack, type BrowserStack } from './support/browser-stack.test-support.ts';
import { RUN_STEPS_DONE, timelineSteps } from './support/sim-panel.test-support.ts';

describe('virtual SIM: authenticate, credentials, demo bucket, download checked against the lab', () => {
  let server: BrowserStack;

  beforeAll(async () => {
    server = await startChromiumStack({ initScript: OPFS_PICKER });
  }, 300_000);

  afterAll(() => server?.close());

  it('connects, authenticates with a live timeline, shows masked credentials, and streams a file to disk with its MD5 checked', async () => {
    const { page } = server.browser;
    await connect(page, server.url, 'Virtual SIM (demo)');
    await expect(page.getByTestId('imsi').innerText()).resolves.toBe('001010000000001');
    await expect(page.getByTestId('iccid').innerText()).resolves.toBe('8981100000000000016');
    await screenshot(page, 'a-1-connected');
    await expectAccessible(page, 'connected');

    const akid = await authenticate(page);
    const vended = server.lab.credentials.lookup(akid);
    expect(vended, 'the access key id shown is one the lab vended').toBeDefined();
    // The timeline: every step done, with durations and counts.
    expect(await timelineSteps(page)).toEqual(expect.arrayContaining(['imsi:ok', ...RUN_STEPS_DONE]));
    await expect(page.getByTestId('auth-counts').innerText()).resolves.toMatch(/\d+ APDUs · \d+ HTTP requests · .* in total/);
    await expect(page.getByTestId('key-cache').innerText()).resolves.toBe('New key agreed with the SIM.');

    // Secrets masked until revealed; nothing secret in the page's text.
    const region = page.getByRole('region', { name: 'Credentials' });
    expect(await page.content()).not.toContain(vended!.secretAccessKey);
    expect(await page.content()).not.toContain(vended!.sessionToken);
    await expect(region.getByTestId('identity-id').innerText()).resolves.toMatch(/^ap-northeast-1:/);
    await expect(region.getByTestId('expires').innerText()).resolves.toMatch(/in \d+:\d\d/);
    await screenshot(page, 'a-2-authenticated');
    await expectAccessible(page, 'authenticated');
    await region.getByRole('button', { name: 'Reveal secrets' }).click();
    await region.getByTestId('secret-access-key').getByText(vended!.secretAccessKey).waitFor();
    await expectAccessible(page, 'credentials revealed');
    await region.getByRole('button', { name: 'Hide secrets' }).click();
    expect(await page.content()).not.toContain(vended!.secretAccessKey);

    // S3: bucket from the SIM group's userdata, folders, breadcrumbs, the binary object.
    await openBucket(page);
    await page.getByText('Filled in from the SIM group’s userdata.').waitFor();
    const table = page.getByRole('table');
    await table.getByRole('button', { name: 'Open folder firmware/' }).waitFor();
    await expectAccessible(page, 'S3 list');
    await table.getByRole('button', { name: 'Open folder firmware/' }).click();
    await table.getByRole('button', { name: 'Open folder v1/' }).click();
    await page.getByRole('navigation', { name: 'Location' }).getByRole('button', { name: 'v1' }).waitFor();
    const row = table.getByRole('row', { name: /firmware\.bin/ });
    await row.getByRole('button', { name: 'Details' }).click();
    const seeded = server.lab.s3.objects.find((o) => o.key === 'firmware/v1/firmware.bin')!;
    await page.getByText(seeded.etag).waitFor();
    await screenshot(page, 'a-3-bucket');
    await expectAccessible(page, 'folder firmware/v1/ with details');
    await row.getByRole('button', { name: 'Download' }).click();
    const done = page.locator('.download[data-status="done"]');
    await done.waitFor({ timeout: 60_000 });
    await expect(done.innerText()).resolves.toContain('MD5 matches the ETag.');
    const saved = await readOpfsFile(page, 'firmware.bin');
    expect(saved).toEqual({ size: seeded.size, sha256: seeded.sha256 });
    await screenshot(page, 'a-4-downloaded');
    await expectAccessible(page, 'download done');
  }, 180_000);

  it('a second page reuses the cached key, and a browser without File System Access saves through its own download, streamed by the service worker', async () => {
    const page = await server.browser.context.newPage();
    await page.addInitScript({ content: 'delete window.showSaveFilePicker; delete Window.prototype.showSaveFilePicker;' });
    await connect(page, server.url, 'Virtual SIM (demo)');
    await authenticate(page);
    await expect(page.getByTestId('key-cache').innerText()).resolves.toBe('Cached key used: no key agreement needed.');
    const steps = await page.locator('.timeline li').evaluateAll((els) => els.map((e) => e.getAttribute('data-step')));
    expect(steps).not.toContain('authenticate');

    await openBucket(page);
    await page.getByText('streamed as they arrive (not held in memory)', { exact: false }).waitFor();
    const row = page.getByRole('table').getByRole('row', { name: /hello\.json/ });
    const [download] = await Promise.all([page.waitForEvent('download'), row.getByRole('button', { name: 'Download' }).click()]);
    const path = await download.path();
    const seeded = server.lab.s3.objects.find((o) => o.key === 'hello.json')!;
    expect(createHash('sha256').update(readFileSync(path)).digest('hex')).toBe(seeded.sha256);
    expect(download.suggestedFilename()).toBe('hello.json');
    await waitFor(() => page.locator('.download[data-status="done"]').count(), 'the download to be marked done');
    await page.close();
  }, 120_000);
});
