import { DEMO_STACK_READER_NAME } from '@krypton-web/bridge-server';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser, waitFor } from '@krypton-web/web-driver';
import { english as en } from '../../src/lib/i18n/english.test-support.ts';
import { ja } from '../../src/lib/i18n/ja.ts';
import { REMEMBERED_LINK_KEY } from '../../src/lib/remembered-link.ts';
import { screenshot } from './support/artifacts.test-support.ts';
import { startStack, type Stack } from './support/stack.test-support.ts';

// Issue #15 §6 in real Chromium against the real bridge: link, reader, endpoint and language come back
// after a reload (a remembered reader that is gone is said to be gone); IMSI, ICCID and the revealed
// credentials are copied to the real clipboard, in English and in Japanese.

type Texts = Record<keyof typeof en, string>;
const LANGS: readonly (readonly ['en' | 'ja', Texts])[] = [
  ['en', en],
  ['ja', ja],
];

/** What the page put on the clipboard. */
const clipboard = (page: Page): Promise<string> => page.evaluate(() => navigator.clipboard.readText());

describe('#15 §6: remembered and copyable', () => {
  let stack: Stack;

  beforeAll(async () => {
    stack = await startStack();
  }, 300_000);

  afterAll(async () => {
    await stack?.close();
  });

  for (const [lang, texts] of LANGS) {
    it(`[${lang}] link, reader, endpoint and language come back after a reload; a reader gone is said to be gone`, async () => {
      // A fresh profile each time: what comes back was stored by this page, nothing else.
      const browser = await launchBrowser();
      try {
        const page = browser.page;
        await page.goto(stack.url);
        await page.locator('#language').selectOption(lang);
        await waitFor(async () => (await page.evaluate(() => document.documentElement.lang)) === lang, `the page in ${lang}`);
        await page.getByRole('radio', { name: texts['link.bridge'] }).check();
        const reader = page.getByLabel(texts['link.reader'], { exact: true });
        await waitFor(
          async () =>
            (await reader.locator('option').evaluateAll((os) => os.map((o) => (o as HTMLOptionElement).value))).includes(
              DEMO_STACK_READER_NAME,
            ),
          'the bridge to list the demo stack',
        );
        // Not the reader the page picks by itself (the first with a card): this one must have been remembered.
        expect(await reader.inputValue()).not.toBe(DEMO_STACK_READER_NAME);
        await reader.selectOption(DEMO_STACK_READER_NAME);
        await page.getByRole('radio', { name: texts['endpoint.custom'] }).check();
        await page.getByLabel(texts['endpoint.customUrl']).fill('https://krypton.example.com');

        await page.reload();
        await page.getByRole('radio', { name: texts['link.bridge'] }).waitFor();
        await expect(page.evaluate(() => document.documentElement.lang)).resolves.toBe(lang);
        await expect(page.getByRole('radio', { name: texts['link.bridge'] }).isChecked()).resolves.toBe(true);
        await expect(page.getByRole('radio', { name: texts['endpoint.custom'] }).isChecked()).resolves.toBe(true);
        await expect(page.getByLabel(texts['endpoint.customUrl']).inputValue()).resolves.toBe('https://krypton.example.com');
        await waitFor(async () => (await reader.inputValue()) === DEMO_STACK_READER_NAME, 'the remembered reader to be chosen again');
        await expect(page.getByTestId('reader-missing').count()).resolves.toBe(0);
        const stored = (await page.evaluate((key) => localStorage.getItem(key), REMEMBERED_LINK_KEY))!;
        expect(JSON.parse(stored)).toMatchObject({ v: 1, linkKind: 'bridge', endpoint: 'custom', reader: DEMO_STACK_READER_NAME });
        await screenshot(page, `15-6-restored-${lang}`);

        // The reader remembered is not on this bridge now: the page says so and picks one that is.
        await page.evaluate(
          ([key, value]) => localStorage.setItem(key!, value!),
          [REMEMBERED_LINK_KEY, JSON.stringify({ ...JSON.parse(stored), reader: 'Reader unplugged since' })],
        );
        await page.reload();
        const missing = page.getByTestId('reader-missing');
        await missing.waitFor({ timeout: 15_000 });
        await expect(missing.innerText()).resolves.toBe(texts['link.reader.rememberedMissing'].replace('{name}', 'Reader unplugged since'));
        await waitFor(async () => (await reader.inputValue()) !== '', 'another reader to be chosen');
        expect(await reader.inputValue()).not.toBe('Reader unplugged since');
        await screenshot(page, `15-6-reader-gone-${lang}`);
      } finally {
        await browser.close();
      }
    }, 120_000);

    it(`[${lang}] copies IMSI, ICCID, and after a reveal the credentials as shell, PowerShell and AWS CLI snippets`, async () => {
      const browser = await launchBrowser();
      try {
        await browser.context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: stack.url });
        const page = browser.page;
        await page.goto(stack.url);
        await page.locator('#language').selectOption(lang);
        await waitFor(async () => (await page.evaluate(() => document.documentElement.lang)) === lang, `the page in ${lang}`);
        await page.getByRole('radio', { name: texts['link.virtual'] }).check();
        await page.getByRole('radio', { name: texts['endpoint.lab'] }).check();
        await page.getByRole('button', { name: texts['link.connect'], exact: true }).click();
        await page.getByTestId('imsi').waitFor({ timeout: 30_000 });

        await page.getByRole('button', { name: texts['sim.copyImsi'] }).click();
        await waitFor(async () => (await clipboard(page)) === '001010000000001', 'the IMSI on the clipboard');
        await page.getByRole('button', { name: texts['sim.copyIccid'] }).click();
        await waitFor(async () => (await clipboard(page)) === '8981100000000000016', 'the ICCID on the clipboard');

        await page.getByRole('button', { name: texts['auth.button'], exact: true }).click();
        await page.getByText(texts['auth.success']).waitFor({ timeout: 30_000 });
        const cred = page.getByRole('region', { name: texts['cred.heading'] });
        // Before a reveal there is nothing secret to copy, so no snippet button.
        await expect(cred.getByTestId('credential-snippets').count()).resolves.toBe(0);
        await cred.getByRole('button', { name: texts['cred.reveal'] }).click();
        await cred.getByTestId('credential-snippets').waitFor();
        const akid = (await cred.getByTestId('access-key-id').innerText()).split(/\s/)[0]!;
        const secret = (await cred.getByTestId('secret-access-key').innerText()).split(/\s/)[0]!;
        // The token is in a read-only text box (reachable by keyboard), so its value, not its text.
        const token = (await cred.locator('textarea.token').inputValue()).trim();
        const expires = (await cred.getByTestId('expires').innerText()).split(' — ')[0]!.trim();
        expect(secret.length).toBeGreaterThan(20);
        const identity = (await cred.getByTestId('identity-id').innerText()).trim();
        const region = identity.split(':')[0]!;
        expect(region).toMatch(/^[a-z]{2}-[a-z]+-\d$/);

        const expected: Record<'posix' | 'powershell' | 'profile', string> = {
          posix: `export AWS_ACCESS_KEY_ID='${akid}'\nexport AWS_SECRET_ACCESS_KEY='${secret}'\nexport AWS_SESSION_TOKEN='${token}'\nexport AWS_REGION='${region}'\n`,
          powershell: `$Env:AWS_ACCESS_KEY_ID = '${akid}'\n$Env:AWS_SECRET_ACCESS_KEY = '${secret}'\n$Env:AWS_SESSION_TOKEN = '${token}'\n$Env:AWS_REGION = '${region}'\n`,
          profile: `[krypton]\naws_access_key_id = ${akid}\naws_secret_access_key = ${secret}\naws_session_token = ${token}\nregion = ${region}\n`,
        };
        for (const format of ['posix', 'powershell', 'profile'] as const) {
          await cred.getByRole('button', { name: texts[`cred.snippet.${format}`] }).click();
          await waitFor(async () => (await clipboard(page)) === expected[format], `the ${format} snippet on the clipboard`);
          const confirmation = texts[`cred.snippet.${format}.copied`].replace('{time}', expires);
          await cred.getByRole('status').filter({ hasText: confirmation }).waitFor();
        }
        await screenshot(page, `15-6-snippets-copied-${lang}`);

        // Hidden again: the snippet buttons go with the secrets.
        await cred.getByRole('button', { name: texts['cred.hide'] }).click();
        await waitFor(async () => (await cred.getByTestId('credential-snippets').count()) === 0, 'the snippet buttons to go');
        // Nothing secret was remembered for the next visit.
        const storedAll = await page.evaluate(() => JSON.stringify({ ...localStorage }));
        for (const secretPart of [secret, token, akid, '001010000000001', '8981100000000000016'])
          expect(storedAll).not.toContain(secretPart);
      } finally {
        await browser.close();
      }
    }, 120_000);
  }
});
