import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { INTEGRITY_KEYS, type Lab } from '@krypton-web/krypton-lab';
import {
  authenticateIn,
  connectBridgeModemIn,
  connectIn,
  downloadIn,
  openBucketIn,
  waitFor,
  type EngineBrowser,
  type EnginePage,
} from '@krypton-web/web-driver';
import type { BridgeModemStack } from './bridge-modem.test-support.ts';
import type { CardReaderRig } from './card-reader-rig.test-support.ts';
import type { Stack } from './stack.test-support.ts';
import { expect } from 'vitest';
import { ARTIFACTS } from './artifacts.test-support.ts';

/** Saves a screenshot of an engine's page under apps/web/test-results/<name>.png. */
export async function engineScreenshot(page: EnginePage, name: string): Promise<void> {
  mkdirSync(ARTIFACTS, { recursive: true });
  await page.screenshot(join(ARTIFACTS, `${name}.png`));
}

/** Milliseconds since `start`, logged with what took that long (the engines' timings in the test output). */
export function logTiming(engine: string, what: string, start: number): number {
  const ms = Math.round(performance.now() - start);
  console.log(`[${engine}] ${what}: ${ms} ms`);
  return ms;
}

/**
 * Opens the demo bucket, downloads `key` through the page into the browser's download folder, and
 * checks the file against the lab's object (size and SHA-256) and what the page says about it: the
 * streamed download (no File System Access in these engines), its MD5 checked against the ETag.
 */
export async function downloadChecked(browser: EngineBrowser, lab: Lab, key: string, options: { streamed: boolean }): Promise<void> {
  const { page } = browser;
  await openBucketIn(page);
  if (options.streamed) await page.waitFor({ text: 'streamed as they arrive (not held in memory)' }, 10_000);
  const seeded = lab.s3.objects.find((o) => o.key === key);
  if (!seeded) throw new Error(`the lab seeded no ${key}`);
  const { path, status } = await downloadIn(browser, key);
  expect(status).toContain('MD5 matches the ETag.');
  if (options.streamed) {
    // The bytes went through the download service worker (not a Blob in the page).
    const scopes = await page.evaluate<string[]>(
      `async () => (await navigator.serviceWorker.getRegistrations()).filter((r) => r.active).map((r) => new URL(r.scope).pathname)`,
    );
    expect(scopes).toContain('/krypton-download/');
  }
  const bytes = readFileSync(path);
  expect({ size: bytes.length, sha256: createHash('sha256').update(bytes).digest('hex') }).toEqual({
    size: seeded.size,
    sha256: seeded.sha256,
  });
}

/** The authenticate step's outcome as the page shows it: the access key id the lab vended, the whole timeline done. */
export async function expectAuthenticated(page: EnginePage, lab: Lab, akid: string, keyCache: 'new' | 'cached'): Promise<void> {
  const vended = lab.credentials.lookup(akid);
  expect(vended, 'the access key id shown is one the lab vended').toBeDefined();
  await expect(page.text({ testId: 'key-cache' })).resolves.toBe(
    keyCache === 'new' ? 'New key agreed with the SIM.' : 'Cached key used: no key agreement needed.',
  );
  const html = await page.content();
  expect(html).not.toContain(vended!.secretAccessKey);
  expect(html).not.toContain(vended!.sessionToken);
}

/** Which SIM links the page offers (enabled radio buttons), by label. */
export async function offeredLinks(page: EnginePage): Promise<Record<string, boolean>> {
  const names = ['Virtual SIM (demo)', 'USB modem (Web Serial)', 'USB modem (WebUSB)', 'Card reader (bridge)'];
  const out: Record<string, boolean> = {};
  for (const name of names) out[name] = (await page.attribute({ role: 'radio', name }, 'disabled')) === null;
  return out;
}

/**
 * The virtual-SIM flow an engine runs: the links it offers (`webSerial`: whether the engine has Web Serial),
 * the SIM read, a fresh key agreement, a streamed download whose SHA-256 matches the lab's, a failed
 * download shown failed with no file left, and the encrypted key cache reused after a reload.
 */
export async function virtualSimFlow(browser: EngineBrowser, stack: Stack, engine: string, webSerial: boolean): Promise<void> {
  const { page } = browser;
  const start = performance.now();
  // The links offered are read on the first screen: once connected, the chooser folds into a summary.
  await page.goto(stack.url);
  await page.waitFor({ role: 'radio', name: 'Virtual SIM (demo)' }, 30_000);
  expect(await offeredLinks(page)).toEqual({
    'Virtual SIM (demo)': true,
    'USB modem (Web Serial)': webSerial,
    'USB modem (WebUSB)': false,
    'Card reader (bridge)': true,
  });
  await connectIn(page, stack.url, 'Virtual SIM (demo)');
  expect(await page.text({ testId: 'imsi' })).toBe('001010000000001');
  await expectAuthenticated(page, stack.lab, await authenticateIn(page), 'new');
  await downloadChecked(browser, stack.lab, 'firmware/v1/firmware.bin', { streamed: true });
  await engineScreenshot(page, `${engine}-1-virtual-downloaded`);
  logTiming(engine, 'virtual-SIM flow (connect, authenticate, list, download 3 MB)', start);

  await failedDownloadLeavesNothing(browser, stack.lab, 'hello.json');

  // The encrypted key cache (IndexedDB, a non-extractable WebCrypto key) survives a reload.
  await connectIn(page, stack.url, 'Virtual SIM (demo)');
  await expectAuthenticated(page, stack.lab, await authenticateIn(page), 'cached');
}

/**
 * An object stored with Content-Encoding gzip, downloaded in a fresh session: the file holds S3's
 * bytes (the browser did not decode them), checked against the ETag, and the page says how to unpack it.
 */
export async function encodedObjectSavedAsStored(browser: EngineBrowser, stack: Stack): Promise<void> {
  const { page } = browser;
  const key = INTEGRITY_KEYS.gzipEncoded;
  const seeded = stack.lab.s3.objects.find((o) => o.key === key);
  expect(seeded?.contentEncoding).toBe('gzip');
  await connectIn(page, stack.url, 'Virtual SIM (demo)');
  await authenticateIn(page);
  await openBucketIn(page);
  const { path, status } = await downloadIn(browser, key);
  expect(status).toContain('MD5 matches the ETag.');
  expect(status).toContain('S3 stores it gzip-compressed (Content-Encoding: gzip): saved as stored; unpack it with `gunzip`.');
  const bytes = readFileSync(path);
  expect({ size: bytes.length, sha256: createHash('sha256').update(bytes).digest('hex') }).toEqual({
    size: seeded!.size,
    sha256: seeded!.sha256,
  });
}

/**
 * The card-reader flow in any engine (mirrors card-reader.test.ts): choose the rig's reader,
 * connect, authenticate (APDUs sent by the bridge), and download `key` checked against the lab.
 */
export async function cardReaderFlow(rig: CardReaderRig<EngineBrowser>, key: string): Promise<void> {
  const { browser, pcscd } = rig;
  const { page } = browser;
  await page.goto(rig.url);
  await page.check({ role: 'radio', name: 'Card reader (bridge)' });
  await page.check({ role: 'radio', name: 'Local lab (demo)' });
  await waitFor(
    async () => {
      const names = await page.evaluate<string[]>(`() => Array.from(document.querySelectorAll('option')).map((o) => o.textContent.trim())`);
      if (names.includes(pcscd.readerName)) return true;
      await page.click({ role: 'button', name: 'Look for readers' });
      return false;
    },
    `the bridge to list ${pcscd.readerName}`,
    20_000,
  );
  await page.select({ label: 'Card reader', exact: true }, pcscd.readerName);
  await page.click({ role: 'button', name: 'Connect', exact: true });
  await page.waitFor({ role: 'status', hasText: `Connected: ${pcscd.readerName}` }, 30_000);
  expect(await page.text({ testId: 'imsi' })).toBe('001010000000001');
  const akid = await authenticateIn(page);
  await expectAuthenticated(page, rig.lab, akid, 'new');
  await expect(page.text({ testId: 'auth-counts' })).resolves.toMatch(/^APDUs sent by the bridge · \d+ HTTP requests/);
  await downloadChecked(browser, rig.lab, key, { streamed: true });
}

/**
 * The modem-through-bridge flow in any engine (mirrors bridge-modem.test.ts): choose "USB modem
 * (bridge)" and the emulated modem's pty, connect, read the SIM and the modem, authenticate (APDUs
 * sent by the bridge), and download `key` checked against the lab.
 */
export async function bridgeModemFlow(browser: EngineBrowser, rig: BridgeModemStack, key: string): Promise<void> {
  const { page } = browser;
  await connectBridgeModemIn(page, rig.stack.url, rig.modem.path);
  expect(await page.text({ testId: 'imsi' })).toBe('001010000000001');
  expect(await page.text({ testId: 'modem-manufacturer' })).toBe('huawei');
  expect(await page.text({ testId: 'modem-model' })).toBe('MS2131');
  expect(await page.text({ testId: 'modem-imei' })).toBe('866913021234569');
  const akid = await authenticateIn(page);
  await expectAuthenticated(page, rig.stack.lab, akid, 'new');
  await expect(page.text({ testId: 'auth-counts' })).resolves.toMatch(/^APDUs sent by the bridge · \d+ HTTP requests/);
  await downloadChecked(browser, rig.stack.lab, key, { streamed: true });
}

/**
 * With S3 failing every GET (the lab's fault injection), a download of `key` from the listed bucket
 * is shown failed, with what happened, and leaves no file (not even a partial one) in the browser's
 * download folder. Clears the fault after.
 */
export async function failedDownloadLeavesNothing(browser: EngineBrowser, lab: Lab, key: string): Promise<void> {
  const { page } = browser;
  const name = key.split('/').pop()!;
  const before = new Set(readdirSync(browser.downloadDir));
  // Listed again from the bucket's top (the listing itself must work before S3 fails).
  await page.click({ role: 'button', name: 'List', exact: true });
  await page.waitFor({ role: 'row', name: new RegExp(name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')), within: { role: 'table' } }, 30_000);
  const doneBefore = await page.count({ css: '.download[data-status="done"]' });
  lab.faults.update({ errorRate: 1, errorStatus: 503, errorServices: ['s3'] });
  try {
    const row = { role: 'row', name: new RegExp(name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')), within: { role: 'table' } } as const;
    await page.click({ role: 'button', name: 'Download', within: row });
    await page.waitFor({ css: '.download[data-status="failed"]' }, 60_000);
    const failed = await page.text({ css: '.download[data-status="failed"]' });
    expect(failed).toContain(name);
    expect(failed).toMatch(/What happened:/);
    expect(await page.count({ css: '.download[data-status="done"]' })).toBe(doneBefore);
    // Give the browser time to have started a download, had one been started.
    await new Promise((r) => setTimeout(r, 1_500));
    expect(readdirSync(browser.downloadDir).filter((f) => !before.has(f))).toEqual([]);
  } finally {
    lab.faults.update({ errorRate: 0 });
  }
}

/**
 * A streamed download the service worker acknowledges but then misses (its registration answered,
 * the path reaching the bridge, which answers 404 there): the page shows it failed as not started
 * within seconds (not after the 30 s first-pull timeout) and no file appears. Returns how long the
 * page took to say so, in ms. The miss is made in the page: the next registration is answered from
 * the page's side of the channel instead of reaching the service worker.
 */
export async function missedDownloadFailsFast(browser: EngineBrowser, key: string): Promise<number> {
  const { page } = browser;
  const name = key.split('/').pop()!;
  const before = new Set(readdirSync(browser.downloadDir));
  await openBucketIn(page);
  const row = { role: 'row', name: new RegExp(name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')), within: { role: 'table' } } as const;
  await page.waitFor(row, 30_000);
  const failedBefore = await page.count({ css: '.download[data-status="failed"]' });
  await page.evaluate(`() => {
    const post = ServiceWorker.prototype.postMessage;
    ServiceWorker.prototype.postMessage = function (message, transfer) {
      if (message && message.t === 'krypton-download') {
        ServiceWorker.prototype.postMessage = post;
        transfer[0].postMessage({ t: 'registered' });
        return;
      }
      return post.call(this, message, transfer);
    };
  }`);
  const start = performance.now();
  await page.click({ role: 'button', name: 'Download', within: row });
  await waitFor(
    async () => (await page.count({ css: '.download[data-status="failed"]' })) > failedBefore,
    `the page to mark the missed download of ${key} failed`,
    40_000,
  );
  const ms = Math.round(performance.now() - start);
  const failed = await page.text({ css: '.download[data-status="failed"]' });
  expect(failed).toContain(name);
  expect(failed).toContain('The browser did not start saving the file');
  await new Promise((r) => setTimeout(r, 1_000));
  expect(readdirSync(browser.downloadDir).filter((f) => !before.has(f))).toEqual([]);
  return ms;
}
