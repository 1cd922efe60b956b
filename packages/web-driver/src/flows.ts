/**
 * The web app's main flows as a person clicks them (by role and label, as assistive technology finds
 * them): connect a link, authenticate, open the S3 bucket. Plain checks, not a test runner's: `pnpm
 * bench` drives them too.
 */
import type { Page } from 'playwright-core';

/** Waits until `fn` returns a truthy value (polling), or fails with `what`. */
export async function waitFor<T>(fn: () => Promise<T>, what: string, timeoutMs = 30_000): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline)
      throw new Error(`timed out waiting for ${what}${last ? `: ${last instanceof Error ? last.message : JSON.stringify(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Opens the app and connects the chosen link (the page's defaults: the lab endpoint in demo mode). */
export async function connect(
  page: Page,
  url: string,
  link: 'Virtual SIM (demo)' | 'USB modem (Web Serial)' | 'USB modem (WebUSB)' | 'Card reader (bridge)',
  setup?: () => Promise<void>,
): Promise<void> {
  await page.goto(url);
  await page.getByRole('radio', { name: link }).check();
  await page.getByRole('radio', { name: 'Local lab (demo)' }).check();
  await setup?.();
  await page.getByRole('button', { name: 'Connect', exact: true }).click();
  await page.getByRole('status').filter({ hasText: 'Connected:' }).waitFor({ timeout: 30_000 });
}

/** Presses Authenticate and waits for the credentials. Returns the access key id shown. */
export async function authenticate(page: Page): Promise<string> {
  await page.getByRole('button', { name: 'Authenticate', exact: true }).click();
  const region = page.getByRole('region', { name: 'Credentials' });
  await page.getByText('Authenticated. AWS credentials obtained.').waitFor({ timeout: 30_000 });
  const akid = (await region.getByTestId('access-key-id').innerText()).split(/\s/)[0]!;
  // Plain check, not vitest's expect: `pnpm bench` drives these flows outside the test runner.
  if (!/^[A-Z0-9]{16,}$/.test(akid)) throw new Error(`the access key id shown looks wrong: ${akid}`);
  return akid;
}

/** Opens S3, lists the bucket from the field (pre-filled from userdata), and waits for the table. */
export async function openBucket(page: Page, bucket?: string): Promise<void> {
  await page.getByRole('button', { name: 'Browse S3' }).click();
  const field = page.getByLabel('Bucket', { exact: true });
  if (bucket !== undefined) {
    await waitFor(async () => (await field.inputValue()) !== '', 'the bucket field to be pre-filled');
    await field.fill(bucket);
  } else {
    await waitFor(async () => (await field.inputValue()) === 'krypton-demo', 'the bucket field to be pre-filled with krypton-demo');
  }
  await page.getByRole('button', { name: 'List', exact: true }).click();
}
