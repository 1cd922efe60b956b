import { describe, expect, it, vi } from 'vitest';
import { en, type FirstScreenKey, type SessionKey } from './i18n/en.ts';
import { enSession } from './i18n/en-session.ts';
import { english } from './i18n/english.test-support.ts';
import { I18n, interpolate, preferredLocale } from './i18n/i18n.svelte.ts';
import { ja, jaFailures } from './i18n/ja.ts';

// A key in both English parts would have two texts, one of them never shown: the typecheck fails on it.
type InBothParts = Extract<FirstScreenKey, SessionKey>;
const noKeyInBothParts: [InBothParts] extends [never] ? true : InBothParts = true;

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

  it('both catalogs have every message (English in its two parts, none in both), none empty, with the same parameters', () => {
    const firstScreen = Object.keys(en);
    const later = Object.keys(enSession);
    expect(noKeyInBothParts).toBe(true);
    expect(firstScreen.filter((k) => later.includes(k))).toEqual([]);
    expect(Object.keys(ja).sort()).toEqual([...firstScreen, ...later].sort());
    for (const [k, v] of Object.entries(english)) {
      const params = (s: string) => [...s.matchAll(/\{(\w+)(?:\}|, plural,)/g)].map((m) => m[1]).sort();
      expect(v.length, k).toBeGreaterThan(0);
      expect(ja[k as keyof typeof english].length, k).toBeGreaterThan(0);
      expect(params(ja[k as keyof typeof english]), k).toEqual(params(v));
    }
  });

  it('the Japanese catalog is Japanese', () => {
    const japanese = /[\u3040-\u30ff\u4e00-\u9fff]/;
    const untranslated = Object.entries(ja).filter(
      ([k, v]) =>
        !japanese.test(v) &&
        v === english[k as keyof typeof english] &&
        !/^(app\.title|auth\.step\.pin|check\.step\.pin|sim\.(heading|imsi|iccid|pin|unknown)|sim\.modem\.imei|report\.col\.(iccid|imsi)|lane\.iccid|s3\.heading|s3\.etag|s3\.contentEncoding|cred\.identityId|dl\.progress.*)$/.test(
          k,
        ),
    );
    expect(untranslated).toEqual([]);
  });

  it('a Japanese failure text whose {param} the failure does not carry is not shown with the braces: the call site’s English is', async () => {
    const i = new I18n(new MemoryStorage(), ['ja']);
    await i.ready;
    await i.loadFailureTexts();
    const withStatus = { code: 'SERVER_ERROR', message: 'S3 failed (HTTP 503)', action: 'Try again in a moment', details: { status: 503 } };
    expect(i.failure(withStatus).message).toBe('サーバーがエラーを返しました（HTTP 503）。');
    const without = { ...withStatus, message: 'The Krypton verify call failed unexpectedly: boom', details: {} };
    expect(i.failure(without)).toEqual({ message: 'The Krypton verify call failed unexpectedly: boom.', action: 'Try again in a moment.' });
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

describe('the English texts past the link choice (en-session.ts), loaded with their views', () => {
  /** An I18n of a fresh copy of the module: no English part loaded yet, as on a page just opened. */
  async function freshI18n(languages: readonly string[]): Promise<I18n> {
    vi.resetModules();
    const fresh = await import('./i18n/i18n.svelte.ts');
    return new fresh.I18n(new MemoryStorage(), languages);
  }

  it('a key of theirs asked for before they arrive gives an empty text, never the raw key, and starts loading them', async () => {
    const i = await freshI18n(['en-US']);
    expect(i.t('link.connect')).toBe('Connect');
    expect(i.t('pin.heading')).toBe('');
    expect(i.has('ops.desc.getUserData')).toBe(false);
    expect(i.has('link.connect')).toBe(true);
    // Asking started the load: the text is there without anyone loading it on purpose.
    await vi.waitFor(() => expect(i.t('pin.heading')).toBe('Unlock the SIM'));
    expect(i.t('pin.tries', { tries: 1 })).toBe('1 try left.');
    expect(i.has('ops.desc.getUserData')).toBe(true);
    expect(i.has('ops.desc.noSuchOperation')).toBe(false);
  });

  it('a view loaded through withSessionTexts settles only once its texts are there, however fast the view itself arrives', async () => {
    const i = await freshI18n(['en-US']);
    const view = await i.withSessionTexts(Promise.resolve('the view'));
    expect(view).toBe('the view');
    // Read at once, as the view's first render does: every text of the later part is there.
    for (const [k, v] of Object.entries(enSession)) expect(i.t(k as SessionKey), k).toBe(interpolate(v, {}, 'en'));
  });

  it('a view that fails to load fails withSessionTexts (the screen does not show half a view)', async () => {
    const i = new I18n(new MemoryStorage(), ['en-US']);
    await expect(i.withSessionTexts(Promise.reject(new Error('chunk missing')))).rejects.toThrow('chunk missing');
  });

  it('Japanese readers get every later text from ja.ts even before the English part arrives', async () => {
    const i = await freshI18n(['ja']);
    await i.ready;
    expect(i.t('pin.heading')).toBe(ja['pin.heading']);
    expect(i.t('pin.heading')).not.toBe('');
  });
});
