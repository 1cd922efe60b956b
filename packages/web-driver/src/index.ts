export { CHROMIUM, CHROMIUM_ARGS, launchBrowser, OPFS_PICKER, readOpfsFile } from './browser.ts';
export { authenticate, checkLane, connect, connectBridgeModem, laneVerdict, openBucket, startCheckSims, waitFor } from './flows.ts';
export { storeFinishedChecks } from './stored-checks.ts';
export {
  describeTarget,
  waitForDownloadFile,
  type EngineBrowser,
  type EngineName,
  type EnginePage,
  type Target,
  type TextMatch,
} from './engine.ts';
export { authenticateIn, connectBridgeModemIn, connectIn, downloadIn, openBucketIn, type LinkChoice } from './engine-flows.ts';
export { FIREFOX, launchFirefox, type FirefoxBrowser } from './firefox.ts';
export { launchWebKit, MINIBROWSER, WEBKIT_WEBDRIVER, WebDriverError, WebDriverSession, XVFB, type WebKitBrowser } from './webkit.ts';
export { EngineLaunchError } from './engine.ts';
