import http from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { startPcscd, type PcscdHandle } from '@krypton-web/krypton-lab/rigs';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authenticate, connect, launchBrowser, openBucket, waitFor } from '@krypton-web/web-driver';
import { screenshot } from './support/artifacts.test-support.ts';
import { startChromiumStack, type BrowserStack } from './support/browser-stack.test-support.ts';
import { startStack, type Stack } from './support/stack.test-support.ts';

// Issue 15 §1, in real Chromium against the real bridge: SORACOM out of reach says so (which failure,
// which host) instead of "localhost answered HTTP 502"; pcscd stopped says to start it instead of
// "no reader found"; a misspelt bucket gets NoSuchBucket advice instead of the CORS recipe. Each in
// English, then in Japanese.

const SORACOM = 'https://g.api.soracom.io';

/** What stands in for SORACOM behind the bridge for the next call. */
type Upstream = 'dns' | 'refused' | 'silent' | '503';

describe('SORACOM out of reach, through the bridge', () => {
  let stack: BrowserStack;
  let mode: Upstream = 'dns';
  let unavailable: http.Server;
  let silent: net.Server;
  const held: net.Socket[] = [];
  let refusedUrl: string;

  beforeAll(async () => {
    unavailable = http.createServer((req, res) => {
      req.resume();
      res.writeHead(503, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify({ code: 'COM0001', message: 'Service Unavailable' }));
    });
    await new Promise<void>((resolve) => unavailable.listen(0, '127.0.0.1', resolve));
    silent = net.createServer((socket) => void held.push(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const closed = net.createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    refusedUrl = `http://127.0.0.1:${(closed.address() as AddressInfo).port}`;
    await new Promise((resolve) => closed.close(resolve));
    const standIn = (): string =>
      mode === 'dns'
        ? 'http://g.api.soracom.nowhere.invalid'
        : mode === 'refused'
          ? refusedUrl
          : `http://127.0.0.1:${((mode === 'silent' ? silent : unavailable).address() as AddressInfo).port}`;
    stack = await startChromiumStack({
      stack: {
        upstreamTimeoutMs: 3000,
        // Only SORACOM's global endpoint is stood in for; the lab's calls go where they go.
        upstreamFetch: (input, init) => {
          const url = input instanceof Request ? input.url : String(input);
          return fetch(url.startsWith(SORACOM) ? url.replace(SORACOM, standIn()) : url, init);
        },
      },
    });
  }, 300_000);

  afterAll(async () => {
    await stack?.close();
    for (const s of held) s.destroy();
    await new Promise((resolve) => silent?.close(resolve));
    unavailable?.closeAllConnections();
    await new Promise((resolve) => unavailable?.close(resolve));
  });

  /** Connects the demo SIM with the global endpoint and presses Authenticate; the failure shown. */
  async function authenticateGlobal(page: Page, expected: string): Promise<string> {
    await page.goto(stack.url);
    await page.getByRole('radio', { name: 'Virtual SIM (demo)' }).check();
    await page.getByRole('radio', { name: 'SORACOM global (g.api.soracom.io)' }).check();
    await page.getByRole('button', { name: 'Connect', exact: true }).click();
    await page.getByRole('status').filter({ hasText: 'Connected:' }).waitFor({ timeout: 30_000 });
    await page.getByRole('button', { name: 'Authenticate', exact: true }).click();
    const alert = page.getByRole('alert').filter({ hasText: expected }).first();
    await alert.waitFor({ timeout: 30_000 });
    return alert.innerText();
  }

  it.each([
    ['dns', 'unreachable-dns', 'Cannot reach SORACOM (g.api.soracom.io): the name g.api.soracom.io does not resolve (DNS)'],
    ['refused', 'unreachable-refused', 'Cannot reach SORACOM (g.api.soracom.io): the connection to g.api.soracom.io was refused'],
    ['silent', 'unreachable-timeout', 'SORACOM (g.api.soracom.io) did not answer the bridge within 3 s'],
  ] as const)(
    '%s: the bridge’s code and a message naming SORACOM’s host, in English and Japanese',
    async (what, shot, expected) => {
      mode = what;
      const page = await stack.browser.context.newPage();
      try {
        const text = await authenticateGlobal(page, expected);
        expect(text).not.toMatch(/127\.0\.0\.1|localhost|answered HTTP 502|having trouble/);
        expect(text).toMatch(/internet connection|network connection/);
        await screenshot(page, `15-1-${shot}`);
        await page.locator('#language').selectOption('ja');
        const ja =
          what === 'silent'
            ? 'SORACOM（g.api.soracom.io）が時間内にブリッジへ応答しませんでした。'
            : 'SORACOM（g.api.soracom.io）に接続できません。';
        await page.getByRole('alert').filter({ hasText: ja }).first().waitFor({ timeout: 10_000 });
        await screenshot(page, `15-1-${shot}-ja`);
        await page.locator('#language').selectOption('en');
      } finally {
        await page.close();
      }
    },
    120_000,
  );

  it('SORACOM’s own 503 still says SORACOM answered 503 and to wait, naming SORACOM, not the bridge', async () => {
    mode = '503';
    const page = await stack.browser.context.newPage();
    try {
      const text = await authenticateGlobal(page, 'SORACOM (g.api.soracom.io) answered HTTP 503 (COM0001: Service Unavailable)');
      expect(text).toMatch(/wait a minute/);
      expect(text).not.toMatch(/127\.0\.0\.1|localhost/);
      await screenshot(page, '15-1-soracom-503');
    } finally {
      await page.close();
    }
  }, 120_000);
});

describe('SORACOM out of reach, called directly from the browser (no bridge in the way)', () => {
  let stack: BrowserStack;

  beforeAll(async () => {
    stack = await startChromiumStack();
  }, 300_000);

  afterAll(() => stack?.close());

  it('a name that does not resolve: "Cannot reach <host>", not a bare network error', async () => {
    const page = await stack.browser.context.newPage();
    await page.goto(stack.url);
    await page.getByRole('radio', { name: 'Virtual SIM (demo)' }).check();
    await page.getByRole('radio', { name: 'Custom URL' }).check();
    await page.getByLabel('Endpoint URL').fill('http://krypton.nowhere.invalid');
    await page.getByRole('button', { name: 'Connect', exact: true }).click();
    await page.getByRole('status').filter({ hasText: 'Connected:' }).waitFor({ timeout: 30_000 });
    await page.getByRole('button', { name: 'Authenticate', exact: true }).click();
    const alert = page.getByRole('alert').filter({ hasText: 'Cannot reach krypton.nowhere.invalid' }).first();
    await alert.waitFor({ timeout: 30_000 });
    const text = await alert.innerText();
    expect(text).toContain('Cannot reach krypton.nowhere.invalid: no internet, a DNS failure or a proxy in the way');
    expect(text).toContain('NETWORK_UNREACHABLE');
    await screenshot(page, '15-1-direct-unreachable');
    await page.close();
  }, 120_000);
});

describe('a misspelt bucket', () => {
  let stack: BrowserStack;

  beforeAll(async () => {
    stack = await startChromiumStack();
  }, 300_000);

  afterAll(() => stack?.close());

  it('gets NoSuchBucket advice, not the CORS recipe, in English and Japanese', async () => {
    const page = await stack.browser.context.newPage();
    await connect(page, stack.url, 'Virtual SIM (demo)');
    await authenticate(page);
    await openBucket(page, 'krypton-demo-misspelt');
    const alert = page.getByRole('alert').filter({ hasText: 'There is no bucket named' });
    await alert.waitFor({ timeout: 30_000 });
    const text = await alert.innerText();
    expect(text).toContain('There is no bucket named "krypton-demo-misspelt"');
    expect(text).toMatch(/typo/);
    expect(text).not.toContain('CORS');
    await expect(page.getByText('no CORS rule').count()).resolves.toBe(0);
    await screenshot(page, '15-1-no-such-bucket');
    await page.locator('#language').selectOption('ja');
    await page.getByRole('alert').filter({ hasText: 'バケット「krypton-demo-misspelt」がありません。' }).waitFor({ timeout: 10_000 });
    await screenshot(page, '15-1-no-such-bucket-ja');
    await page.locator('#language').selectOption('en');
    await page.close();
  }, 120_000);
});

describe('pcscd stopped', () => {
  let pcscd: PcscdHandle;
  let stack: Stack;
  let browser: Awaited<ReturnType<typeof launchBrowser>>;

  beforeAll(async () => {
    // libpcsclite dials the default socket, which this pcscd serves.
    delete process.env.PCSCLITE_CSOCK_NAME;
    pcscd = await startPcscd({ lockTimeoutMs: 240_000 });
    // No demo readers: the bridge lists only what pcscd shows.
    stack = await startStack({ pcsc: true, readers: [] });
    browser = await launchBrowser();
  }, 360_000);

  afterAll(async () => {
    await browser?.close();
    await stack?.close();
    await pcscd?.stop();
  });

  it('says to start the smart-card service, not to plug a reader in, and follows pcscd coming back', async () => {
    const page = await browser.context.newPage();
    await page.goto(stack.url);
    await page.getByRole('radio', { name: 'Card reader (bridge)' }).check();
    const readers = page.getByLabel('Card reader', { exact: true });
    const lookAgain = () => page.getByRole('button', { name: /^(Look for readers|リーダーを探す)$/ }).click();
    const listed = async () => (await readers.locator('option').allInnerTexts()).some((n) => n.startsWith(pcscd.readerName));
    await waitFor(async () => (await listed()) || (await lookAgain(), false), 'the bridge to list the vpcd reader', 20_000);
    await expect(page.getByTestId('pcscd-stopped').count()).resolves.toBe(0);

    const restarting = pcscd.restart({ pauseMs: 15_000 });
    const hint = page.getByTestId('pcscd-stopped');
    await waitFor(async () => (await hint.count()) > 0 || (await lookAgain(), false), 'the page to say pcscd is stopped', 10_000);
    const text = await hint.innerText();
    expect(text).toContain('The smart-card service (pcscd) is not running');
    expect(text).toContain('sudo systemctl start pcscd');
    await expect(page.getByText('No reader found').count()).resolves.toBe(0);
    await screenshot(page, '15-1-pcscd-stopped');
    await page.locator('#language').selectOption('ja');
    await page.getByTestId('pcscd-stopped').getByText('スマートカードのサービス（pcscd）が動いていない').waitFor({ timeout: 10_000 });
    await screenshot(page, '15-1-pcscd-stopped-ja');
    await page.locator('#language').selectOption('en');

    await restarting;
    await waitFor(async () => (await listed()) || (await lookAgain(), false), 'the reader to be listed again', 20_000);
    await expect(page.getByTestId('pcscd-stopped').count()).resolves.toBe(0);
    await page.close();
  }, 180_000);
});
