import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { WEB_ROOT } from './build.test-support.ts';

const here = dirname(fileURLToPath(import.meta.url));
const bundles = new Map<string, Promise<string>>();

/**
 * Bundles an entry of this folder into one classic script (an IIFE), once per test file, so that
 * Playwright's `addInitScript` can install a fake browser API before any page script runs.
 */
export function initScriptBundle(entry: string, globalName: string): Promise<string> {
  let bundle = bundles.get(entry);
  if (!bundle) {
    bundle = (async () => {
      const { build } = await import('vite');
      const out = await build({
        configFile: false,
        logLevel: 'silent',
        root: WEB_ROOT,
        build: { write: false, minify: false, lib: { entry: join(here, entry), formats: ['iife'], name: globalName } },
      });
      const outputs = (Array.isArray(out) ? out : [out]) as { output: { type: string; code?: string }[] }[];
      return outputs[0]!.output.find((o) => o.type === 'chunk')!.code!;
    })();
    bundles.set(entry, bundle);
  }
  return bundle;
}
