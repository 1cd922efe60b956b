import type { Page } from 'playwright-core';
import { expect } from 'vitest';

/**
 * ASCII words a Japanese screen may show: product and service names, protocol and standard names,
 * codes and units — what a Japanese technical text writes in Latin letters too. Anything else in
 * Latin letters on a Japanese screen is English that was not translated (#15 §2).
 */
export const JAPANESE_SCREEN_ALLOW: readonly string[] = [
  // Products, services, companies.
  ...'SORACOM Krypton Web Air Keys AWS S3 Cognito IoT Azure Chrome Chromium Edge Firefox Safari Android Windows Linux'.split(' '),
  ...'macOS Huawei HUAWEI PowerShell POSIX bash zsh CLI Serial WebUSB pcscd'.split(' '),
  // The SIM's and the network's words.
  ...'SIM USIM eSIM IMSI ICCID IMEI MSISDN PIN PUK APDU AUTHENTICATE MAC SQN AUTS AT LTE GSM UMTS USB PC SC OS ATR'.split(' '),
  // The web's and AWS's words.
  ...'API URL ID HTTP HTTPS HEAD DNS CORS JSON CSV PEM ETag MD5 TLS OPFS ARN IAM STS SDK OpenID'.split(' '),
  // Units, and the lab's demo SIM profiles shown by name.
  ...'ms KiB MiB GiB TiB dBm demo'.split(' '),
];

/** One English word found: the word, the text it was in, and where (the element, or the attribute). */
export interface EnglishLeak {
  word: string;
  text: string;
  where: string;
}

/**
 * The ASCII words outside the allow-list in what the page shows: visible text, and the aria-label,
 * title, placeholder and alt of visible elements. Data is skipped: elements marked `translate="no"`,
 * `data-literal`, class `mono`, and `code`/`pre`/`kbd`/`samp`/`textarea` (IDs, hex, ARNs, bucket and
 * object names, commands), and text marked with a `lang` other than Japanese. Tokens with digits,
 * code punctuation (`/ . _ ~ $ : @ = -`) or camelCase are codes, not words; `literals` are strings the test knows are data on this screen (a reader's name), removed
 * before looking.
 */
export async function englishLeaks(page: Page, literals: readonly string[] = []): Promise<EnglishLeak[]> {
  const found = await page.evaluate(() => {
    const SKIP = 'script,style,template,code,pre,kbd,samp,textarea,.mono,[translate="no"],[data-literal]';
    // Text marked as another language (a language's own name in the language chooser) is that language's.
    const foreign = (el: Element): boolean => {
      const lang = el.closest('[lang]')?.getAttribute('lang') ?? 'ja';
      return lang !== '' && !lang.toLowerCase().startsWith('ja');
    };
    const out: { text: string; where: string }[] = [];
    const describe = (el: Element): string =>
      `${el.tagName.toLowerCase()}${el.id ? `#${el.id}` : ''}${el.getAttribute('data-testid') ? `[data-testid=${el.getAttribute('data-testid')}]` : ''}${
        el.className && typeof el.className === 'string' ? `.${el.className.trim().split(/\s+/).join('.')}` : ''
      }`;
    const visible = (el: Element): boolean => {
      // An option is shown when its select is (the list opens on a click).
      const target = el.closest('select') ?? el;
      return (target as HTMLElement).checkVisibility?.({ checkOpacity: true, checkVisibilityCSS: true }) ?? true;
    };
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    for (let n = walker.nextNode(); n; n = walker.nextNode()) {
      const el = n.parentElement;
      const text = n.textContent?.trim() ?? '';
      if (!el || !text || el.closest(SKIP) || foreign(el) || !visible(el)) continue;
      out.push({ text, where: describe(el) });
    }
    for (const el of document.body.querySelectorAll('[aria-label],[title],[placeholder],[alt],[aria-description]')) {
      if (el.closest(SKIP) || foreign(el) || !visible(el)) continue;
      for (const attr of ['aria-label', 'title', 'placeholder', 'alt', 'aria-description']) {
        const v = el.getAttribute(attr)?.trim();
        if (v) out.push({ text: v, where: `${describe(el)}@${attr}` });
      }
    }
    out.push({ text: document.title, where: 'title' });
    return out;
  });
  const allow = new Set(JAPANESE_SCREEN_ALLOW);
  const leaks: EnglishLeak[] = [];
  for (const { text, where } of found) {
    let rest = text;
    for (const literal of literals) rest = rest.split(literal).join(' ');
    for (const token of rest.match(/[A-Za-z0-9_./~$:@=+\-'’]+/g) ?? []) {
      // Codes, paths, hosts, versions, identifiers (kebab-case, camelCase): not words of a language.
      if (/[\d_./~$:@=]/.test(token) || /^-/.test(token) || /[a-z]-[a-z]/i.test(token) || /[a-z][A-Z]/.test(token)) continue;
      for (const word of token.match(/[A-Za-z]{2,}/g) ?? []) if (!allow.has(word)) leaks.push({ word, text, where });
    }
  }
  return leaks;
}

/** Fails when a Japanese screen shows English outside the allow-list, naming every word, the text and the element. */
export async function expectNoEnglish(page: Page, state: string, literals: readonly string[] = []): Promise<void> {
  expect(await page.evaluate(() => document.documentElement.lang), `${state}: the page is in Japanese`).toBe('ja');
  const leaks = await englishLeaks(page, literals);
  expect(
    leaks.map((l) => `${l.word} — "${l.text}" (${l.where})`),
    `${state}: English on the Japanese screen`,
  ).toEqual([]);
}
