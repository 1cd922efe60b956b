import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { startBridge, Logger } from '@krypton-web/bridge-server';
import { ensureWebAppBuilt as ensureBuilt } from '@krypton-web/build/web-app';
import { launchBrowser } from '@krypton-web/web-driver';
import { median, round, type Suite } from '../metric.ts';

/** The files the first screen loads: index.html's module script, its modulepreloads and stylesheets. */
function initialAssets(dist: string): { js: string[]; css: string[] } {
  const html = readFileSync(join(dist, 'index.html'), 'utf8');
  const attr = (re: RegExp) => [...html.matchAll(re)].map((m) => m[1]!);
  const js = [...attr(/<script[^>]+type="module"[^>]+src="([^"]+)"/g), ...attr(/<link[^>]+rel="modulepreload"[^>]+href="([^"]+)"/g)];
  const css = attr(/<link[^>]+rel="stylesheet"[^>]+href="([^"]+)"/g);
  return { js: [...new Set(js)], css: [...new Set(css)] };
}

const gz = (dist: string, files: string[]) =>
  files.reduce((n, f) => n + gzipSync(readFileSync(join(dist, f.replace(/^\//, '')))).length, 0);
const raw = (dist: string, files: string[]) => files.reduce((n, f) => n + readFileSync(join(dist, f.replace(/^\//, ''))).length, 0);

/** 6. The web app's size and start: initial JS/CSS, page load to interactive (`pnpm start` itself: the command start-up suite). */
export const webApp: Suite = {
  name: 'Web app size and start',
  quick: true,
  async run(ctx) {
    const dist = await ensureBuilt();
    const { js, css } = initialAssets(dist);
    ctx.report({ metric: 'initial_js_gzip', value: gz(dist, js), unit: 'bytes', files: js.length, minified_bytes: raw(dist, js) });
    ctx.report({ metric: 'initial_css_gzip', value: gz(dist, css), unit: 'bytes', files: css.length });

    // Page load to interactive: the link choice and the Connect button ready, in Chromium.
    const bridge = await startBridge({ port: 0, lab: true, pcsc: false, webRoot: dist, log: new Logger(() => undefined) });
    const browser = await launchBrowser();
    try {
      const times: number[] = [];
      for (let i = 0; i < (ctx.quick ? 3 : 7); i++) {
        const page = await browser.context.newPage();
        const t0 = performance.now();
        await page.goto(bridge.url);
        await page.getByRole('button', { name: 'Connect', exact: true }).waitFor();
        await page.waitForFunction(() => !document.querySelector<HTMLButtonElement>('button.primary')?.disabled);
        times.push(performance.now() - t0);
        await page.close();
      }
      ctx.report({
        metric: 'load_to_interactive',
        value: round(median(times), 0),
        unit: 'ms',
        note: 'navigation until Connect is enabled, fresh page, warm browser',
      });
    } finally {
      await browser.close();
      await bridge.close();
    }
  },
};
