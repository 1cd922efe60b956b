import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { InstallFakeUsbOptions } from '@krypton-web/krypton-lab/modem';
import { WEB_ROOT } from './build.ts';

const here = dirname(fileURLToPath(import.meta.url));
let bundle: Promise<string> | undefined;

/** The fake WebUSB as one classic script (built once per test file). */
function fakeUsbBundle(): Promise<string> {
  bundle ??= (async () => {
    const { build } = await import('vite');
    const out = await build({
      configFile: false,
      logLevel: 'silent',
      root: WEB_ROOT,
      build: { write: false, minify: false, lib: { entry: join(here, 'fake-usb-entry.ts'), formats: ['iife'], name: 'KryptonFakeUsb' } },
    });
    const outputs = (Array.isArray(out) ? out : [out]) as { output: { type: string; code?: string }[] }[];
    return outputs[0]!.output.find((o) => o.type === 'chunk')!.code!;
  })();
  return bundle;
}

/** The JSON-safe options of the fake: which sticks are plugged in, their SIM, modem and packet size. */
export type FakeUsbScriptOptions = Pick<InstallFakeUsbOptions, 'sim' | 'modem' | 'packetSize' | 'heldByOs' | 'dongles'> & { sim?: string };

/** An init script that installs the fake `navigator.usb` (Huawei sticks per `options`) before page scripts run. */
export async function fakeUsbScript(options: FakeUsbScriptOptions = {}): Promise<string> {
  return `window.__fakeUsbOptions = ${JSON.stringify(options)};\n${await fakeUsbBundle()}`;
}
