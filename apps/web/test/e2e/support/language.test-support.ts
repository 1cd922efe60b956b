import { waitFor } from '@krypton-web/web-driver';
import type { Page } from 'playwright-core';
import { english as en } from '../../../src/lib/i18n/english.test-support.ts';
import { ja } from '../../../src/lib/i18n/ja.ts';

/** The languages the page speaks. */
export type Lang = 'en' | 'ja';

/** The page's texts in one language, by key. */
export type Texts = Record<keyof typeof en, string>;

/** Each language with its texts, for tests run once per language. */
export const LANGS: readonly (readonly [Lang, Texts])[] = [
  ['en', en],
  ['ja', ja],
];

/** Switches the page's language with its own language chooser, and waits until the page is in it. */
export async function useLanguage(page: Page, lang: Lang): Promise<void> {
  await page.locator('#language').selectOption(lang);
  await waitFor(async () => (await page.evaluate(() => document.documentElement.lang)) === lang, `the page in ${lang}`);
}

/**
 * Runs `body` on a new page of `context`; the page goes back to English and closes even when `body`
 * fails, because the language chosen is remembered and would carry over to the next test's page.
 */
export async function onPage(context: { newPage(): Promise<Page> }, body: (page: Page) => Promise<void>): Promise<void> {
  const page = await context.newPage();
  try {
    await body(page);
  } finally {
    await useLanguage(page, 'en').catch(() => undefined);
    await page.close();
  }
}
