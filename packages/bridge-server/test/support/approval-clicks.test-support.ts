/**
 * The approvals page driven by a real browser: a page on another origin links to it, and the person
 * clicks Approve, Deny and Revoke there. The browser is a parameter (`ApprovalsBrowser`), so the same
 * run works for Chromium (playwright-core, `playwrightApprovalsBrowser`), Firefox (puppeteer-core over
 * WebDriver BiDi, `firefoxApprovalsBrowser`) and any other engine an adapter is written for.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { BrowserContext, Page } from 'playwright-core';
import type { FirefoxBrowser } from '@krypton-web/web-driver';
import { requestBridgeApproval, type PairingPrompt } from '@krypton-web/sim-transport';
import type { RunningBridge } from '../../src/index.ts';
import { eventually, wsFrom } from './harness.test-support.ts';

/** One browser tab, as the click run needs it. */
export interface ApprovalsTab {
  /** Navigates this tab to `url` (typed into the address bar); resolves with the answer's status. */
  goto(url: string): Promise<number>;
  /** Clicks the link whose text is `text`; resolves once the tab shows the page it leads to, with that page's status. */
  followLink(text: string): Promise<number>;
  /** Clicks the button labelled `button` in the list item containing `itemText`; resolves with the status of the form's POST. */
  clickButton(itemText: string, button: string): Promise<number>;
  /** The text of the page now shown. */
  text(): Promise<string>;
}

/** A browser engine, as the click run needs it. */
export interface ApprovalsBrowser {
  /** A name for messages ("chromium", "firefox"). */
  name: string;
  newTab(): Promise<ApprovalsTab>;
}

/** What one run of `clickThroughApprovals` saw. */
export interface ApprovalClicksResult {
  /** Status of the approvals page opened from a link on another site. */
  linkedPageStatus: number;
  /** Status of each form POST (303 when accepted). */
  approvePost: number;
  denyPost: number;
  revokePost: number;
}

/** Serves one page on another loopback origin (`http://localhost:<port>`) with a link to the bridge's approvals page. */
async function linkingSite(approvalsUrl: string): Promise<{ origin: string; server: Server }> {
  const server = createServer((_req, res) => {
    res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
    res.end(`<!doctype html><title>asking page</title><a href="${approvalsUrl}">Open the bridge's approvals page</a>`);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { origin: `http://localhost:${(server.address() as AddressInfo).port}`, server };
}

/** Asks the bridge for approval as a page of `origin` would; resolves once the bridge answered with a code. */
async function ask(bridge: RunningBridge, origin: string): Promise<{ prompt: PairingPrompt; token: Promise<string> }> {
  let prompt: PairingPrompt | undefined;
  const token = requestBridgeApproval(`ws://127.0.0.1:${bridge.port}/pair`, (p) => (prompt = p), { WebSocket: wsFrom(origin) });
  token.catch(() => undefined);
  await eventually(() => prompt !== undefined, `${origin} got its code`);
  return { prompt: prompt!, token };
}

/**
 * The person's whole round on the approvals page in a real browser: opened from a link on another
 * site; Approve (the asking page gets its token), Deny (the asking page is told), Revoke (the origin
 * loses its approval) clicked there. Throws, naming the browser, when any step does not happen.
 */
export async function clickThroughApprovals(browser: ApprovalsBrowser, bridge: RunningBridge): Promise<ApprovalClicksResult> {
  const fail = (what: string) => new Error(`${browser.name}: ${what}`);
  const approvalsUrl = `${bridge.url}/approvals`;
  const site = await linkingSite(approvalsUrl);
  try {
    const first = await ask(bridge, site.origin);
    const tab = await browser.newTab();
    expectStatus(await tab.goto(site.origin), 200, fail, 'the linking page');
    const linkedPageStatus = await tab.followLink("Open the bridge's approvals page");
    if (!(await tab.text()).includes(first.prompt.code))
      throw fail(`the approvals page opened from a link does not show code ${first.prompt.code}`);

    const approvePost = await tab.clickButton(first.prompt.code, 'Approve');
    const token = await Promise.race([first.token, timeout(5000, fail('Approve gave the asking page no token'))]);
    if (!/^[A-Za-z0-9_-]{43}$/.test(token)) throw fail('the token is malformed');
    if (!bridge.approvals.isApproved(site.origin)) throw fail('Approve did not approve the origin');

    const other = 'http://localhost:1';
    const second = await ask(bridge, other);
    await tab.goto(approvalsUrl);
    const denyPost = await tab.clickButton(second.prompt.code, 'Deny');
    const denied = await Promise.race([
      second.token.then(
        () => 'approved',
        () => 'refused',
      ),
      timeout(5000, fail('Deny did not answer the asking page')),
    ]);
    if (denied !== 'refused' || bridge.approvals.isApproved(other)) throw fail('Deny approved the origin');

    await tab.goto(approvalsUrl);
    const revokePost = await tab.clickButton(site.origin, 'Revoke');
    if (bridge.approvals.isApproved(site.origin)) throw fail('Revoke left the origin approved');
    return { linkedPageStatus, approvePost, denyPost, revokePost };
  } finally {
    await new Promise<void>((resolve) => {
      site.server.close(() => resolve());
      site.server.closeAllConnections();
    });
  }
}

function expectStatus(got: number, want: number, fail: (what: string) => Error, what: string): void {
  if (got !== want) throw fail(`${what} answered ${got}, not ${want}`);
}

function timeout(ms: number, error: Error): Promise<never> {
  return new Promise((_, reject) => setTimeout(() => reject(error), ms).unref());
}

/** Chromium (or any playwright-core engine) as an `ApprovalsBrowser`. */
export function playwrightApprovalsBrowser(context: BrowserContext, name = 'chromium'): ApprovalsBrowser {
  return {
    name,
    newTab: async () => {
      const page: Page = await context.newPage();
      return {
        goto: async (url) => (await page.goto(url))?.status() ?? 0,
        followLink: async (text) => {
          const [response] = await Promise.all([page.waitForNavigation(), page.getByRole('link', { name: text }).click()]);
          return response?.status() ?? 0;
        },
        clickButton: async (itemText, button) => {
          // The page reloads itself every few seconds: a click that loses that race is made again.
          for (let attempt = 0; ; attempt++) {
            try {
              const [post] = await Promise.all([
                page.waitForResponse((r) => r.request().method() === 'POST', { timeout: 2500 }),
                page.locator('li', { hasText: itemText }).getByRole('button', { name: button }).click({ timeout: 2500 }),
              ]);
              await page.waitForLoadState();
              return post.status();
            } catch (e) {
              if (attempt >= 2) throw e;
            }
          }
        },
        text: () => page.locator('body').innerText(),
      };
    },
  };
}

/** A puppeteer page of Firefox (the type comes through web-driver: this package does not depend on puppeteer-core itself). */
type FirefoxTabPage = FirefoxBrowser['page']['puppeteerPage'];

/** `text` as an XPath string literal (the texts clicked here hold no double quote). */
function xpathString(text: string): string {
  if (text.includes('"')) throw new Error(`cannot look up ${text} by XPath: it holds a double quote`);
  return `"${text}"`;
}

/** Firefox (web-driver's `launchFirefox`, puppeteer-core over WebDriver BiDi) as an `ApprovalsBrowser`: each tab a new page in its context. */
export function firefoxApprovalsBrowser(firefox: FirefoxBrowser): ApprovalsBrowser {
  return {
    name: 'firefox',
    newTab: async () => {
      const page: FirefoxTabPage = await firefox.page.puppeteerPage.browserContext().newPage();
      const timeout = 15_000;
      const element = async (xpath: string, what: string) => {
        const el = await page.waitForSelector(`::-p-xpath(${xpath})`, { timeout: 5_000 }).catch(() => null);
        if (!el) throw new Error(`firefox: no ${what} on ${page.url()}`);
        return el;
      };
      return {
        goto: async (url) => (await page.goto(url, { waitUntil: 'load', timeout }))?.status() ?? 0,
        followLink: async (text) => {
          const link = await element(`//a[normalize-space()=${xpathString(text)}]`, `link "${text}"`);
          const [response] = await Promise.all([page.waitForNavigation({ waitUntil: 'load', timeout }), link.click()]);
          return response?.status() ?? 0;
        },
        clickButton: async (itemText, button) => {
          // The page reloads itself every few seconds: a click that loses that race is made again.
          for (let attempt = 0; ; attempt++) {
            try {
              const target = await element(
                `//li[contains(., ${xpathString(itemText)})]//button[normalize-space()=${xpathString(button)}]`,
                `button "${button}" next to "${itemText}"`,
              );
              const [post] = await Promise.all([
                page.waitForResponse((r) => r.request().method() === 'POST', { timeout: 2500 }),
                page.waitForNavigation({ waitUntil: 'load', timeout }),
                target.click(),
              ]);
              return post.status();
            } catch (e) {
              if (attempt >= 2) throw e;
            }
          }
        },
        text: () => page.evaluate('document.body.innerText') as Promise<string>,
      };
    },
  };
}
