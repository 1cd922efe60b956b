import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { launchBrowser } from '@krypton-web/web-driver';
import { startLab, type Lab } from '@krypton-web/krypton-lab';
import { Logger, startBridge, type RunningBridge } from '../src/index.ts';
import { clickThroughApprovals, playwrightApprovalsBrowser } from './support/approval-clicks.test-support.ts';

// The approvals page in a real Chromium: opened from a link on another site, and its Approve, Deny
// and Revoke buttons clicked (Chromium sends `Origin: null` on form POSTs of a no-referrer page).
vi.setConfig({ testTimeout: 60_000, hookTimeout: 60_000 });

let lab: Lab;
let bridge: RunningBridge;
let browser: Awaited<ReturnType<typeof launchBrowser>>;
beforeAll(async () => {
  lab = await startLab();
  bridge = await startBridge({ port: 0, lab, pcsc: false, log: new Logger(() => undefined) });
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
  await bridge?.close();
  await lab?.close();
});

describe('the approvals page in Chromium', () => {
  it('opens from a link on another site, and Approve, Deny and Revoke each do what they say', async () => {
    const result = await clickThroughApprovals(playwrightApprovalsBrowser(browser.context), bridge);
    expect(result).toEqual({ linkedPageStatus: 200, approvePost: 303, denyPost: 303, revokePost: 303 });
  });
});
