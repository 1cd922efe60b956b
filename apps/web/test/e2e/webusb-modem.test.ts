import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authenticate, connect, waitFor } from '@krypton-web/web-driver';
import { screenshot } from './support/artifacts.test-support.ts';
import { startChromiumStack, type BrowserStack } from './support/browser-stack.test-support.ts';
import { fakeUsbScript, type FakeUsbScriptOptions } from './support/fake-usb.test-support.ts';
import { expectCredentialsFromLab, expectDemoSimInModem } from './support/sim-panel.test-support.ts';

describe('USB modem over WebUSB: a fake navigator.usb whose Huawei stick has the lab’s emulator behind its AT interface', () => {
  let server: BrowserStack;

  beforeAll(async () => {
    server = await startChromiumStack();
  }, 300_000);

  afterAll(() => server?.close());

  /** A fresh page with its own fake, installed before the app's scripts. */
  async function pageWith(options: FakeUsbScriptOptions): Promise<Page> {
    const page = await server.browser.context.newPage();
    await page.addInitScript({ content: await fakeUsbScript(options) });
    return page;
  }

  it('offers WebUSB beside Web Serial, reads the SIM and the modem, authenticates to credentials, and says so when unplugged', async () => {
    // 64-byte packets, URC noise and output in pieces of at most 7 bytes: responses arrive in many small transfers.
    const page = await pageWith({
      sim: 'demo',
      packetSize: 64,
      modem: { urcNoise: { seed: 11, intervalMs: 200, midResponseRate: 0.4 }, chunking: true },
    });
    await page.goto(server.url);
    const usb = page.getByRole('radio', { name: 'USB modem (WebUSB)' });
    await usb.waitFor();
    await expect(usb.isEnabled()).resolves.toBe(true);
    // Desktop Chromium has Web Serial too: both are offered, and the hint says when WebUSB is the one.
    await expect(page.getByRole('radio', { name: 'USB modem (Web Serial)' }).isEnabled()).resolves.toBe(true);
    await expect(page.locator('#link-usb-hint').innerText()).resolves.toMatch(/Where Web Serial works, use that/);

    await connect(page, server.url, 'USB modem (WebUSB)');
    await expect(page.getByRole('status').filter({ hasText: 'Connected:' }).innerText()).resolves.toContain(
      'Huawei modem (12d1:1506), USB interface 1',
    );
    await expectDemoSimInModem(page);
    // The probe went through the silent diagnostics interface before the AT one.
    const claims = await page.evaluate(() => {
      const stick = (window as unknown as { __fakeUsb: { devices: { claimLog: number[]; claimedNow: number[] }[] } }).__fakeUsb.devices[0]!;
      return { claimLog: stick.claimLog, claimedNow: stick.claimedNow };
    });
    expect(claims).toEqual({ claimLog: [0, 1], claimedNow: [1] });
    await screenshot(page, 'b-4-webusb-connected');

    const akid = await authenticate(page);
    await expectCredentialsFromLab(page, server.lab, akid);
    await screenshot(page, 'b-5-webusb-credentials');

    await page.evaluate(() => (window as unknown as { __fakeUsb: { devices: { unplug(): void }[] } }).__fakeUsb.devices[0]!.unplug());
    await page.getByRole('status').filter({ hasText: 'The connection to the SIM was lost.' }).waitFor({ timeout: 5_000 });
    const alert = await waitFor(
      async () => (await page.getByRole('alert').count()) > 0 && page.getByRole('alert').first().innerText(),
      'an explanation of the lost link',
    );
    expect(alert).toMatch(/The USB modem was unplugged/);
    await page.close();
  }, 180_000);

  it('explains an interface claimed by the operating system: Web Serial is the way on this machine, or how to release the driver', async () => {
    const page = await pageWith({ sim: 'demo', heldByOs: true });
    await page.goto(server.url);
    await page.getByRole('radio', { name: 'USB modem (WebUSB)' }).check();
    await page.getByRole('radio', { name: 'Local lab (demo)' }).check();
    await page.getByRole('button', { name: 'Connect', exact: true }).click();
    await page.getByRole('status').filter({ hasText: 'Could not connect.' }).waitFor({ timeout: 15_000 });
    const alert = page.locator('.failure[data-code="USB_CLAIMED_BY_OS"]');
    await alert.waitFor();
    await expect(alert.locator('.failure-message').innerText()).resolves.toMatch(/Unable to claim interface/);
    await expect(alert.locator('.failure-action').innerText()).resolves.toMatch(/USB modem \(Web Serial\).*unbind.*WinUSB/s);
    await screenshot(page, 'b-6-webusb-claimed-by-os');

    // The same explanation in Japanese (the catalog loads on demand).
    await page.getByLabel('Language').selectOption('ja');
    try {
      await alert.locator('.failure-action', { hasText: '「USB モデム（Web Serial）」を選んでください' }).waitFor({ timeout: 10_000 });
      await expect(alert.locator('.failure-message').innerText()).resolves.toMatch(/OS のドライバー/);
    } finally {
      // The choice is kept in localStorage, which the next pages of this browser share.
      await page.getByLabel('表示言語').selectOption('en');
      await page.close();
    }
  }, 120_000);

  it('explains a stick still in CD-ROM mode: the mode switch comes first', async () => {
    const page = await pageWith({ dongles: ['storage'] });
    await page.goto(server.url);
    await page.getByRole('radio', { name: 'USB modem (WebUSB)' }).check();
    await page.getByRole('button', { name: 'Connect', exact: true }).click();
    const alert = page.locator('.failure[data-code="USB_STORAGE_MODE"]');
    await alert.waitFor({ timeout: 15_000 });
    await expect(alert.locator('.failure-message').innerText()).resolves.toMatch(/CD-ROM/);
    await expect(alert.locator('.failure-action').innerText()).resolves.toMatch(/modem mode.*usb_modeswitch/s);
    await page.close();
  }, 120_000);
});
