import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authenticateIn, connectIn, launchFirefox, type FirefoxBrowser } from '@krypton-web/web-driver';
import { downloadChecked, engineScreenshot, expectAuthenticated, logTiming } from './support/engine-flows.test-support.ts';
import { bridgeModemSuite, cardReaderSuite, virtualSimSuite, type EngineUnderTest } from './support/engine-suites.test-support.ts';
import { fakeSerialScript } from './support/fake-serial.test-support.ts';
import { startBrowserStack, type BrowserStack } from './support/browser-stack.test-support.ts';

// Debian's Firefox ESR over WebDriver BiDi (puppeteer-core): no WebUSB and no save picker, so every
// download goes through the download service worker into Firefox's own download folder.

async function launch(): Promise<FirefoxBrowser> {
  const browser = await launchFirefox();
  console.log(`[firefox] launch: ${browser.launchMs} ms`);
  return browser;
}

const firefox: EngineUnderTest<FirefoxBrowser> = { name: 'firefox', label: 'Firefox', launch };

virtualSimSuite(
  firefox,
  'offers what Firefox has (Web Serial, the bridge; not WebUSB), authenticates, streams a download whose SHA-256 matches the lab’s, and shows a failed one failed with no file left',
  true,
);

describe('Firefox: USB modem over Web Serial (a fake navigator.serial backed by the lab’s Huawei emulator)', () => {
  let stack: BrowserStack<FirefoxBrowser>;

  beforeAll(async () => {
    const script = await fakeSerialScript({
      sim: 'demo',
      modem: { urcNoise: { seed: 11, intervalMs: 200, midResponseRate: 0.4 }, chunking: true },
    });
    stack = await startBrowserStack({ launch, prepare: (browser) => browser.addInitScript(script) });
  }, 300_000);

  afterAll(() => stack?.close());

  it('reads the SIM and the modem, authenticates, and downloads an object whose SHA-256 matches', async () => {
    const { page } = stack.browser;
    const start = performance.now();
    await connectIn(page, stack.url, 'USB modem (Web Serial)');
    expect(await page.text({ testId: 'imsi' })).toBe('001010000000001');
    expect(await page.text({ testId: 'modem-manufacturer' })).toBe('huawei');
    expect(await page.text({ testId: 'modem-model' })).toBe('MS2131');
    const akid = await authenticateIn(page);
    await expectAuthenticated(page, stack.lab, akid, 'new');
    await downloadChecked(stack.browser, stack.lab, 'hello.json', { streamed: true });
    await engineScreenshot(page, 'firefox-2-modem-downloaded');
    logTiming('firefox', 'Web Serial modem flow', start);
  }, 180_000);
});

// Needs root for pcscd (as in CI); pcscd tests take a machine-wide lock.
cardReaderSuite(firefox, 'firefox-3-reader-downloaded');

bridgeModemSuite(firefox, 'firefox-4-bridge-modem-downloaded');
