/**
 * Debian's Chromium driven by playwright-core, as the web app's browser tests and `pnpm bench` use it,
 * and a stand-in save picker that writes to the origin-private file system so a download can be read back.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';

/** Debian's Chromium (a test tool's own browser download does not work on this machine). */
export const CHROMIUM = '/usr/bin/chromium';
/** Chromium's flags here: headless, and no background networking (the machine's closed network refuses it, many connections at a time). */
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** Debian's Chromium, headless, with a fresh profile directory (removed by close()). */
export async function launchBrowser(
  options: { locale?: string } = {},
): Promise<{ context: BrowserContext; page: Page; close(): Promise<void> }> {
  const profile = mkdtempSync(join(tmpdir(), 'krypton-web-e2e-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_ARGS,
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
