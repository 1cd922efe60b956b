import { TransportError } from '@krypton-web/krypton-core';

/** What went wrong on the way to a modem over WebUSB, in the terms a person can act on. */
export type WebUsbProblem =
  /** An operating-system driver holds the AT interface ("Unable to claim interface."). */
  | 'claimed-by-os'
  /** The stick is still a CD-ROM (mass storage), before its mode switch. */
  | 'storage-mode'
  /** Every usable interface implements a class the browser keeps from pages. */
  | 'protected-class'
  /** No interface could carry AT commands at all (a HiLink stick, a device that is no modem). */
  | 'no-at-interface'
  /** Interfaces were claimed, but none answered `AT`. */
  | 'no-answer'
  /** The browser may not open the device ("Access denied."). */
  | 'access-denied'
  /** Opening the device failed otherwise. */
  | 'open-failed';

/**
 * A WebUSB link failure with its cause named (`problem`) and what to do about it (`action`), so a
 * page can explain it in the person's language. `code` stays a TransportError code.
 */
export class WebUsbError extends TransportError {
  constructor(
    /** Which of the known situations this is. */
    readonly problem: WebUsbProblem,
    message: string,
    /** What the person can do, in English. */
    readonly action: string,
    options?: { cause?: unknown },
  ) {
    super('TRANSPORT_FAILED', message, options);
  }
}

/** Whether a value is a WebUsbError (also across bundles, where `instanceof` may not hold). */
export function isWebUsbError(value: unknown): value is WebUsbError {
  return value instanceof WebUsbError || (value instanceof TransportError && typeof (value as Partial<WebUsbError>).problem === 'string');
}

/** The name of a DOMException (or any error), '' when it has none. */
export function errorName(e: unknown): string {
  const name = (e as { name?: unknown } | null | undefined)?.name;
  return typeof name === 'string' ? name : '';
}

/** The error a vanished device produces: pending transfers fail with NotFoundError, transfer errors with NetworkError. */
export function isDeviceGone(e: unknown): boolean {
  const name = errorName(e);
  return name === 'NotFoundError' || name === 'NetworkError';
}

/** The modem went away while in use. */
export function unpluggedError(cause?: unknown): TransportError {
  return new TransportError('NO_CARD', 'The USB modem was unplugged', cause === undefined ? undefined : { cause });
}

/** The explanation of `open()` failing. */
export function openFailure(name: string, e: unknown): WebUsbError {
  const message = (e as Error | null)?.message ?? String(e);
  if (errorName(e) === 'SecurityError') {
    return new WebUsbError(
      'access-denied',
      `The browser could not open ${name} ("${message}")`,
      'On Linux, give your user access to the device with a udev rule (SUBSYSTEM=="usb", ATTR{idVendor}=="12d1", TAG+="uaccess"), then plug the modem in again. On Windows, WebUSB works only with the WinUSB driver on the device: use "USB modem (Web Serial)" with Huawei\'s driver instead.',
      { cause: e },
    );
  }
  return new WebUsbError(
    'open-failed',
    `${name} could not be opened: ${message}`,
    'Close other tabs or programs that use the modem, unplug it and plug it in again, then connect again.',
    { cause: e },
  );
}

/** Every AT-capable interface is held by an operating-system driver. */
export function claimedByOsError(name: string, cause: unknown): WebUsbError {
  return new WebUsbError(
    'claimed-by-os',
    `A driver of the operating system holds the AT interface of ${name} (the browser said "Unable to claim interface"), so WebUSB cannot use the modem on this machine`,
    'Choose "USB modem (Web Serial)" here: that driver is what makes the modem a serial port. To use WebUSB anyway, release the driver first: on Linux unbind the "option" driver from the modem (and keep ModemManager away from it with a udev rule); on Windows the interface needs the WinUSB driver instead of Huawei\'s.',
    { cause },
  );
}

/** The stick is in its CD-ROM mode. */
export function storageModeError(name: string): WebUsbError {
  return new WebUsbError(
    'storage-mode',
    `${name} is still in its CD-ROM (mass-storage) mode: it shows only its installer disc, not the modem`,
    "The stick must first be switched to modem mode, after which it appears as another device (12d1:1506 or similar). A web page cannot switch it (browsers keep mass-storage interfaces from pages). On Linux usb_modeswitch switches it when it is plugged in; on Windows and macOS Huawei's installer (Mobile Partner) does. Android does not, so a stick that starts as a CD-ROM cannot be used from a tablet.",
  );
}

/** Only protected-class interfaces could be claimed. */
export function protectedClassError(name: string, cause: unknown): WebUsbError {
  return new WebUsbError(
    'protected-class',
    `The browser does not let web pages use the interfaces of ${name}: they implement a protected class (mass storage, HID, smart card, audio or video)`,
    'Choose the modem itself in the browser\'s list, not a card reader or storage device. A SIM in a card reader goes through "Card reader (bridge)".',
    { cause },
  );
}

/** Nothing on the device could carry AT commands. */
export function noAtInterfaceError(name: string): WebUsbError {
  return new WebUsbError(
    'no-at-interface',
    `${name} has no interface that could carry AT commands (no vendor-specific interface with a bulk IN/OUT pair). A HiLink stick, for one, is a network adapter only`,
    'Use a stick in modem ("stick") mode, such as the MS2131 or an E3372 with stick firmware, or choose the modem in the browser\'s list.',
  );
}

/** Interfaces were claimed but stayed silent to `AT`. */
export function noAnswerError(name: string, probed: number): WebUsbError {
  return new WebUsbError(
    'no-answer',
    `None of the ${probed} interfaces of ${name} that could be the AT port answered AT`,
    'Wait about ten seconds after plugging the modem in (it is still starting), then connect again. If it repeats, unplug the modem and plug it in again.',
  );
}
