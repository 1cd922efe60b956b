/**
 * Debian's Firefox ESR, headless, driven over WebDriver BiDi by puppeteer-core (24.x: 25.x needs Node 22).
 * Downloads go to a fresh folder (the browser context's download behaviour), removed by close().
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import puppeteer, { type Browser, type Page } from 'puppeteer-core';
import { EngineLaunchError, encodeTarget, FINDER, pageScript, ScriptedPage, type EngineBrowser, type Target } from './engine.ts';

/** Debian's Firefox ESR. */
export const FIREFOX = '/usr/bin/firefox-esr';

/** A Firefox page: scripts through puppeteer's evaluate, clicks as real input events. */
class FirefoxPage extends ScriptedPage {
  readonly engine = 'firefox' as const;
  constructor(readonly puppeteerPage: Page) {
    super();
  }

  async goto(url: string): Promise<void> {
    await this.puppeteerPage.goto(url, { waitUntil: 'load', timeout: 30_000 });
  }

  async screenshot(path: string): Promise<void> {
    await this.puppeteerPage.screenshot({ path, fullPage: true });
  }

  protected async run<T>(body: string, args: unknown[]): Promise<T> {
    return (await this.puppeteerPage.evaluate(pageScript(body, args))) as T;
  }

  protected async clickFirst(target: Target): Promise<boolean> {
    const handle = await this.puppeteerPage.evaluateHandle(`(${FINDER})(${JSON.stringify(encodeTarget(target))})[0] || null`);
    const el = handle.asElement();
    if (!el) {
      await handle.dispose();
      return false;
    }
    try {
      await (el as import('puppeteer-core').ElementHandle<Element>).click();
    } finally {
      await el.dispose();
    }
    return true;
  }
}

/** A launched Firefox: its engine-neutral page, the puppeteer objects (to reuse elsewhere), and its download folder. */
export interface FirefoxBrowser extends EngineBrowser {
  readonly engine: 'firefox';
  readonly page: FirefoxPage;
  readonly browser: Browser;
  /** Adds a script that runs before the page's own on every navigation (call before goto). */
  addInitScript(source: string): Promise<void>;
}

/**
 * Starts Debian's Firefox ESR headless with a fresh profile and download folder. Fails with a clear
 * error when the browser does not answer within `timeoutMs` (never hangs a test run).
 */
export async function launchFirefox(options: { timeoutMs?: number; locale?: string } = {}): Promise<FirefoxBrowser> {
  const started = performance.now();
  const home = mkdtempSync(join(tmpdir(), 'krypton-web-firefox-'));
  const downloadDir = join(home, 'downloads');
  mkdirSync(downloadDir);
  const timeoutMs = options.timeoutMs ?? 60_000;
  let browser: Browser;
  try {
    browser = await puppeteer.launch({
      browser: 'firefox',
      executablePath: FIREFOX,
      headless: true,
      userDataDir: join(home, 'profile'),
      timeout: timeoutMs,
      protocolTimeout: timeoutMs,
      extraPrefsFirefox: {
        'intl.accept_languages': options.locale ?? 'en-US',
        'intl.locale.requested': options.locale ?? 'en-US',
        // The machine's network is closed: no update, telemetry or captive-portal checks.
        'app.update.enabled': false,
        'network.captive-portal-service.enabled': false,
        'toolkit.telemetry.enabled': false,
        'browser.download.always_ask_before_handling_new_types': false,
      },
    });
  } catch (e) {
    rmSync(home, { recursive: true, force: true });
    throw new EngineLaunchError(
      'ENGINE_NOT_STARTED',
      `Firefox (${FIREFOX}) did not start within ${timeoutMs} ms over WebDriver BiDi: ${e instanceof Error ? e.message : String(e)}. Is firefox-esr installed (apt-get install firefox-esr)?`,
      { cause: e },
    );
  }
  try {
    const context = await browser.createBrowserContext({ downloadBehavior: { policy: 'allow', downloadPath: downloadDir } });
    const page = await context.newPage();
    await page.setViewport({ width: 1280, height: 900 });
    return {
      engine: 'firefox',
      browser,
      page: new FirefoxPage(page),
      downloadDir,
      launchMs: Math.round(performance.now() - started),
      addInitScript: async (source) => {
        await page.evaluateOnNewDocument(source);
      },
      close: async () => {
        await browser.close().catch(() => browser.process()?.kill('SIGKILL'));
        rmSync(home, { recursive: true, force: true });
      },
    };
  } catch (e) {
    await browser.close().catch(() => browser.process()?.kill('SIGKILL'));
    rmSync(home, { recursive: true, force: true });
    throw e;
  }
}
