// Bundled into an IIFE and injected before the page's scripts: a fake `navigator.serial` whose one
// port is the lab's Huawei modem emulator over a virtual USIM (krypton-lab/modem).
import { installFakeSerial, type InstallFakeSerialOptions } from '@krypton-web/krypton-lab/modem';

const options = (globalThis as { __fakeSerialOptions?: InstallFakeSerialOptions }).__fakeSerialOptions ?? {};
installFakeSerial(globalThis, { expose: '__fakeSerial', ...options });
