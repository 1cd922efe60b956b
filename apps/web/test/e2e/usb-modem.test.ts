import { afterAll, beforeAll, describe, it } from 'vitest';
import { authenticate, connect, waitFor } from '@krypton-web/web-driver';
import { screenshot } from './support/artifacts.test-support.ts';
import { startChromiumStack, type BrowserStack } from './support/browser-stack.test-support.ts';
import { fakeSerialScript } from './support/fake-serial.test-support.ts';
import { expectCredentialsFromLab, expectDemoSimInModem } from './support/sim-panel.test-support.ts';

describe('USB modem over Web Serial: a fake navigator.serial backed by the lab’s Huawei emulator (URC noise on)', () => {
  let server: BrowserStack;

  beforeAll(async () => {
    const initScript = await fakeSerialScript({
      sim: 'demo',
      modem: { urcNoise: { seed: 11, intervalMs: 200, midResponseRate: 0.4 }, chunking: true },
    });
    server = await startChromiumStack({ initScript });
  }, 300_000);

  afterAll(() => server?.close());

  it('reads the SIM and the modem, authenticates to credentials, and says so when the modem is unplugged', async () => {
    const { page } = server.browser;
    await connect(page, server.url, 'USB modem (Web Serial)');
    await expectDemoSimInModem(page);
    await screenshot(page, 'b-1-modem-connected');

    const akid = await authenticate(page);
    await expectCredentialsFromLab(page, server.lab, akid);
    await screenshot(page, 'b-2-modem-credentials');

    // Unplugged mid-session: the link is reported lost, with what to do.
    await page.evaluate(() => (window as unknown as { __fakeSerial: { ports: { unplug(): void }[] } }).__fakeSerial.ports[0]!.unplug());
    await page.getByRole('status').filter({ hasText: 'The connection to the SIM was lost.' }).waitFor({ timeout: 10_000 });
    await waitFor(() => page.getByRole('alert').count(), 'an explanation of the lost link');
    await screenshot(page, 'b-3-modem-unplugged');
  }, 180_000);
});
