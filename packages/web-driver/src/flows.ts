/**
 * The web app's main flows as a person clicks them (by role and label, as assistive technology finds
 * them): connect a link, authenticate, open the S3 bucket, start a Check SIMs batch and read a lane. Plain checks, not a test runner's: `pnpm
 * bench` drives them too.
 */
import type { Locator, Page } from 'playwright-core';

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
  link: 'Virtual SIM (demo)' | 'USB modem (Web Serial)' | 'USB modem (WebUSB)' | 'Card reader (bridge)' | 'USB modem (bridge)',
  setup?: () => Promise<void>,
): Promise<void> {
  await page.goto(url);
  await page.getByRole('radio', { name: link }).check();
  await page.getByRole('radio', { name: 'Local lab (demo)' }).check();
  await setup?.();
  await page.getByRole('button', { name: 'Connect', exact: true }).click();
  await page.getByRole('status').filter({ hasText: 'Connected:' }).waitFor({ timeout: 30_000 });
}

/**
 * Opens the app and connects "USB modem (bridge)" to the modem the bridge lists at `port` (its device
 * path, e.g. the pty given with `--modem`): waits until the bridge lists it (pressing "Look for
 * modems"), picks it, and connects with the lab endpoint.
 */
export async function connectBridgeModem(page: Page, url: string, port: string): Promise<void> {
  await connect(page, url, 'USB modem (bridge)', async () => {
    const modems = page.getByLabel('Modem', { exact: true });
    await waitFor(
      async () => {
        if ((await modems.locator('option').evaluateAll((os) => os.map((o) => (o as HTMLOptionElement).value))).includes(port)) return true;
        await page.getByRole('button', { name: 'Look for modems' }).click();
        return false;
      },
      `the bridge to list the modem on ${port}`,
      20_000,
    );
    await modems.selectOption(port);
  });
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

/** The lane of a reader on the Check SIMs screen. */
export function checkLane(page: Page, reader: string): Locator {
  return page.locator(`[data-testid="lane"][data-reader="${reader.replace(/["\\]/g, '\\$&')}"]`);
}

/**
 * Opens the Check SIMs screen, waits until the bridge lists `readers`, keeps exactly those as lanes
 * (every other reader it lists is left out), ticks the optional checks asked for, and presses Start.
 */
export async function startCheckSims(
  page: Page,
  url: string,
  readers: readonly string[],
  options: {
    credentials?: 'openid' | 'direct' | 'off';
    /** The S3 probe: off, on (list the userdata's bucket), or a key to HEAD / a prefix to list there. */
    s3?: boolean | { head: string } | { list: string };
    metadata?: boolean;
    /** USB modem lanes, by name: ports the page lists already (allowed earlier, or added with "Add USB modem…"). */
    modems?: readonly string[];
  } = {},
): Promise<void> {
  await page.goto(`${url.replace(/\/+$/, '')}/#check-sims`);
  const lanes = page.getByRole('group', { name: 'Lanes (card readers and USB modems)' });
  const modems = options.modems ?? [];
  await waitFor(
    async () => {
      const boxes = await lanes.getByRole('checkbox').all();
      const listed = await Promise.all(
        boxes.map(async (b) => (await b.getAttribute('data-reader')) ?? (await b.getAttribute('data-modem'))),
      );
      if ([...readers, ...modems].every((r) => listed.includes(r))) return true;
      await page.getByRole('button', { name: 'Look for readers' }).click();
      return false;
    },
    `the page to list ${[...readers, ...modems].join(', ')}`,
    20_000,
  );
  for (const box of await lanes.getByRole('checkbox').all()) {
    const name = (await box.getAttribute('data-reader')) ?? (await box.getAttribute('data-modem')) ?? '';
    if (readers.includes(name) || modems.includes(name)) await box.check();
    else await box.uncheck();
  }
  const credentials = { openid: 'Through an OpenID token and Cognito', direct: 'Directly from Krypton', off: 'None' };
  if (options.credentials) await page.getByRole('radio', { name: credentials[options.credentials], exact: true }).check();
  if (options.s3 !== undefined) await page.getByRole('checkbox', { name: 'S3 probe' }).setChecked(options.s3 !== false);
  if (typeof options.s3 === 'object') {
    if ('head' in options.s3) {
      await page.getByRole('radio', { name: 'HEAD one object' }).check();
      await page.getByLabel('Object key').fill(options.s3.head);
    } else {
      await page.getByRole('radio', { name: 'List one key under a prefix' }).check();
      await page.getByLabel('Prefix', { exact: true }).fill(options.s3.list);
    }
  }
  if (options.metadata !== undefined)
    await page.getByRole('checkbox', { name: 'Subscriber metadata (group and tags)' }).setChecked(options.metadata);
  await page.getByRole('button', { name: 'Start', exact: true }).click();
  await page
    .getByTestId('check-status')
    .filter({ hasText: `Running (lanes: ${readers.length + modems.length})` })
    .waitFor();
}

/** Waits until a lane shows a verdict (PASS, WARN or FAIL, in the page's language) and returns it. */
export async function laneVerdict(page: Page, reader: string, timeoutMs = 30_000): Promise<string> {
  const verdict = checkLane(page, reader).getByTestId('lane-verdict');
  await verdict.waitFor({ timeout: timeoutMs });
  return verdict.innerText();
}
