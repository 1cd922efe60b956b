import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Lab } from '@krypton-web/krypton-lab';
import { downloadIn, openBucketIn, type EngineBrowser, type EnginePage } from '@krypton-web/web-driver';
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
  const bytes = readFileSync(path);
  expect({ size: bytes.length, sha256: createHash('sha256').update(bytes).digest('hex') }).toEqual({ size: seeded.size, sha256: seeded.sha256 });
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
