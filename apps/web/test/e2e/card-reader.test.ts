import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authenticate, launchBrowser } from '@krypton-web/web-driver';
import { screenshot } from './support/artifacts.test-support.ts';
import type { Chromium } from './support/browser-stack.test-support.ts';
import {
  CARD_READER_RIG_TIMEOUT_MS,
  connectReader,
  startCardReaderRig,
  type CardReaderRig,
} from './support/card-reader-rig.test-support.ts';

// The card reader path as a person meets it: the real bridge over a real pcscd (vpcd driver), the
// lab's `vcard` as the SIM in the reader, Chromium driving the page. Needs root for pcscd (as in CI).
describe('card reader through the bridge: pcscd, vpcd and the lab’s vcard', () => {
  let rig: CardReaderRig<Chromium>;

  beforeAll(async () => {
    rig = await startCardReaderRig({ launch: () => launchBrowser() });
  }, CARD_READER_RIG_TIMEOUT_MS);

  afterAll(() => rig?.close());

  it('reads the SIM in the reader, authenticates to credentials, and explains a card pulled mid-session', async () => {
    const { page } = rig.browser;
    await connectReader(page, rig);
    await expect(page.getByTestId('imsi').innerText()).resolves.toBe('001010000000001');
    await expect(page.getByTestId('iccid').innerText()).resolves.toBe('8981100000000000016');
    await expect(page.getByTestId('pin-state').innerText()).resolves.toBe('not needed (disabled)');
    await screenshot(page, 'c-1-reader-connected');

    const akid = await authenticate(page);
    expect(rig.lab.credentials.lookup(akid)).toBeDefined();
    await expect(page.getByTestId('auth-counts').innerText()).resolves.toMatch(/^APDUs sent by the bridge · \d+ HTTP requests/);
    await screenshot(page, 'c-2-reader-credentials');

    // The card leaves the reader: the page says the link is gone, why, and what to do.
    await rig.removeCard();
    await page.getByRole('status').filter({ hasText: 'The connection to the SIM was lost.' }).waitFor({ timeout: 10_000 });
    const alert = page.getByRole('alert').first();
    const text = await alert.innerText();
    expect(text).toMatch(/What happened: .*(card|SIM)/i);
    expect(text).toMatch(/What to do: .*(Insert|Put|reader)/i);
    await screenshot(page, 'c-3-card-removed');
  }, 180_000);
});
