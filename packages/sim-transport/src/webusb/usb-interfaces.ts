// Reading a modem's USB descriptors: which interfaces may carry AT commands, and what the device is. Pure.
import type { WebUsbConfiguration, WebUsbDevice, WebUsbInterface } from './web-usb-types.ts';

/** Huawei's USB vendor id (the same constant as the Web Serial link's). */
export const HUAWEI_USB_VENDOR = 0x12d1;
/** The product id of a Huawei stick still in its CD-ROM (mass-storage) mode, before the mode switch. */
export const HUAWEI_STORAGE_MODE_PRODUCT_ID = 0x1f01;

const VENDOR_SPECIFIC = 0xff;
const CDC_DATA = 0x0a;
const MASS_STORAGE = 0x08;
const CDC_CONTROL = 0x02;
const WIRELESS = 0xe0;

/** An interface whose bulk IN/OUT pair may be a modem's AT port. */
export interface AtInterfaceCandidate {
  readonly interfaceNumber: number;
  readonly inEndpoint: number;
  readonly outEndpoint: number;
  /** Max packet size of the IN endpoint: reads ask for whole packets of it. */
  readonly inPacketSize: number;
  /** Max packet size of the OUT endpoint: a write that fills whole packets is ended with a zero-length packet. */
  readonly outPacketSize: number;
  readonly interfaceClass: number;
  readonly interfaceSubclass: number;
  readonly interfaceProtocol: number;
}

/**
 * The interfaces of `configuration` that may speak AT, most likely first: vendor-specific (class
 * 0xff) ones with a bulk IN/OUT pair, then CDC data (0x0a) ones. Among Huawei's vendor-specific
 * interfaces of subclass 01/02, protocol 02 is the "PC UI" AT port and 01 the modem (PPP) port, as
 * ModemManager's udev rules mark them; both answer AT, and everything else is left to the probe.
 * Interfaces without a bulk pair in their current alternate setting (network control, an NCM data
 * interface at setting 0) are not candidates.
 */
export function atInterfaceCandidates(configuration: WebUsbConfiguration): AtInterfaceCandidate[] {
  const found: { candidate: AtInterfaceCandidate; rank: number }[] = [];
  for (const iface of configuration.interfaces) {
    const alt = iface.alternate;
    if (alt.interfaceClass !== VENDOR_SPECIFIC && alt.interfaceClass !== CDC_DATA) continue;
    const bulkIn = alt.endpoints.find((e) => e.type === 'bulk' && e.direction === 'in');
    const bulkOut = alt.endpoints.find((e) => e.type === 'bulk' && e.direction === 'out');
    if (!bulkIn || !bulkOut) continue;
    found.push({
      candidate: {
        interfaceNumber: iface.interfaceNumber,
        inEndpoint: bulkIn.endpointNumber,
        outEndpoint: bulkOut.endpointNumber,
        inPacketSize: bulkIn.packetSize,
        outPacketSize: bulkOut.packetSize,
        interfaceClass: alt.interfaceClass,
        interfaceSubclass: alt.interfaceSubclass,
        interfaceProtocol: alt.interfaceProtocol,
      },
      rank: rank(iface),
    });
  }
  // A stable sort: equal ranks keep the interface order.
  return found.sort((a, b) => a.rank - b.rank).map((f) => f.candidate);
}

function rank(iface: WebUsbInterface): number {
  const alt = iface.alternate;
  if (alt.interfaceClass === CDC_DATA) return 3;
  if (alt.interfaceSubclass === 0x01 || alt.interfaceSubclass === 0x02) {
    if (alt.interfaceProtocol === 0x02) return 0;
    if (alt.interfaceProtocol === 0x01) return 1;
  }
  return 2;
}

/**
 * Whether the device looks like a stick still in its CD-ROM mode: Huawei's 12d1:1f01, or a device
 * that offers mass storage and nothing a modem or network adapter would.
 */
export function isStorageMode(device: WebUsbDevice): boolean {
  if (device.vendorId === HUAWEI_USB_VENDOR && device.productId === HUAWEI_STORAGE_MODE_PRODUCT_ID) return true;
  const configuration = device.configuration ?? device.configurations[0];
  if (!configuration || configuration.interfaces.length === 0) return false;
  const classes = configuration.interfaces.flatMap((i) => i.alternates.map((a) => a.interfaceClass));
  return (
    classes.includes(MASS_STORAGE) && !classes.some((c) => c === VENDOR_SPECIFIC || c === CDC_CONTROL || c === CDC_DATA || c === WIRELESS)
  );
}

/** Interface classes Chrome keeps from pages (WebUSB "protected interface classes"): audio, HID, mass storage, smart card, video, audio/video, wireless controller. */
export const PROTECTED_INTERFACE_CLASSES: ReadonlySet<number> = new Set([0x01, 0x03, 0x08, 0x0b, 0x0e, 0x10, 0xe0]);

/** Whether every interface of `configuration` implements a protected class (a card reader, a keyboard...): a page can claim none. */
export function onlyProtectedClasses(configuration: WebUsbConfiguration): boolean {
  return (
    configuration.interfaces.length > 0 &&
    configuration.interfaces.every((i) => PROTECTED_INTERFACE_CLASSES.has(i.alternate.interfaceClass))
  );
}

/** `12d1:1506`. */
export function usbIds(device: Pick<WebUsbDevice, 'vendorId' | 'productId'>): string {
  return `${hex4(device.vendorId)}:${hex4(device.productId)}`;
}

/** A human name for messages: "Huawei modem (12d1:1506)", or the product name the device gives. */
export function usbDeviceName(device: Pick<WebUsbDevice, 'vendorId' | 'productId' | 'productName'>): string {
  if (device.vendorId === HUAWEI_USB_VENDOR) return `Huawei modem (${usbIds(device)})`;
  const product = device.productName?.trim();
  return `${product || 'USB device'} (${usbIds(device)})`;
}

function hex4(n: number): string {
  return n.toString(16).padStart(4, '0');
}
