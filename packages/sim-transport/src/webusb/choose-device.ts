import { TransportError } from '@krypton-web/krypton-core';
import { HUAWEI_USB_VENDOR } from './usb-interfaces.ts';
import { webUsb, type WebUsb, type WebUsbDevice, type WebUsbDeviceFilter } from './web-usb-types.ts';

/** The chooser's filter for Huawei sticks: the vendor, as modem-mode product ids (0x1506...) are shared by many models. */
export const HUAWEI_FILTERS: readonly WebUsbDeviceFilter[] = [{ vendorId: HUAWEI_USB_VENDOR }];
/** The fallback for modems of other makers: devices with a vendor-specific (0xff) or CDC (0x02) interface. */
export const ANY_MODEM_FILTERS: readonly WebUsbDeviceFilter[] = [{ classCode: 0xff }, { classCode: 0x02 }];

/** Whether this browser can reach USB devices at all (Chrome/Edge on desktop, Chrome on Android). */
export function hasWebUsb(scope?: { navigator?: unknown }): boolean {
  return webUsb(scope) !== undefined;
}

/**
 * Asks the person to pick the modem (needs a user gesture). Huawei sticks are offered; `anyDevice`
 * lists every device with a vendor-specific or CDC interface, for modems of other makers.
 */
export async function requestModemDevice(options: { anyDevice?: boolean; usb?: WebUsb } = {}): Promise<WebUsbDevice> {
  const usb = options.usb ?? requireUsb();
  try {
    return await usb.requestDevice({ filters: [...(options.anyDevice ? ANY_MODEM_FILTERS : HUAWEI_FILTERS)] });
  } catch (e) {
    const name = (e as { name?: string }).name;
    if (name === 'NotFoundError') {
      throw new TransportError(
        'ABORTED',
        options.anyDevice
          ? 'No USB device was chosen'
          : 'No Huawei modem was chosen (or none is plugged in): try "every USB modem" for other makers',
        { cause: e },
      );
    }
    if (name === 'SecurityError')
      throw new TransportError(
        'TRANSPORT_FAILED',
        'The browser refused USB access: it needs a click on this page, and a secure context (https or localhost)',
        { cause: e },
      );
    throw new TransportError('TRANSPORT_FAILED', `Choosing a USB device failed: ${(e as Error).message}`, { cause: e });
  }
}

/** Devices the person allowed before (no prompt), Huawei ones first. */
export async function rememberedModemDevices(usb: WebUsb = requireUsb()): Promise<WebUsbDevice[]> {
  const devices = await usb.getDevices();
  return [...devices].sort((a, b) => Number(b.vendorId === HUAWEI_USB_VENDOR) - Number(a.vendorId === HUAWEI_USB_VENDOR));
}

function requireUsb(): WebUsb {
  const usb = webUsb();
  if (!usb)
    throw new TransportError(
      'TRANSPORT_FAILED',
      'This browser has no WebUSB: use Chrome or Edge (Chrome on Android too), or the card reader bridge',
    );
  return usb;
}
