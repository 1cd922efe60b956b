import type { Lab } from '@krypton-web/krypton-lab';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authenticate, connect, launchBrowser, waitFor } from '@krypton-web/web-driver';
import { screenshot } from './support/artifacts.test-support.ts';
import { fakeUsbScript, type FakeUsbScriptOptions } from './support/fake-usb.test-support.ts';
import { startStack, type Stack } from './support/stack.test-support.ts';

describe('USB modem over WebUSB: a fake navigator.usb whose Huawei stick has the lab’s emulator behind its AT interface', () => {
  let lab: Lab;
  let server: Stack;
  let browser: Awaited<ReturnType<typeof launchBrowser>>;

  beforeAll(async () => {
    server = await startStack();
    lab = server.lab;
    browser = await launchBrowser();
  }, 300_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  /** A fresh page with its own fake, installed before the app's scripts. */
  async function pageWith(options: FakeUsbScriptOptions): Promise<Page> {
    const page = await browser.context.newPage();
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
    await expect(page.getByTestId('imsi').innerText()).resolves.toBe('001010000000001');
    await expect(page.getByTestId('iccid').innerText()).resolves.toBe('8981100000000000016');
    await expect(page.getByTestId('modem-manufacturer').innerText()).resolves.toBe('huawei');
    await expect(page.getByTestId('modem-model').innerText()).resolves.toBe('MS2131');
    await expect(page.getByTestId('modem-imei').innerText()).resolves.toBe('866913021234569');
    await expect(page.getByTestId('modem-signal').innerText()).resolves.toMatch(/-?\d+ dBm/);
    await expect(page.getByTestId('modem-registration').innerText()).resolves.toMatch(/registered/);
    // The probe went through the silent diagnostics interface before the AT one.
    const claims = await page.evaluate(() => {
      const stick = (window as unknown as { __fakeUsb: { devices: { claimLog: number[]; claimedNow: number[] }[] } }).__fakeUsb.devices[0]!;
      return { claimLog: stick.claimLog, claimedNow: stick.claimedNow };
    });
    expect(claims).toEqual({ claimLog: [0, 1], claimedNow: [1] });
    await screenshot(page, 'b-4-webusb-connected');

    const akid = await authenticate(page);
    expect(lab.credentials.lookup(akid)).toBeDefined();
    const steps = await page
      .locator('.timeline li')
      .evaluateAll((els) => els.map((e) => `${e.getAttribute('data-step')}:${e.getAttribute('data-status')}`));
    expect(steps).toEqual(expect.arrayContaining(['key-agreement:ok', 'authenticate:ok', 'verify:ok', 'provisioning:ok', 'cognito:ok']));
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
