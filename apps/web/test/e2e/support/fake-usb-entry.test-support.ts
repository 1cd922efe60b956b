// Bundled into an IIFE and injected before the page's scripts: a fake `navigator.usb` whose Huawei
// stick has the lab's modem emulator behind its AT interface (krypton-lab/modem).
import { installFakeUsb, type InstallFakeUsbOptions } from '@krypton-web/krypton-lab/modem';

const options = (globalThis as { __fakeUsbOptions?: InstallFakeUsbOptions }).__fakeUsbOptions ?? {};
installFakeUsb(globalThis, { expose: '__fakeUsb', ...options });
