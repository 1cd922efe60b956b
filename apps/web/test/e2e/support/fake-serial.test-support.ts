import type { SimProfile } from '@krypton-web/krypton-lab';
import type { HuaweiModemOptions } from '@krypton-web/krypton-lab/modem';
import { initScriptBundle } from './init-script-bundle.test-support.ts';

/**
 * An init script that installs the fake `navigator.serial` (a Huawei stick with this SIM: a demo SIM's
 * name, or a whole profile, quirks included) before page scripts run.
 */
export async function fakeSerialScript(
  options: { sim?: string | SimProfile; modem?: HuaweiModemOptions; granted?: boolean } = {},
): Promise<string> {
  return `window.__fakeSerialOptions = ${JSON.stringify(options)};\n${await initScriptBundle('fake-serial-entry.test-support.ts', 'KryptonFakeSerial')}`;
}
