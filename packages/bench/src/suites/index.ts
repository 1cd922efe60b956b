import type { Suite } from '../metric.ts';
import { apduCounts } from './apdu-counts.ts';
import { httpCalls } from './http-calls.ts';
import { timeToCredentials } from './time-to-credentials.ts';
import { bridgeScale } from './bridge-scale.ts';
import { bridgeOverhead } from './bridge-overhead.ts';
import { s3Download } from './s3-download.ts';
import { webApp } from './web-app.ts';
import { commandStart } from './command-start.ts';
import { batchLanes } from './batch-lanes.ts';
import { checkReportMemory } from './check-report-memory.ts';
import { checkSimsBrowser } from './check-sims-browser.ts';

/** Every suite, in the order the issue lists what to measure. */
export const SUITES: Suite[] = [
  commandStart,
  apduCounts,
  httpCalls,
  timeToCredentials,
  bridgeOverhead,
  s3Download,
  webApp,
  bridgeScale,
  batchLanes,
  checkReportMemory,
  checkSimsBrowser,
];
