import { startPcscd, type PcscdHandle } from '@krypton-web/krypton-lab/rigs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchWebKit, type WebKitBrowser } from '@krypton-web/web-driver';
import {
  engineScreenshot,
  logTiming,
  bridgeModemFlow,
  cardReaderFlow,
  missedDownloadFailsFast,
  virtualSimFlow,
} from './support/engine-flows.test-support.ts';
import { startBridgeModemStack, type BridgeModemStack } from './support/bridge-modem.test-support.ts';
import { startStack, type Stack } from './support/stack.test-support.ts';
import { insertVcard, type Vcard } from './support/vcard.test-support.ts';

// WebKitGTK through WebKitWebDriver (MiniBrowser on its own Xvfb), the stand-in for Safari: no Web
// Serial, no WebUSB, no save picker, no OPFS; downloads land in the XDG download folder.
describe('WebKitGTK: virtual SIM to a downloaded S3 object', () => {
  let stack: Stack;
  let browser: WebKitBrowser;

  beforeAll(async () => {
    stack = await startStack();
    browser = await launchWebKit();
    console.log(`[webkit] launch (Xvfb, WebKitWebDriver, MiniBrowser session): ${browser.launchMs} ms`);
  }, 300_000);

  afterAll(async () => {
    await browser?.close();
    await stack?.close();
  });

  it('offers the bridge where Web Serial and WebUSB are missing, authenticates, downloads an object whose SHA-256 matches, and shows a failed one failed with no file left', async () => {
    await virtualSimFlow(browser, stack, 'webkit', false);
  }, 180_000);

  it('a download the service worker missed (the bridge answers its path 404) fails as not started at once, not after 30 s', async () => {
    const ms = await missedDownloadFailsFast(browser, 'hello.json');
    console.log(`[webkit] missed download shown failed after: ${ms} ms`);
    expect(ms).toBeLessThan(15_000);
  }, 120_000);
});

// Needs root for pcscd (as in CI); pcscd tests take a machine-wide lock.
describe('WebKitGTK: card reader through the bridge (pcscd, vpcd and the lab’s vcard)', () => {
  let pcscd: PcscdHandle;
  let vcard: Vcard | undefined;
  let stack: Stack;
  let browser: WebKitBrowser;

  beforeAll(async () => {
    delete process.env.PCSCLITE_CSOCK_NAME;
    pcscd = await startPcscd({ lockTimeoutMs: 240_000 });
    vcard = await insertVcard(pcscd.vpcdPort, 'demo');
    stack = await startStack({ pcsc: true });
    browser = await launchWebKit();
  }, 360_000);

  afterAll(async () => {
    await browser?.close();
    await stack?.close();
    await vcard?.remove();
    await pcscd?.stop();
  });

  it('reads the SIM in the reader, authenticates, and downloads an object whose SHA-256 matches', async () => {
    const start = performance.now();
    await cardReaderFlow(browser, stack, pcscd, 'firmware/v1/firmware.bin');
    await engineScreenshot(browser.page, 'webkit-2-reader-downloaded');
    logTiming('webkit', 'card-reader flow (bridge, pcscd)', start);
  }, 180_000);
});

describe('WebKitGTK: USB modem through the bridge (a socat pty with the lab’s Huawei emulator)', () => {
  let rig: BridgeModemStack;
  let browser: WebKitBrowser;

  beforeAll(async () => {
    rig = await startBridgeModemStack();
    browser = await launchWebKit();
    console.log(`[webkit] launch (Xvfb, WebKitWebDriver, MiniBrowser session): ${browser.launchMs} ms`);
  }, 300_000);

  afterAll(async () => {
    await browser?.close();
    await rig?.close();
  });

  it('reads the SIM and the modem through the bridge, authenticates, and downloads an object whose SHA-256 matches', async () => {
    const { page } = browser;
    const start = performance.now();
    await bridgeModemFlow(browser, rig, 'firmware/v1/firmware.bin');
    await engineScreenshot(page, 'webkit-3-bridge-modem-downloaded');
    logTiming('webkit', 'bridge modem flow (socat pty, connect, authenticate, list, download 3 MB)', start);
  }, 240_000);
});
