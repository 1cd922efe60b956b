// Loaded when the person picks the USB modem over WebUSB: the device is chosen, opened and its AT
// interface claimed on the page (DECISIONS.md §11), and the bytes are piped to the worker.
import { isWebUsbError, requestModemDevice, WebUsbChannel, type WebUsbProblem } from '@krypton-web/sim-transport';
import type { Failure } from '../worker/api.ts';
import type { FailureCode } from '../worker/failure-codes.ts';
import { pipeSerialChannel } from './serial-pipe.ts';

/** The page's failure code of each WebUSB problem: the catalogs translate failures by code. */
export const USB_FAILURE_CODES: Readonly<Record<WebUsbProblem, FailureCode>> = {
  'claimed-by-os': 'USB_CLAIMED_BY_OS',
  'storage-mode': 'USB_STORAGE_MODE',
  'protected-class': 'USB_PROTECTED_CLASS',
  'no-at-interface': 'USB_NO_AT_INTERFACE',
  'no-answer': 'USB_NO_ANSWER',
  'access-denied': 'USB_ACCESS_DENIED',
  'open-failed': 'USB_OPEN_FAILED',
};

/** Asks for the modem (the browser's device chooser), claims its AT interface, and returns the pipe for the worker. */
export async function openUsbModemPipe(anyDevice: boolean): Promise<{ pipe: MessagePort; name: string }> {
  const device = await requestModemDevice({ anyDevice });
  let channel: WebUsbChannel;
  try {
    channel = await WebUsbChannel.open(device);
  } catch (e) {
    throw usbFailure(e);
  }
  return { pipe: pipeSerialChannel(channel), name: channel.name };
}

/** A WebUSB problem as the Failure the page shows (by code, with the link's English text as fallback); other errors unchanged. */
export function usbFailure(e: unknown): unknown {
  if (!isWebUsbError(e)) return e;
  const failure: Failure = { code: USB_FAILURE_CODES[e.problem], message: e.message, action: e.action, details: {} };
  return failure;
}
