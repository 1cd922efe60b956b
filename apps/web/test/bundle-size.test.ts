import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { ARTIFACTS } from './e2e/support/artifacts.test-support.ts';
import { ensureBuilt } from './e2e/support/build.test-support.ts';

interface ManifestChunk {
  file: string;
  isEntry?: boolean;
  imports?: string[];
  dynamicImports?: string[];
  css?: string[];
}

/**
 * Budget for what the first screen loads (JS, gzipped); the link choice must stay light: 40 KiB. For
 * a while it was 44 KiB, when the English texts of PIN management, traces, remembered choices,
 * folders, uploads and object checks had joined the one English catalogue on the first screen (to
 * 42 677 B). The English texts are now in two parts: en.ts holds only what the first screen shows;
 * en-session.ts, the texts of SessionView and the Check SIMs screen, loads together with those views
 * (i18n.withSessionTexts), as the Japanese catalogue and the English failure table load when needed.
 * That brought the first screen to 35 647 B.
 */
const INITIAL_JS_BUDGET_GZ = 40 * 1024;

describe('the production build', () => {
  it('keeps the first screen small: the worker, krypton-core, the AWS SDK, the serial, USB and bridge code, Japanese, the later English texts are loaded later', async () => {
    const dist = await ensureBuilt();
    const manifest = JSON.parse(readFileSync(join(dist, '.vite', 'manifest.json'), 'utf8')) as Record<string, ManifestChunk>;
    const entryKey = Object.keys(manifest).find((k) => manifest[k]!.isEntry)!;
    const initial = new Set<string>();
    const walk = (k: string) => {
      if (initial.has(k)) return;
      initial.add(k);
      for (const i of manifest[k]!.imports ?? []) walk(i);
    };
    walk(entryKey);
    const files = [...initial].map((k) => manifest[k]!.file);
    const css = [...initial].flatMap((k) => manifest[k]!.css ?? []);
    const gz = (f: string) => gzipSync(readFileSync(join(dist, f)), { level: 9 }).byteLength;
    const raw = (f: string) => readFileSync(join(dist, f)).byteLength;
    const report = {
      initialJs: { files, bytes: files.reduce((n, f) => n + raw(f), 0), gzip: files.reduce((n, f) => n + gz(f), 0) },
      initialCss: { files: css, bytes: css.reduce((n, f) => n + raw(f), 0), gzip: css.reduce((n, f) => n + gz(f), 0) },
      lazy: Object.fromEntries(
        Object.entries(manifest)
          .filter(([k, c]) => !initial.has(k) && c.file.endsWith('.js'))
          .map(([, c]) => [c.file, { bytes: raw(c.file), gzip: gz(c.file) }]),
      ),
    };
    mkdirSync(ARTIFACTS, { recursive: true });
    writeFileSync(join(ARTIFACTS, 'bundle-size.json'), `${JSON.stringify(report, null, 2)}\n`);
    console.info(
      `initial JS: ${report.initialJs.bytes} B, ${report.initialJs.gzip} B gzipped (${files.join(', ')}); CSS ${report.initialCss.gzip} B gzipped`,
    );
    expect(report.initialJs.gzip).toBeLessThan(INITIAL_JS_BUDGET_GZ);
    const code = files.map((f) => readFileSync(join(dist, f), 'utf8')).join('\n');
    // Markers of what must not be on the first screen (pinMgmt.heading: a key of en-session.ts).
    for (const marker of [
      'x-soracom-signature',
      'x-amz-content-sha256',
      'AT+CSIM',
      'verify-pin',
      '認証する',
      'claimInterface',
      'pinMgmt.heading',
    ])
      expect(code, marker).not.toContain(marker);
  }, 300_000);
});
