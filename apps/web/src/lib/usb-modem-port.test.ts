import { installFakeUsb } from '@krypton-web/krypton-lab/modem';
import { WebUsbError, type WebUsbProblem } from '@krypton-web/sim-transport';
import { afterEach, describe, expect, it } from 'vitest';
import { jaFailures } from './i18n/ja.ts';
import { openUsbModemPipe, USB_FAILURE_CODES, usbFailure } from './usb-modem-port.ts';

const PROBLEMS: WebUsbProblem[] = [
  'claimed-by-os',
  'storage-mode',
  'protected-class',
  'no-at-interface',
  'no-answer',
  'access-denied',
  'open-failed',
];

const saved = Object.getOwnPropertyDescriptor(globalThis, 'navigator');
afterEach(() => {
  if (saved) Object.defineProperty(globalThis, 'navigator', saved);
  else delete (globalThis as { navigator?: unknown }).navigator;
});

/** A fake navigator.usb on this realm, as the page has it (Node 20 has no navigator of its own). */
function fakeNavigatorUsb(options: Parameters<typeof installFakeUsb>[1]): void {
  Object.defineProperty(globalThis, 'navigator', { value: {}, configurable: true, writable: true });
  installFakeUsb(globalThis, options);
}

describe('WebUSB problems on the page', () => {
  it('each has its own failure code, explained in Japanese', () => {
    const codes = PROBLEMS.map((p) => USB_FAILURE_CODES[p]);
    expect(new Set(codes).size).toBe(PROBLEMS.length);
    for (const code of codes) expect(jaFailures[code], code).toBeDefined();
  });

  it('become Failures with the link’s English text; other errors pass unchanged', () => {
    const e = new WebUsbError('storage-mode', 'still a CD-ROM', 'switch it');
    expect(usbFailure(e)).toEqual({ code: 'USB_STORAGE_MODE', message: 'still a CD-ROM', action: 'switch it', details: {} });
    const other = new Error('x');
    expect(usbFailure(other)).toBe(other);
  });

  it('opening a stick whose interfaces an OS driver holds fails with USB_CLAIMED_BY_OS', async () => {
    fakeNavigatorUsb({ heldByOs: true });
    await expect(openUsbModemPipe(false)).rejects.toMatchObject({ code: 'USB_CLAIMED_BY_OS', action: expect.stringMatching(/Web Serial/) });
  });

  it('a stick in CD-ROM mode fails with USB_STORAGE_MODE; a cancelled chooser stays ABORTED', async () => {
    fakeNavigatorUsb({ dongles: ['storage'] });
    await expect(openUsbModemPipe(false)).rejects.toMatchObject({ code: 'USB_STORAGE_MODE' });
    fakeNavigatorUsb({ dongles: [] });
    await expect(openUsbModemPipe(false)).rejects.toMatchObject({ code: 'ABORTED' });
  });
});
