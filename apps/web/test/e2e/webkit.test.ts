import { launchWebKit, type WebKitBrowser } from '@krypton-web/web-driver';
import { bridgeModemSuite, cardReaderSuite, virtualSimSuite, type EngineUnderTest } from './support/engine-suites.test-support.ts';

// WebKitGTK through WebKitWebDriver (MiniBrowser on its own Xvfb), the stand-in for Safari: no Web
// Serial, no WebUSB, no save picker, no OPFS; downloads land in the XDG download folder.

async function launch(): Promise<WebKitBrowser> {
  const browser = await launchWebKit();
  console.log(`[webkit] launch (Xvfb, WebKitWebDriver, MiniBrowser session): ${browser.launchMs} ms`);
  return browser;
}

const webkit: EngineUnderTest<WebKitBrowser> = { name: 'webkit', label: 'WebKitGTK', launch };

virtualSimSuite(
  webkit,
  'offers the bridge where Web Serial and WebUSB are missing, authenticates, downloads an object whose SHA-256 matches, and shows a failed one failed with no file left',
  false,
);

// Needs root for pcscd (as in CI); pcscd tests take a machine-wide lock.
cardReaderSuite(webkit, 'webkit-2-reader-downloaded');

bridgeModemSuite(webkit, 'webkit-3-bridge-modem-downloaded');
