import type { Lab } from '@krypton-web/krypton-lab';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authenticate, connect, launchBrowser, waitFor } from '@krypton-web/web-driver';
import { screenshot } from './support/artifacts.test-support.ts';
import { fakeSerialScript } from './support/fake-serial.test-support.ts';
import { startStack, type Stack } from './support/stack.test-support.ts';

describe('USB modem over Web Serial: a fake navigator.serial backed by the lab’s Huawei emulator (URC noise on)', () => {
  let lab: Lab;
  let server: Stack;
  let browser: Awaited<ReturnType<typeof launchBrowser>>;

  beforeAll(async () => {
    server = await startStack();
    lab = server.lab;
    browser = await launchBrowser();
    await browser.context.addInitScript({
      content: await fakeSerialScript({
        sim: 'demo',
        modem: { urcNoise: { seed: 11, intervalMs: 200, midResponseRate: 0.4 }, chunking: true },
      }),
    });
  }, 300_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it('reads the SIM and the modem, authenticates to credentials, and says so when the modem is unplugged', async () => {
    const { page } = browser;
    await connect(page, server.url, 'USB modem (Web Serial)');
    await expect(page.getByTestId('imsi').innerText()).resolves.toBe('001010000000001');
    await expect(page.getByTestId('iccid').innerText()).resolves.toBe('8981100000000000016');
    await expect(page.getByTestId('modem-manufacturer').innerText()).resolves.toBe('huawei');
    await expect(page.getByTestId('modem-model').innerText()).resolves.toBe('MS2131');
    await expect(page.getByTestId('modem-imei').innerText()).resolves.toBe('866913021234569');
    await expect(page.getByTestId('modem-signal').innerText()).resolves.toMatch(/-?\d+ dBm/);
    await expect(page.getByTestId('modem-registration').innerText()).resolves.toMatch(/registered/);
    await screenshot(page, 'b-1-modem-connected');

    const akid = await authenticate(page);
    expect(lab.credentials.lookup(akid)).toBeDefined();
    const steps = await page
      .locator('.timeline li')
      .evaluateAll((els) => els.map((e) => `${e.getAttribute('data-step')}:${e.getAttribute('data-status')}`));
    expect(steps).toEqual(expect.arrayContaining(['key-agreement:ok', 'authenticate:ok', 'verify:ok', 'provisioning:ok', 'cognito:ok']));
    await screenshot(page, 'b-2-modem-credentials');

    // Unplugged mid-session: the link is reported lost, with what to do.
    await page.evaluate(() => (window as unknown as { __fakeSerial: { ports: { unplug(): void }[] } }).__fakeSerial.ports[0]!.unplug());
    await page.getByRole('status').filter({ hasText: 'The connection to the SIM was lost.' }).waitFor({ timeout: 10_000 });
    await waitFor(() => page.getByRole('alert').count(), 'an explanation of the lost link');
    await screenshot(page, 'b-3-modem-unplugged');
  }, 180_000);
});
