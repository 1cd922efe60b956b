import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authenticate, connect, openBucket, OPFS_PICKER, waitFor } from '@krypton-web/web-driver';
import { screenshot } from './support/artifacts.test-support.ts';
import { startChromiumStack, type BrowserStack } from './support/browser-stack.test-support.ts';

describe('failures a person can meet, each with what happened and what to do', () => {
  let server: BrowserStack;

  beforeAll(async () => {
    server = await startChromiumStack({ initScript: OPFS_PICKER });
  }, 300_000);

  afterAll(() => server?.close());

  it('a bucket without a CORS rule: the fix is shown, with this page’s origin', async () => {
    const page = await server.browser.context.newPage();
    await connect(page, server.url, 'Virtual SIM (demo)');
    await authenticate(page);
    await openBucket(page, 'krypton-nocors');
    const alert = page.getByRole('alert').filter({ hasText: 'CORS' });
    await alert.waitFor({ timeout: 30_000 });
    const text = await alert.innerText();
    expect(text).toContain('the bucket has no CORS rule that allows this page');
    const json = JSON.parse(await alert.locator('pre').innerText()) as {
      AllowedOrigins: string[];
      AllowedMethods: string[];
      ExposeHeaders: string[];
    }[];
    expect(json[0]!.AllowedOrigins).toEqual([server.url]);
    expect(json[0]!.AllowedMethods).toEqual(['GET', 'HEAD']);
    expect(json[0]!.ExposeHeaders).toEqual(expect.arrayContaining(['ETag', 'Content-Length', 'Content-Range', 'Last-Modified']));
    await screenshot(page, 'd-1-missing-cors');
    await page.close();
  }, 120_000);

  it('a PIN-locked SIM says it is blocked and what to do; a PIN SIM asks before its last try', async () => {
    const page = await server.browser.context.newPage();
    await page.goto(server.url);
    await page.getByLabel('Demo SIM').selectOption('demo-blocked');
    await page.getByRole('button', { name: 'Connect', exact: true }).click();
    await page.getByTestId('pin-state').getByText('blocked').waitFor();
    await page.getByRole('alert').filter({ hasText: 'PUK' }).waitFor();
    await expect(page.getByRole('button', { name: 'Authenticate', exact: true }).isDisabled()).resolves.toBe(true);
    await screenshot(page, 'd-2-pin-blocked');
    await page.getByRole('button', { name: 'Disconnect' }).click();
    await page.getByRole('status').filter({ hasText: 'Not connected.' }).waitFor();

    await page.getByLabel('Demo SIM').selectOption('demo-pin');
    await page.getByRole('button', { name: 'Connect', exact: true }).click();
    await page.getByTestId('pin-state').getByText('needed — 3 tries left').waitFor();
    const pin = page.getByLabel('PIN (4 to 8 digits)');
    for (const left of [2, 1]) {
      await pin.fill('9999');
      await page.getByRole('button', { name: 'Verify PIN' }).click();
      await page
        .getByTestId('pin-state')
        .getByText(`needed — ${left} ${left === 1 ? 'try' : 'tries'} left`)
        .waitFor();
    }
    // One try left: a confirmation first; cancelling sends nothing.
    await pin.fill('1234');
    await page.getByRole('button', { name: 'Verify PIN' }).click();
    const dialog = page.getByRole('dialog', { name: 'Last try' });
    await dialog.waitFor();
    await screenshot(page, 'd-3-pin-last-try');
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await expect(page.getByTestId('pin-state').innerText()).resolves.toContain('1 try left');
    await pin.fill('1234');
    await page.getByRole('button', { name: 'Verify PIN' }).click();
    await dialog.getByRole('button', { name: 'Yes, use the last try' }).click();
    await page.getByTestId('pin-state').getByText('verified').waitFor();
    await expect(page.getByTestId('imsi').innerText()).resolves.toBe('001010000000002');
    await authenticate(page);
    await page.close();
  }, 120_000);

  it('Krypton answering 5xx: the failed step, SORACOM’s code and message, and what to do; it works once the service is back', async () => {
    const page = await server.browser.context.newPage();
    await page.goto(server.url);
    await page.getByLabel('Demo SIM').selectOption('demo-even');
    await page.getByRole('button', { name: 'Connect', exact: true }).click();
    await page.getByRole('status').filter({ hasText: 'Connected:' }).waitFor();
    server.lab.faults.update({ errorRate: 1, errorStatus: 503, errorServices: ['keys'] });
    try {
      await page.getByRole('button', { name: 'Authenticate', exact: true }).click();
      const alert = page.getByRole('alert').filter({ hasText: 'Failed at' });
      await alert.waitFor({ timeout: 30_000 });
      const text = await alert.innerText();
      expect(text).toContain('Failed at: Key agreement (Keys API)');
      expect(text).toContain('HTTP 503');
      expect(text).toContain('LAB0503');
      expect(text).toMatch(/What to do: .+/);
      await expect(page.locator('.timeline li[data-step="key-agreement"]').getAttribute('data-status')).resolves.toBe('failed');
      await screenshot(page, 'd-4-krypton-5xx');
    } finally {
      server.lab.faults.update({ errorRate: 0 });
    }
    await authenticate(page);
    await page.close();
  }, 120_000);

  it('a skewed clock is corrected and explained', async () => {
    const page = await server.browser.context.newPage();
    server.lab.clock.offsetMs = 20 * 60_000;
    try {
      await page.goto(server.url);
      await page.getByLabel('Demo SIM').selectOption('demo');
      await page.getByRole('button', { name: 'Connect', exact: true }).click();
      await page.getByRole('status').filter({ hasText: 'Connected:' }).waitFor();
      await page.getByRole('button', { name: 'Forget cached key' }).click();
      await page.getByText('The cached key was forgotten').waitFor();
      await authenticate(page);
      await expect(page.getByTestId('clock-skew').innerText()).resolves.toMatch(/^This computer’s clock is 20 min behind Krypton’s\..*NTP/);
      await openBucket(page);
      await page.getByRole('table').getByRole('button', { name: 'Open folder docs/' }).waitFor();
      await screenshot(page, 'd-6-clock-skew');
    } finally {
      server.lab.clock.offsetMs = 0;
      await page.close();
    }
  }, 120_000);

  it('credentials renew by themselves before they expire', async () => {
    const page = await server.browser.context.newPage();
    const ttl = server.lab.identityPool.credentialTtlSeconds;
    server.lab.identityPool.credentialTtlSeconds = 16;
    try {
      await connect(page, server.url, 'Virtual SIM (demo)');
      const first = await authenticate(page);
      const region = page.getByRole('region', { name: 'Credentials' });
      await expect(region.getByTestId('expires').innerText()).resolves.toMatch(/in 0:1\d/);
      const renewed = await waitFor(
        async () => {
          const now = (await region.getByTestId('access-key-id').innerText()).split(/\s/)[0];
          return now !== first ? now : undefined;
        },
        'an automatic renewal',
        20_000,
      );
      expect(server.lab.credentials.lookup(renewed)).toBeDefined();
      await region.getByTestId('renewed').waitFor();
    } finally {
      server.lab.identityPool.credentialTtlSeconds = ttl;
      await page.close();
    }
  }, 120_000);

  it('expired credentials are renewed without the person noticing: the listing just works', async () => {
    const page = await server.browser.context.newPage();
    await connect(page, server.url, 'Virtual SIM (demo)');
    const first = await authenticate(page);
    await openBucket(page);
    const table = page.getByRole('table');
    await table.getByRole('button', { name: 'Open folder logs/' }).waitFor();
    // S3 now refuses these credentials as expired (the page still thinks they last an hour).
    const vended = server.lab.credentials.lookup(first)!;
    server.lab.credentials.add({ ...vended, expiration: new Date(Date.now() - 60_000) });
    await table.getByRole('button', { name: 'Open folder logs/' }).click();
    await table.getByRole('button', { name: 'Open folder 2026/' }).waitFor({ timeout: 30_000 });
    await expect(page.getByRole('alert').count()).resolves.toBe(0);
    const region = page.getByRole('region', { name: 'Credentials' });
    const second = await waitFor(async () => {
      const now = (await region.getByTestId('access-key-id').innerText()).split(/\s/)[0];
      return now !== first ? now : undefined;
    }, 'the renewed access key id');
    expect(server.lab.credentials.lookup(second)).toBeDefined();
    await screenshot(page, 'd-5-credentials-renewed');
    await page.close();
  }, 120_000);
});
