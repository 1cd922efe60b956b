/**
 * The parts of the WebUSB API this link uses (WICG WebUSB; Chrome/Edge 61+ on desktop, Chrome on
 * Android). TypeScript's DOM library does not describe it, so the shapes are declared here, narrowly.
 */

/** `navigator.usb`: `connect`/`disconnect` events carry the device (`USBConnectionEvent.device`). */
export interface WebUsb extends EventTarget {
  requestDevice(options: { filters: WebUsbDeviceFilter[] }): Promise<WebUsbDevice>;
  getDevices(): Promise<WebUsbDevice[]>;
}

/** A filter for `requestDevice`: vendor/product ids, or class codes of the device or any of its interfaces. */
export interface WebUsbDeviceFilter {
  vendorId?: number;
  productId?: number;
  classCode?: number;
  subclassCode?: number;
  protocolCode?: number;
}

/** `USBDirection`. */
export type WebUsbDirection = 'in' | 'out';

/** `USBEndpoint`. */
export interface WebUsbEndpoint {
  readonly endpointNumber: number;
  readonly direction: WebUsbDirection;
  readonly type: 'bulk' | 'interrupt' | 'isochronous';
  readonly packetSize: number;
}

/** `USBAlternateInterface`. */
export interface WebUsbAlternateInterface {
  readonly alternateSetting: number;
  readonly interfaceClass: number;
  readonly interfaceSubclass: number;
  readonly interfaceProtocol: number;
  readonly interfaceName?: string | null;
  readonly endpoints: readonly WebUsbEndpoint[];
}

/** `USBInterface`. */
export interface WebUsbInterface {
  readonly interfaceNumber: number;
  readonly alternate: WebUsbAlternateInterface;
  readonly alternates: readonly WebUsbAlternateInterface[];
  readonly claimed: boolean;
}

/** `USBConfiguration`. */
export interface WebUsbConfiguration {
  readonly configurationValue: number;
  readonly interfaces: readonly WebUsbInterface[];
}

/** `USBInTransferResult`: `data` holds what arrived before the transfer ended (possibly nothing). */
export interface WebUsbInTransferResult {
  readonly status: 'ok' | 'stall' | 'babble';
  readonly data?: DataView | null;
}

/** `USBOutTransferResult`. */
export interface WebUsbOutTransferResult {
  readonly status: 'ok' | 'stall';
  readonly bytesWritten: number;
}

/** A USB device as WebUSB exposes it. */
export interface WebUsbDevice {
  readonly vendorId: number;
  readonly productId: number;
  readonly manufacturerName?: string | null;
  readonly productName?: string | null;
  readonly serialNumber?: string | null;
  readonly opened: boolean;
  readonly configuration: WebUsbConfiguration | null;
  readonly configurations: readonly WebUsbConfiguration[];
  open(): Promise<void>;
  close(): Promise<void>;
  selectConfiguration(configurationValue: number): Promise<void>;
  claimInterface(interfaceNumber: number): Promise<void>;
  releaseInterface(interfaceNumber: number): Promise<void>;
  clearHalt(direction: WebUsbDirection, endpointNumber: number): Promise<void>;
  transferIn(endpointNumber: number, length: number): Promise<WebUsbInTransferResult>;
  transferOut(endpointNumber: number, data: BufferSource): Promise<WebUsbOutTransferResult>;
}

/** The WebUSB API of this page or worker, if the browser has one. */
export function webUsb(scope: { navigator?: unknown } = globalThis): WebUsb | undefined {
  const nav = scope.navigator as { usb?: WebUsb } | undefined;
  return nav?.usb;
}
