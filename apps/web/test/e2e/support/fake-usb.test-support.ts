import type { InstallFakeUsbOptions } from '@krypton-web/krypton-lab/modem';
import { initScriptBundle } from './init-script-bundle.test-support.ts';

/** The JSON-safe options of the fake: which sticks are plugged in, their SIM, modem and packet size. */
export type FakeUsbScriptOptions = Pick<InstallFakeUsbOptions, 'sim' | 'modem' | 'packetSize' | 'heldByOs' | 'dongles'> & { sim?: string };

/** An init script that installs the fake `navigator.usb` (Huawei sticks per `options`) before page scripts run. */
export async function fakeUsbScript(options: FakeUsbScriptOptions = {}): Promise<string> {
  return `window.__fakeUsbOptions = ${JSON.stringify(options)};\n${await initScriptBundle('fake-usb-entry.test-support.ts', 'KryptonFakeUsb')}`;
}
