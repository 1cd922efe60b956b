import { startPcscd, type PcscdHandle } from '@krypton-web/krypton-lab/rigs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authenticate, launchBrowser, waitFor } from '@krypton-web/web-driver';
import { screenshot } from './support/artifacts.test-support.ts';
import { startStack, type Stack } from './support/stack.test-support.ts';
import { insertVcard, type Vcard } from './support/vcard.test-support.ts';

// The card reader path as a person meets it: the real bridge over a real pcscd (vpcd driver), the
// lab's `vcard` as the SIM in the reader, Chromium driving the page. Needs root for pcscd (as in CI).
describe('card reader through the bridge: pcscd, vpcd and the lab’s vcard', () => {
  let pcscd: PcscdHandle;
  let vcard: Vcard | undefined;
  let stack: Stack;
  let browser: Awaited<ReturnType<typeof launchBrowser>>;

  beforeAll(async () => {
    // libpcsclite dials the default socket, which this pcscd serves.
    delete process.env.PCSCLITE_CSOCK_NAME;
    pcscd = await startPcscd({ lockTimeoutMs: 240_000 });
    vcard = await insertVcard(pcscd.vpcdPort, 'demo');
    stack = await startStack({ pcsc: true });
    browser = await launchBrowser();
  }, 360_000);

  afterAll(async () => {
    await browser?.close();
    await stack?.close();
    await vcard?.remove();
    await pcscd?.stop();
  });

  it('reads the SIM in the reader, authenticates to credentials, and explains a card pulled mid-session', async () => {
    const { page } = browser;
    await page.goto(stack.url);
    await page.getByRole('radio', { name: 'Card reader (bridge)' }).check();
    await page.getByRole('radio', { name: 'Local lab (demo)' }).check();
    const readers = page.getByLabel('Card reader', { exact: true });
    await waitFor(
      async () => {
        const names = await readers.locator('option').allInnerTexts();
        if (names.includes(pcscd.readerName)) return true;
        await page.getByRole('button', { name: 'Look for readers' }).click();
        return false;
      },
      `the bridge to list ${pcscd.readerName} with its card`,
      20_000,
    );
    await readers.selectOption(pcscd.readerName);
    await page.getByRole('button', { name: 'Connect', exact: true }).click();
    await page
      .getByRole('status')
      .filter({ hasText: `Connected: ${pcscd.readerName}` })
      .waitFor({ timeout: 30_000 });
    await expect(page.getByTestId('imsi').innerText()).resolves.toBe('001010000000001');
    await expect(page.getByTestId('iccid').innerText()).resolves.toBe('8981100000000000016');
    await expect(page.getByTestId('pin-state').innerText()).resolves.toBe('not needed (disabled)');
    await screenshot(page, 'c-1-reader-connected');

    const akid = await authenticate(page);
    expect(stack.lab.credentials.lookup(akid)).toBeDefined();
    await expect(page.getByTestId('auth-counts').innerText()).resolves.toMatch(/^APDUs sent by the bridge · \d+ HTTP requests/);
    await screenshot(page, 'c-2-reader-credentials');

    // The card leaves the reader: the page says the link is gone, why, and what to do.
    await vcard!.remove();
    vcard = undefined;
    await page.getByRole('status').filter({ hasText: 'The connection to the SIM was lost.' }).waitFor({ timeout: 10_000 });
    const alert = page.getByRole('alert').first();
    const text = await alert.innerText();
    expect(text).toMatch(/What happened: .*(card|SIM)/i);
    expect(text).toMatch(/What to do: .*(Insert|Put|reader)/i);
    await screenshot(page, 'c-3-card-removed');
  }, 180_000);
});
