import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compareKeys, selectListPage, type KeyListPage } from './s3rver-listing.ts';

const KEYS = [
  'firmware/v1/manifest.json',
  'firmware/v1.1/manifest.json',
  'firmware/v1/firmware.bin',
  'firmware/v2/manifest.json',
  'README.txt',
  'logs/2026/11/01.log',
  'a-b',
  'a/b',
  'a.b',
];

describe('selectListPage', () => {
  it('orders keys by UTF-8 bytes, so "v1.1/" comes before "v1/"', () => {
    const page = selectListPage(KEYS, { prefix: 'firmware/', maxKeys: 1000 });
    expect(page.keys).toEqual([
      'firmware/v1.1/manifest.json',
      'firmware/v1/firmware.bin',
      'firmware/v1/manifest.json',
      'firmware/v2/manifest.json',
    ]);
    expect(compareKeys('Z', 'a')).toBeLessThan(0);
    expect(compareKeys('\uffff', '😀')).toBeLessThan(0); // UTF-16 order would say the opposite
  });

  it('rolls keys up at the first delimiter after the prefix', () => {
    expect(selectListPage(KEYS, { delimiter: '/', maxKeys: 1000 })).toEqual<KeyListPage>({
      keys: ['README.txt', 'a-b', 'a.b'],
      commonPrefixes: ['a/', 'firmware/', 'logs/'],
      isTruncated: false,
      lastEntry: 'logs/',
    });
    expect(selectListPage(KEYS, { prefix: 'firmware/', delimiter: '/', maxKeys: 1000 }).commonPrefixes).toEqual([
      'firmware/v1.1/',
      'firmware/v1/',
      'firmware/v2/',
    ]);
  });

  it('counts common prefixes against max-keys and resumes after a common prefix without repeating it', () => {
    const first = selectListPage(KEYS, { prefix: 'firmware/', delimiter: '/', maxKeys: 2 });
    expect(first).toMatchObject({ commonPrefixes: ['firmware/v1.1/', 'firmware/v1/'], isTruncated: true, lastEntry: 'firmware/v1/' });
    const second = selectListPage(KEYS, { prefix: 'firmware/', delimiter: '/', maxKeys: 2, startAfter: first.lastEntry });
    expect(second).toMatchObject({ keys: [], commonPrefixes: ['firmware/v2/'], isTruncated: false });
  });

  it('pages through any key set exactly once, in order, for any page size, prefix and delimiter', () => {
    const key = fc.string({ unit: fc.constantFrom('a', 'b', '.', '-', '/', 'é'), minLength: 1, maxLength: 6 });
    fc.assert(
      fc.property(
        fc.uniqueArray(key, { maxLength: 40 }),
        fc.integer({ min: 1, max: 7 }),
        fc.constantFrom('', 'a', 'a/'),
        fc.constantFrom(undefined, '/', '.'),
        (keys, maxKeys, prefix, delimiter) => {
          const all = selectListPage(keys, { prefix, delimiter, maxKeys: 10_000 });
          const seen: string[] = [];
          let startAfter: string | undefined;
          for (let pages = 0; pages < 100; pages++) {
            const page = selectListPage(keys, { prefix, delimiter, maxKeys, startAfter });
            expect(page.keys.length + page.commonPrefixes.length).toBeLessThanOrEqual(maxKeys);
            seen.push(...page.keys, ...page.commonPrefixes);
            if (!page.isTruncated) break;
            startAfter = page.lastEntry;
          }
          expect(seen.sort(compareKeys)).toEqual([...all.keys, ...all.commonPrefixes].sort(compareKeys));
        },
      ),
      { numRuns: 300 },
    );
  });
});
