import { TransportError } from '@krypton-web/krypton-core';
import { HUAWEI_VENDOR_ID } from './web-serial-channel.ts';
import { webSerial, type WebSerial, type WebSerialPort } from './web-serial-types.ts';

/** Whether this browser can reach serial ports at all (Chrome/Edge on desktop). */
export function hasWebSerial(scope?: { navigator?: unknown }): boolean {
  return webSerial(scope) !== undefined;
}

/**
 * Asks the person to pick a modem port (needs a user gesture). Huawei sticks are offered first;
 * `anyPort` lists every serial device, for modems of other makers.
 */
export async function requestModemPort(options: { anyPort?: boolean; serial?: WebSerial } = {}): Promise<WebSerialPort> {
  const serial = options.serial ?? requireSerial();
  try {
    return await serial.requestPort(options.anyPort ? {} : { filters: [{ usbVendorId: HUAWEI_VENDOR_ID }] });
  } catch (e) {
    const name = (e as { name?: string }).name;
    if (name === 'NotFoundError') {
      throw new TransportError(
        'ABORTED',
        options.anyPort ? 'No port was chosen' : 'No Huawei modem was chosen (or none is plugged in): try "any port" for other modems',
        { cause: e },
      );
    }
    if (name === 'SecurityError')
      throw new TransportError(
        'TRANSPORT_FAILED',
        'The browser refused serial access: it needs a click on this page, and a secure context (https or localhost)',
        { cause: e },
      );
    throw new TransportError('TRANSPORT_FAILED', `Choosing a port failed: ${(e as Error).message}`, { cause: e });
  }
}

/** Ports the person allowed before (no prompt), Huawei ones first. */
export async function rememberedModemPorts(serial: WebSerial = requireSerial()): Promise<WebSerialPort[]> {
  const ports = await serial.getPorts();
  return [...ports].sort(
    (a, b) => Number(b.getInfo().usbVendorId === HUAWEI_VENDOR_ID) - Number(a.getInfo().usbVendorId === HUAWEI_VENDOR_ID),
  );
}

function requireSerial(): WebSerial {
  const serial = webSerial();
  if (!serial)
    throw new TransportError(
      'TRANSPORT_FAILED',
      'This browser has no Web Serial: use Chrome or Edge on a desktop, or the card reader bridge',
    );
  return serial;
}
