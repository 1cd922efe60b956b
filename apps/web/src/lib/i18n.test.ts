import { describe, expect, it } from 'vitest';
import { en } from './i18n/en.ts';
import { I18n, interpolate, preferredLocale } from './i18n/i18n.svelte.ts';
import { ja, jaFailures } from './i18n/ja.ts';

class MemoryStorage {
  data = new Map<string, string>();
  getItem(k: string) {
    return this.data.get(k) ?? null;
  }
  setItem(k: string, v: string) {
    this.data.set(k, v);
  }
}

describe('languages', () => {
  it('follow the browser by default', () => {
    expect(preferredLocale(['ja-JP', 'en-US'])).toBe('ja');
    expect(preferredLocale(['en-GB', 'ja'])).toBe('en');
    expect(preferredLocale(['fr-FR', 'ja'])).toBe('ja');
    expect(preferredLocale(['de'])).toBe('en');
    const jaReader = new I18n(new MemoryStorage(), ['ja']);
    expect(jaReader.locale).toBe('ja');
    expect(new I18n(new MemoryStorage(), ['en-US']).locale).toBe('en');
  });

  it('a choice is kept in localStorage (the only thing the app keeps there) and wins over the browser', async () => {
    const storage = new MemoryStorage();
    const i = new I18n(storage, ['en-US']);
    await i.set('ja');
    expect(i.locale).toBe('ja');
    expect([...storage.data.entries()]).toEqual([['krypton-web.locale', 'ja']]);
    const again = new I18n(storage, ['en-US']);
    expect(again.locale).toBe('ja');
    expect(again.chosen).toBe(true);
    await again.ready;
    expect(again.t('auth.button')).toBe('認証する');
  });

  it('both catalogs have every message, none empty, with the same parameters', () => {
    expect(Object.keys(ja).sort()).toEqual(Object.keys(en).sort());
    for (const [k, v] of Object.entries(en)) {
      const params = (s: string) => [...s.matchAll(/\{(\w+)(?:\}|, plural,)/g)].map((m) => m[1]).sort();
      expect(v.length, k).toBeGreaterThan(0);
      expect(ja[k as keyof typeof en].length, k).toBeGreaterThan(0);
      expect(params(ja[k as keyof typeof en]), k).toEqual(params(v));
    }
  });

  it('the Japanese catalog is Japanese', () => {
    const japanese = /[\u3040-\u30ff\u4e00-\u9fff]/;
    const untranslated = Object.entries(ja).filter(
      ([k, v]) =>
        !japanese.test(v) &&
        v === en[k as keyof typeof en] &&
        !/^(app\.title|auth\.step\.pin|check\.step\.pin|sim\.(heading|imsi|iccid|pin|unknown)|sim\.modem\.imei|report\.col\.(iccid|imsi)|lane\.iccid|s3\.heading|s3\.etag|cred\.identityId|dl\.progress.*)$/.test(
          k,
        ),
    );
    expect(untranslated).toEqual([]);
  });

  it('interpolates and translates failures by code, falling back to the worker’s English', async () => {
    expect(interpolate('{a} and {b}', { a: 1 })).toBe('1 and {b}');
    const i = new I18n(new MemoryStorage(), ['ja']);
    await i.ready;
    await i.loadFailureTexts();
    const f = { code: 'PIN_WRONG', message: 'Wrong PIN', action: 'Try again', details: { triesLeft: 2 } };
    expect(i.failure(f).message).toBe('PIN が違います（残り 2 回）。');
    expect(i.failure({ ...f, code: 'SOMETHING_NEW' })).toEqual({ message: 'Wrong PIN.', action: 'Try again.' });
    await i.set('en');
    expect(i.failure(f)).toEqual({ message: 'Wrong PIN.', action: 'Try again.' });
    expect(i.failure({ code: 'CARD_ERROR', message: 'm', action: 'a', details: { sw: 0x6f00 } })).toEqual({ message: 'm.', action: 'a.' });
    await i.set('ja');
    expect(i.failure({ code: 'CARD_ERROR', message: 'm', action: 'a', details: { sw: 0x6f00 } }).message).toContain('6F00');
    for (const [code, text] of Object.entries(jaFailures)) {
      expect(text.message.length, code).toBeGreaterThan(0);
      expect(text.action.length, code).toBeGreaterThan(0);
    }
  });
});
