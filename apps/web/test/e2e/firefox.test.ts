import { startPcscd, type PcscdHandle } from '@krypton-web/krypton-lab/rigs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authenticateIn, connectIn, launchFirefox, type FirefoxBrowser } from '@krypton-web/web-driver';
import {
  downloadChecked,
  engineScreenshot,
  expectAuthenticated,
  logTiming,
  bridgeModemFlow,
  cardReaderFlow,
  missedDownloadFailsFast,
  virtualSimFlow,
} from './support/engine-flows.test-support.ts';
import { fakeSerialScript } from './support/fake-serial.test-support.ts';
import { startBridgeModemStack, type BridgeModemStack } from './support/bridge-modem.test-support.ts';
import { startStack, type Stack } from './support/stack.test-support.ts';
import { insertVcard, type Vcard } from './support/vcard.test-support.ts';

// Debian's Firefox ESR over WebDriver BiDi (puppeteer-core): no WebUSB and no save picker, so every
// download goes through the download service worker into Firefox's own download folder.

async function launch(): Promise<FirefoxBrowser> {
  const browser = await launchFirefox();
  console.log(`[firefox] launch: ${browser.launchMs} ms`);
  return browser;
}

describe('Firefox: virtual SIM to a downloaded S3 object', () => {
  let stack: Stack;
  let browser: FirefoxBrowser;

  beforeAll(async () => {
    stack = await startStack();
    browser = await launch();
  }, 300_000);

  afterAll(async () => {
    await browser?.close();
    await stack?.close();
  });

  it('offers what Firefox has (Web Serial, the bridge; not WebUSB), authenticates, streams a download whose SHA-256 matches the lab’s, and shows a failed one failed with no file left', async () => {
    await virtualSimFlow(browser, stack, 'firefox', true);
  }, 180_000);

  it('a download the service worker missed (the bridge answers its path 404) fails as not started at once, not after 30 s', async () => {
    const ms = await missedDownloadFailsFast(browser, 'hello.json');
    console.log(`[firefox] missed download shown failed after: ${ms} ms`);
    expect(ms).toBeLessThan(15_000);
  }, 120_000);
});

describe('Firefox: USB modem over Web Serial (a fake navigator.serial backed by the lab’s Huawei emulator)', () => {
  let stack: Stack;
  let browser: FirefoxBrowser;

  beforeAll(async () => {
    stack = await startStack();
    browser = await launch();
    await browser.addInitScript(
      await fakeSerialScript({ sim: 'demo', modem: { urcNoise: { seed: 11, intervalMs: 200, midResponseRate: 0.4 }, chunking: true } }),
    );
  }, 300_000);

  afterAll(async () => {
    await browser?.close();
    await stack?.close();
  });

  it('reads the SIM and the modem, authenticates, and downloads an object whose SHA-256 matches', async () => {
    const { page } = browser;
    const start = performance.now();
    await connectIn(page, stack.url, 'USB modem (Web Serial)');
    expect(await page.text({ testId: 'imsi' })).toBe('001010000000001');
    expect(await page.text({ testId: 'modem-manufacturer' })).toBe('huawei');
    expect(await page.text({ testId: 'modem-model' })).toBe('MS2131');
    const akid = await authenticateIn(page);
    await expectAuthenticated(page, stack.lab, akid, 'new');
    await downloadChecked(browser, stack.lab, 'hello.json', { streamed: true });
    await engineScreenshot(page, 'firefox-2-modem-downloaded');
    logTiming('firefox', 'Web Serial modem flow', start);
  }, 180_000);
});

// Needs root for pcscd (as in CI); pcscd tests take a machine-wide lock.
describe('Firefox: card reader through the bridge (pcscd, vpcd and the lab’s vcard)', () => {
  let pcscd: PcscdHandle;
  let vcard: Vcard | undefined;
  let stack: Stack;
  let browser: FirefoxBrowser;

  beforeAll(async () => {
    delete process.env.PCSCLITE_CSOCK_NAME;
    pcscd = await startPcscd({ lockTimeoutMs: 240_000 });
    vcard = await insertVcard(pcscd.vpcdPort, 'demo');
    stack = await startStack({ pcsc: true });
    browser = await launch();
  }, 360_000);

  afterAll(async () => {
    await browser?.close();
    await stack?.close();
    await vcard?.remove();
    await pcscd?.stop();
  });

  it('reads the SIM in the reader, authenticates, and downloads an object whose SHA-256 matches', async () => {
    const { page } = browser;
    const start = performance.now();
    await cardReaderFlow(browser, stack, pcscd, 'firmware/v1/firmware.bin');
    await engineScreenshot(page, 'firefox-3-reader-downloaded');
    logTiming('firefox', 'card-reader flow (bridge, pcscd)', start);
  }, 180_000);
});

describe('Firefox: USB modem through the bridge (a socat pty with the lab’s Huawei emulator)', () => {
  let rig: BridgeModemStack;
  let browser: FirefoxBrowser;

  beforeAll(async () => {
    rig = await startBridgeModemStack();
    browser = await launch();
  }, 300_000);

  afterAll(async () => {
    await browser?.close();
    await rig?.close();
  });

  it('reads the SIM and the modem through the bridge, authenticates, and downloads an object whose SHA-256 matches', async () => {
    const { page } = browser;
    const start = performance.now();
    await bridgeModemFlow(browser, rig, 'firmware/v1/firmware.bin');
    await engineScreenshot(page, 'firefox-4-bridge-modem-downloaded');
    logTiming('firefox', 'bridge modem flow (socat pty, connect, authenticate, list, download 3 MB)', start);
  }, 240_000);
});
