export { CHROMIUM, CHROMIUM_ARGS, launchBrowser, OPFS_PICKER, readOpfsFile } from './browser.ts';
export { authenticate, connect, openBucket, waitFor } from './flows.ts';
