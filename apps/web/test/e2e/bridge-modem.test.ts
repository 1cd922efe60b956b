import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authenticate, connectBridgeModem, launchBrowser, openBucket, OPFS_PICKER, readOpfsFile, waitFor } from '@krypton-web/web-driver';
import { screenshot } from './support/artifacts.test-support.ts';
import { startBridgeModemStack, type BridgeModemStack } from './support/bridge-modem.test-support.ts';
import { expectCredentialsFromLab, expectDemoSimInModem } from './support/sim-panel.test-support.ts';

// The modem path for browsers without Web Serial (Firefox, Safari), run in Chromium here: the lab's
// Huawei emulator behind a real socat pty, the bridge speaking AT to it, and the page choosing
// "USB modem (bridge)". The page never sees an AT command: it gets the SIM session and the modem's facts.
describe('USB modem through the bridge: a socat pty with the lab’s Huawei emulator', () => {
  let rig: BridgeModemStack;
  let browser: Awaited<ReturnType<typeof launchBrowser>>;

  beforeAll(async () => {
    rig = await startBridgeModemStack();
    browser = await launchBrowser();
    await browser.context.addInitScript({ content: OPFS_PICKER });
  }, 300_000);

  afterAll(async () => {
    await browser?.close();
    await rig?.close();
  });

  it('reads the SIM and the modem, authenticates to credentials, downloads a file checked against the lab, and says so when the modem goes away', async () => {
    const { page } = browser;
    await connectBridgeModem(page, rig.stack.url, rig.modem.path);
    await page
      .getByRole('status')
      .filter({ hasText: `Connected: ${rig.modem.path}` })
      .waitFor();
    await expectDemoSimInModem(page);
    await expect(page.getByTestId('pin-state').innerText()).resolves.toBe('not needed (disabled)');
    await screenshot(page, 'm-1-bridge-modem-connected');

    const akid = await authenticate(page);
    await expectCredentialsFromLab(page, rig.stack.lab, akid);
    await expect(page.getByTestId('auth-counts').innerText()).resolves.toMatch(/^APDUs sent by the bridge · \d+ HTTP requests/);
    await screenshot(page, 'm-2-bridge-modem-credentials');

    // The credentials the modem's SIM earned reach S3: a binary object, saved and checked.
    await openBucket(page);
    const table = page.getByRole('table');
    await table.getByRole('button', { name: 'Open folder firmware/' }).click();
    await table.getByRole('button', { name: 'Open folder v1/' }).click();
    const row = table.getByRole('row', { name: /firmware\.bin/ });
    await row.getByRole('button', { name: 'Download' }).click();
    const done = page.locator('.download[data-status="done"]');
    await done.waitFor({ timeout: 60_000 });
    await expect(done.innerText()).resolves.toContain('MD5 matches the ETag.');
    const seeded = rig.stack.lab.s3.objects.find((o) => o.key === 'firmware/v1/firmware.bin')!;
    await expect(readOpfsFile(page, 'firmware.bin')).resolves.toEqual({ size: seeded.size, sha256: seeded.sha256 });

    // The pty vanishes (socat killed, as a USB modem unplugged): the page says the link is gone, why, and what to do.
    const unpluggedAt = Date.now();
    rig.modem.unplug();
    await page.getByRole('status').filter({ hasText: 'The connection to the SIM was lost.' }).waitFor({ timeout: 10_000 });
    const shownAfterMs = Date.now() - unpluggedAt;
    console.info(`modem pty gone → page shows the link lost: ${shownAfterMs} ms`);
    expect(shownAfterMs).toBeLessThan(3000);
    const alert = page.getByRole('alert').first();
    await waitFor(() => alert.count(), 'an explanation of the lost link');
    const text = await alert.innerText();
    expect(text).toMatch(/What happened: .*modem .* went away/i);
    expect(text).toMatch(/What to do: .*Plug the modem in again/i);
    await screenshot(page, 'm-3-bridge-modem-unplugged');
  }, 180_000);
});
