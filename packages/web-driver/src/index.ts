export { CHROMIUM, CHROMIUM_ARGS, launchBrowser, OPFS_PICKER, readOpfsFile } from './browser.ts';
export { authenticate, checkLane, connect, connectBridgeModem, laneVerdict, openBucket, startCheckSims, waitFor } from './flows.ts';
export { storeFinishedChecks } from './stored-checks.ts';
