import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { launchFirefox, type FirefoxBrowser } from '@krypton-web/web-driver';
import { startLab, type Lab } from '@krypton-web/krypton-lab';
import { Logger, startBridge, type RunningBridge } from '../src/index.ts';
import { clickThroughApprovals, firefoxApprovalsBrowser } from './support/approval-clicks.test-support.ts';

// The approvals page in Debian's Firefox ESR (puppeteer-core over WebDriver BiDi): the same run as in
// Chromium (security-approval-clicks.test.ts) — opened from a link on another site, and its Approve,
// Deny and Revoke buttons clicked. Firefox sends its own Origin on those form POSTs, so this is the
// other side of the bridge's origin check for the approvals page.
vi.setConfig({ testTimeout: 120_000, hookTimeout: 120_000 });

let lab: Lab;
let bridge: RunningBridge;
let browser: FirefoxBrowser;
beforeAll(async () => {
  lab = await startLab();
  bridge = await startBridge({ port: 0, lab, pcsc: false, log: new Logger(() => undefined) });
  browser = await launchFirefox({ timeoutMs: 90_000 });
});
afterAll(async () => {
  await browser?.close();
  await bridge?.close();
  await lab?.close();
});

describe('the approvals page in Firefox', () => {
  it('opens from a link on another site, and Approve, Deny and Revoke each do what they say', async () => {
    const start = performance.now();
    const result = await clickThroughApprovals(firefoxApprovalsBrowser(browser), bridge);
    console.log(`[firefox] approvals clicked through: ${Math.round(performance.now() - start)} ms`);
    expect(result).toEqual({ linkedPageStatus: 200, approvePost: 303, denyPost: 303, revokePost: 303 });
  });
});
