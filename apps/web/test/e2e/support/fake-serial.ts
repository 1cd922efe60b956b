import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { HuaweiModemOptions } from '@krypton-web/krypton-lab/modem';
import { WEB_ROOT } from './build.ts';

const here = dirname(fileURLToPath(import.meta.url));
let bundle: Promise<string> | undefined;

/** The fake Web Serial as one classic script (built once per test file). */
function fakeSerialBundle(): Promise<string> {
  bundle ??= (async () => {
    const { build } = await import('vite');
    const out = await build({
      configFile: false,
      logLevel: 'silent',
      root: WEB_ROOT,
      build: { write: false, minify: false, lib: { entry: join(here, 'fake-serial-entry.ts'), formats: ['iife'], name: 'KryptonFakeSerial' } },
    });
    const outputs = (Array.isArray(out) ? out : [out]) as { output: { type: string; code?: string }[] }[];
    return outputs[0]!.output.find((o) => o.type === 'chunk')!.code!;
  })();
  return bundle;
}

/** An init script that installs the fake `navigator.serial` (a Huawei stick with this SIM) before page scripts run. */
export async function fakeSerialScript(options: { sim?: string; modem?: HuaweiModemOptions } = {}): Promise<string> {
  return `window.__fakeSerialOptions = ${JSON.stringify(options)};\n${await fakeSerialBundle()}`;
}
