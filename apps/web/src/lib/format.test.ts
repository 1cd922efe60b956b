import { describe, expect, it } from 'vitest';
import { formatBytes, formatClockTime, formatDateTime, formatDateTimeShort, formatReportTime, formatTime, nameBreaks } from './format.ts';
import { english as en } from './i18n/english.test-support.ts';
import { interpolate } from './i18n/i18n.svelte.ts';
import { ja } from './i18n/ja.ts';

// 2026-12-03 12:05:07 UTC: 21:05:07 in Tokyo, 04:05:07 in Los Angeles.
const AT = Date.UTC(2026, 11, 3, 12, 5, 7);

describe('sizes in the binary units they are computed in', () => {
  it('the 512 MiB memory limit reads 512 MiB, not 537 MB, in both languages', () => {
    expect(formatBytes(512 * 1024 * 1024, 'en')).toBe('512 MiB');
    expect(formatBytes(512 * 1024 * 1024, 'ja')).toBe('512 MiB');
    expect(interpolate(en['dl.memory'], { limit: formatBytes(512 * 1024 * 1024) })).toContain('files up to 512 MiB are held in memory');
  });

  it('steps at 1024, one decimal under 10, the locale’s digits', () => {
    expect(formatBytes(0)).toBe('0 B');
    expect(formatBytes(1023)).toBe('1,023 B');
    expect(formatBytes(1024)).toBe('1 KiB');
    expect(formatBytes(1536)).toBe('1.5 KiB');
    expect(formatBytes(192 * 1024 * 1024)).toBe('192 MiB');
    expect(formatBytes(1024 ** 3)).toBe('1 GiB');
    expect(formatBytes(5 * 1024 ** 4)).toBe('5 TiB');
    expect(formatBytes(5 * 1024 ** 5)).toBe('5,120 TiB');
    expect(formatBytes(-1)).toBe('—');
    expect(formatBytes(Number.NaN)).toBe('—');
  });
});

describe('times in the person’s time zone', () => {
  it('date and time', () => {
    expect(formatDateTime(AT, 'en', { timeZone: 'Asia/Tokyo' })).toBe('Dec 3, 2026, 9:05:07 PM');
    expect(formatDateTime(AT, 'ja', { timeZone: 'Asia/Tokyo' })).toBe('2026/12/03 21:05:07');
    expect(formatDateTime(AT, 'en', { timeZone: 'America/Los_Angeles' })).toBe('Dec 3, 2026, 4:05:07 AM');
  });

  it('time of day, to the second and to the minute', () => {
    expect(formatTime(AT, 'en', { timeZone: 'Asia/Tokyo' })).toBe('9:05:07 PM');
    expect(formatTime(AT, 'ja', { timeZone: 'Asia/Tokyo' })).toBe('21:05:07');
    expect(formatTime(AT, 'en', { timeZone: 'UTC' })).toBe('12:05:07 PM');
    expect(formatClockTime(AT, 'en', { timeZone: 'Asia/Tokyo' })).toBe('21:05');
    expect(formatClockTime(AT, 'ja', { timeZone: 'America/Los_Angeles' })).toBe('04:05');
  });

  it('a batch’s start and a report row', () => {
    expect(formatDateTimeShort(AT, 'en', { timeZone: 'Asia/Tokyo' })).toBe('Dec 3, 2026, 9:05 PM');
    expect(formatDateTimeShort(AT, 'ja', { timeZone: 'Asia/Tokyo' })).toBe('2026/12/03 21:05');
    expect(formatReportTime(AT, 'en', { timeZone: 'Asia/Tokyo' })).toBe('12/03/2026, 21:05:07');
    expect(formatReportTime(AT, 'ja', { timeZone: 'Asia/Tokyo' })).toBe('2026/12/03 21:05:07');
  });

  it('without a time zone, the runtime’s own (the person’s, in a browser)', () => {
    const own = Intl.DateTimeFormat().resolvedOptions().timeZone;
    expect(formatTime(AT, 'en')).toBe(formatTime(AT, 'en', { timeZone: own }));
  });
});

describe('plurals through Intl.PluralRules', () => {
  it('English: 1 try left, 2 tries left; 1 APDU, 4 APDUs', () => {
    expect(interpolate(en['pin.tries'], { tries: 1 }, 'en')).toBe('1 try left.');
    expect(interpolate(en['pin.tries'], { tries: 2 }, 'en')).toBe('2 tries left.');
    expect(interpolate(en['pin.tries'], { tries: 0 }, 'en')).toBe('0 tries left.');
    expect(interpolate(en['sim.pin.required'], { tries: 1 }, 'en')).toBe('needed — 1 try left');
    expect(interpolate(en['auth.apdus'], { count: 1 }, 'en')).toBe('1 APDU');
    expect(interpolate(en['auth.apdus'], { count: 4 }, 'en')).toBe('4 APDUs');
    expect(interpolate(en['auth.http'], { count: 1 }, 'en')).toBe('1 HTTP request');
    expect(interpolate(en['s3.count'], { folders: 1, objects: 3 }, 'en')).toBe('1 folder, 3 objects on this page');
    expect(interpolate(en['report.shown'], { shown: 1, total: 1 }, 'en')).toBe('1 of 1 row shown');
    expect(interpolate(en['upload.done'], { key: 'k', bytes: 1234, md5: 'm' }, 'en')).toBe(
      'Uploaded as k (1,234 bytes, MD5 m checked by S3).',
    );
  });

  it('Japanese has one form; exact branches and absent numbers', () => {
    expect(interpolate(ja['pin.tries'], { tries: 1 }, 'ja')).toBe('残り 1 回です。');
    expect(interpolate('{n, plural, =0 {none} one {# item} other {# items}}', { n: 0 }, 'en')).toBe('none');
    expect(interpolate('{n, plural, one {# item} other {# items} }', { n: 1 }, 'en')).toBe('1 item');
    expect(interpolate('{n, plural, one {# {what}} other {# {what}s}}', { n: 2, what: 'SIM' }, 'en')).toBe('2 SIMs');
    expect(interpolate('{n, plural, one {# item} other {# items}}', {}, 'en')).toBe('{n, plural, one {# item} other {# items}}');
  });

  it('no English text counts without a plural (a count word right after a number parameter)', () => {
    const counted =
      /\{(tries|count|triesLeft|folders|objects|total|bytes|sims)\} (tries|APDUs|requests|HTTP|SIMs|folders|objects|rows|bytes)\b/;
    expect(Object.entries(en).filter(([, v]) => counted.test(v))).toEqual([]);
  });
});

describe('punctuation within each language', () => {
  it('Japanese uses full-width brackets, colons and commas next to Japanese text', () => {
    const jp = '\\p{Script=Han}\\p{Script=Hiragana}\\p{Script=Katakana}';
    const halfWidth = new RegExp(`[${jp}][(),:!?]|[(),:!?][${jp}]|[${jp}]\\.(\\s|$)`, 'u');
    expect(Object.entries(ja).filter(([, v]) => halfWidth.test(v))).toEqual([]);
  });

  it('English uses no Japanese punctuation', () => {
    expect(Object.entries(en).filter(([, v]) => /[。、「」（）：]/.test(v))).toEqual([]);
  });
});

describe('names cut at their separators for wrapping', () => {
  it('cuts after / - _ . and keeps every character', () => {
    const name = 'releases/device-firmware_build.2026.tar.gz';
    expect(nameBreaks(name)).toEqual(['releases/', 'device-', 'firmware_', 'build.', '2026.', 'tar.', 'gz']);
    expect(nameBreaks(name).join('')).toBe(name);
    expect(nameBreaks('README')).toEqual(['README']);
    expect(nameBreaks('v1/')).toEqual(['v1/']);
  });
});
