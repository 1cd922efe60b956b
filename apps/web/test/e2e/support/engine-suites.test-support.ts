/**
 * The suites Firefox and WebKitGTK both run, written once: each registers a describe titled with the
 * engine's name, starts what it needs around the engine's browser, and runs the flow of
 * engine-flows.test-support.ts. A test file calls them for its engine, beside the suites of its own.
 */
import type { EngineBrowser } from '@krypton-web/web-driver';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBridgeModemStack, type BridgeModemStack } from './bridge-modem.test-support.ts';
import { startBrowserStack, type BrowserStack } from './browser-stack.test-support.ts';
import { CARD_READER_RIG_TIMEOUT_MS, startCardReaderRig, type CardReaderRig } from './card-reader-rig.test-support.ts';
import {
  bridgeModemFlow,
  cardReaderFlow,
  engineScreenshot,
  logTiming,
  encodedObjectSavedAsStored,
  missedDownloadFailsFast,
  virtualSimFlow,
} from './engine-flows.test-support.ts';

/** A browser engine the shared suites run in. */
export interface EngineUnderTest<B extends EngineBrowser> {
  /** How timings are logged and screenshots named: "firefox", "webkit". */
  name: string;
  /** How the suites are titled: "Firefox", "WebKitGTK". */
  label: string;
  launch: () => Promise<B>;
}

/** The virtual SIM to a downloaded S3 object; `title` names what this engine is offered, `webSerial` whether it has Web Serial. */
export function virtualSimSuite<B extends EngineBrowser>(engine: EngineUnderTest<B>, title: string, webSerial: boolean): void {
  describe(`${engine.label}: virtual SIM to a downloaded S3 object`, () => {
    let stack: BrowserStack<B>;

    beforeAll(async () => {
      // The integrity fixtures too: the gzip-encoded object below.
      stack = await startBrowserStack({ launch: engine.launch, lab: { s3: { seed: { integrity: true } } } });
    }, 300_000);

    afterAll(() => stack?.close());

    it(
      title,
      async () => {
        await virtualSimFlow(stack.browser, stack, engine.name, webSerial);
      },
      180_000,
    );

    it('a download the service worker missed (the bridge answers its path 404) fails as not started at once, not after 30 s', async () => {
      const ms = await missedDownloadFailsFast(stack.browser, 'hello.json');
      console.log(`[${engine.name}] missed download shown failed after: ${ms} ms`);
      expect(ms).toBeLessThan(15_000);
    }, 120_000);

    it('an object S3 stores gzip-encoded is saved as stored, not as the browser would decode it, and the page says so', async () => {
      await encodedObjectSavedAsStored(stack.browser, stack);
    }, 120_000);
  });
}

/** The card reader through the bridge (pcscd, vpcd and the lab's vcard); needs root for pcscd, as in CI. */
export function cardReaderSuite<B extends EngineBrowser>(engine: EngineUnderTest<B>, screenshot: string): void {
  describe(`${engine.label}: card reader through the bridge (pcscd, vpcd and the lab’s vcard)`, () => {
    let rig: CardReaderRig<B>;

    beforeAll(async () => {
      rig = await startCardReaderRig({ launch: engine.launch });
    }, CARD_READER_RIG_TIMEOUT_MS);

    afterAll(() => rig?.close());

    it('reads the SIM in the reader, authenticates, and downloads an object whose SHA-256 matches', async () => {
      const start = performance.now();
      await cardReaderFlow(rig, 'firmware/v1/firmware.bin');
      await engineScreenshot(rig.browser.page, screenshot);
      logTiming(engine.name, 'card-reader flow (bridge, pcscd)', start);
    }, 180_000);
  });
}

/** The USB modem through the bridge (a socat pty with the lab's Huawei emulator). */
export function bridgeModemSuite<B extends EngineBrowser>(engine: EngineUnderTest<B>, screenshot: string): void {
  describe(`${engine.label}: USB modem through the bridge (a socat pty with the lab’s Huawei emulator)`, () => {
    let rig: BridgeModemStack;
    let browser: B;

    beforeAll(async () => {
      rig = await startBridgeModemStack();
      browser = await engine.launch();
    }, 300_000);

    afterAll(async () => {
      await browser?.close();
      await rig?.close();
    });

    it('reads the SIM and the modem through the bridge, authenticates, and downloads an object whose SHA-256 matches', async () => {
      const start = performance.now();
      await bridgeModemFlow(browser, rig, 'firmware/v1/firmware.bin');
      await engineScreenshot(browser.page, screenshot);
      logTiming(engine.name, 'bridge modem flow (socat pty, connect, authenticate, list, download 3 MB)', start);
    }, 240_000);
  });
}
