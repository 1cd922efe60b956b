import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { WEB_ROOT } from './build.ts';

export const CHROMIUM = '/usr/bin/chromium';
export const ARTIFACTS = join(WEB_ROOT, 'test-results');

/** Debian's Chromium, headless, with a fresh profile directory (removed by close()). */
export async function launchBrowser(options: { locale?: string } = {}): Promise<{ context: BrowserContext; page: Page; close(): Promise<void> }> {
  const profile = mkdtempSync(join(tmpdir(), 'krypton-web-e2e-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    locale: options.locale ?? 'en-US',
    viewport: { width: 1280, height: 900 },
    acceptDownloads: true,
  });
  const page = context.pages()[0] ?? (await context.newPage());
  return {
    context,
    page,
    close: async () => {
      await context.close().catch(() => undefined);
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/** Saves a screenshot under apps/web/test-results/<name>.png. */
export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(ARTIFACTS, { recursive: true });
  await page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });
}

/**
 * Replaces `showSaveFilePicker` with one that hands out files in the origin-private file system:
 * the app then streams to a real FileSystemFileHandle (createWritable in the worker) that the test
 * can read back. Must run before page scripts.
 */
export const OPFS_PICKER = `
  window.showSaveFilePicker = async (options = {}) => {
    const root = await navigator.storage.getDirectory();
    const name = (options.suggestedName || 'download.bin').replace(/[\\\\/]/g, '_');
    window.__savedFiles = (window.__savedFiles || []).concat([name]);
    return root.getFileHandle(name, { create: true });
  };
`;

/** Reads a file back from the origin-private file system: its size and SHA-256, or null when absent. */
export async function readOpfsFile(page: Page, name: string): Promise<{ size: number; sha256: string } | null> {
  return page.evaluate(async (n) => {
    const root = await navigator.storage.getDirectory();
    let handle: FileSystemFileHandle;
    try {
      handle = await root.getFileHandle(n);
    } catch {
      return null;
    }
    const file = await handle.getFile();
    const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', await file.arrayBuffer()));
    return { size: file.size, sha256: Array.from(digest, (b) => b.toString(16).padStart(2, '0')).join('') };
  }, name);
}
