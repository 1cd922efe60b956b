import { existsSync, readFileSync } from 'node:fs';
import { dirname, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { en } from './i18n/en.ts';
import { enSession } from './i18n/en-session.ts';

// The English texts are in two parts: en.ts, on the first screen, and en-session.ts, loaded with the
// views past the link choice (i18n.withSessionTexts). A key of en-session.ts that code of the first
// screen names would show as an empty text there until that part happened to arrive; this test
// finds such a key in the source, so the split cannot drift as texts and components change.

const SRC = resolve(dirname(fileURLToPath(import.meta.url)), '..');
/** The catalogues hold every key as data: they name keys without showing them. */
const CATALOGUE = /\/i18n\/(en|en-session|en-failures|ja)\.ts$/;
/** A view loaded through withSessionTexts: its English texts arrive before it renders. */
const WITH_TEXTS = /withSessionTexts\(\s*import\(\s*['"](\.[^'"]+)['"]\s*\)/g;
/** Imports the page follows: static (not type-only statements), re-exports and dynamic ones. */
const IMPORT =
  /(?:^|[\s;])(?:import|export)\s+(?!type\s)[^'";]*?from\s*['"](\.[^'"]+)['"]|import\(\s*['"](\.[^'"]+)['"]\s*\)|import\s+['"](\.[^'"]+)['"]/g;

/**
 * The page's own modules the first screen may run: from main.ts along static and dynamic imports
 * (a dynamic one also runs on the first screen: the worker, the modem port), stopping at views loaded
 * through withSessionTexts. Packages of the workspace show no texts of the page and are not followed.
 */
function firstScreenModules(): { files: Map<string, string>; viewsWithTexts: Set<string> } {
  const files = new Map<string, string>();
  const viewsWithTexts = new Set<string>();
  const queue = [resolve(SRC, 'main.ts')];
  while (queue.length > 0) {
    const file = queue.pop()!;
    if (files.has(file)) continue;
    const source = readFileSync(file, 'utf8');
    files.set(file, source);
    const stops = new Set<string>();
    for (const [, spec = ''] of source.matchAll(WITH_TEXTS)) {
      const target = resolve(dirname(file), spec);
      stops.add(target);
      viewsWithTexts.add(relative(SRC, target));
    }
    for (const m of source.matchAll(IMPORT)) {
      const target = resolve(dirname(file), m[1] ?? m[2] ?? m[3] ?? '');
      if (stops.has(target) || !/\.(ts|svelte|js)$/.test(target)) continue;
      if (!existsSync(target)) throw new Error(`${relative(SRC, file)} imports ${target}, which is not there`);
      queue.push(target);
    }
  }
  return { files, viewsWithTexts };
}

/**
 * The keys of `keys` a source names: as a whole string ('pin.heading'), or as the head of one built
 * from data (`trace.sw.${code}`, 'trace.sw.' + code), which may be any key under that head.
 */
function keysNamed(source: string, keys: readonly string[]): string[] {
  const named = new Set(keys.filter((k) => source.includes(`'${k}'`) || source.includes(`"${k}"`) || source.includes(`\`${k}\``)));
  const heads = [
    ...[...source.matchAll(/`([\w.-]*\.[\w.-]*)\$\{/g)].map((m) => m[1]!),
    ...[...source.matchAll(/['"]([\w.-]*\.[\w.-]*)['"]\s*\+/g)].map((m) => m[1]!),
  ];
  for (const head of heads) for (const k of keys) if (k.startsWith(head)) named.add(k);
  return [...named];
}

describe('the first screen’s English texts', () => {
  const { files, viewsWithTexts } = firstScreenModules();
  const code = [...files].filter(([file]) => !CATALOGUE.test(file));

  it('the views past the link choice are loaded with their texts, and the walk reaches the first screen’s code', () => {
    expect([...viewsWithTexts].sort()).toEqual(['components/CheckSimsScreen.svelte', 'components/SessionView.svelte']);
    const reached = code.map(([file]) => relative(SRC, file));
    for (const file of [
      'App.svelte',
      'components/LinkPanel.svelte',
      'components/FailureNotice.svelte',
      'lib/sim-name.ts',
      'lib/availability.ts',
    ])
      expect(reached, file).toContain(file);
    for (const file of ['components/SessionView.svelte', 'components/SimPanel.svelte', 'components/CheckSimsScreen.svelte'])
      expect(reached, file).not.toContain(file);
    // The scan sees keys named whole, in a module that is no component, and built from data.
    const firstScreenKeys = Object.keys(en);
    const named = new Set(code.flatMap(([, source]) => keysNamed(source, firstScreenKeys)));
    for (const key of ['failure.title', 'sim.name.virtual', 'link.unavailable.lab', 'link.bridge-modem.hint', 'endpoint.japan'])
      expect(named, key).toContain(key);
    // What en.ts holds that nothing here names could move to en-session.ts (printed, not asserted).
    const unnamed = firstScreenKeys.filter((k) => !named.has(k));
    console.info(`en.ts: ${firstScreenKeys.length} keys, ${unnamed.length} not named by first-screen code ${unnamed.join(', ')}`);
  });

  it('no code of the first screen names a key that lives only in en-session.ts', () => {
    const later = Object.keys(enSession);
    const misplaced = code.flatMap(([file, source]) => keysNamed(source, later).map((k) => `${relative(SRC, file)}: ${k}`));
    expect(misplaced).toEqual([]);
  });
});
