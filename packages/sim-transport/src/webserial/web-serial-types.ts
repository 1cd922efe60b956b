/**
 * The parts of the Web Serial API this link uses (WICG Serial API; Chrome/Edge 89+). TypeScript's
 * DOM library does not describe it, so the shapes are declared here, narrowly.
 */

/** `navigator.serial`. */
export interface WebSerial extends EventTarget {
  requestPort(options?: { filters?: WebSerialPortFilter[] }): Promise<WebSerialPort>;
  getPorts(): Promise<WebSerialPort[]>;
}

/** A filter for `requestPort`. */
export interface WebSerialPortFilter {
  usbVendorId?: number;
  usbProductId?: number;
}

/** `SerialOptions`, the argument of `open()`. */
export interface WebSerialOptions {
  baudRate: number;
  dataBits?: number;
  stopBits?: number;
  parity?: 'none' | 'even' | 'odd';
  bufferSize?: number;
  flowControl?: 'none' | 'hardware';
}

/** `SerialPortInfo`: the USB ids of the device behind a port. */
export interface WebSerialPortInfo {
  usbVendorId?: number;
  usbProductId?: number;
}

/** A serial port as Web Serial exposes it. */
export interface WebSerialPort extends EventTarget {
  readonly readable: ReadableStream<Uint8Array> | null;
  readonly writable: WritableStream<Uint8Array> | null;
  open(options: WebSerialOptions): Promise<void>;
  close(): Promise<void>;
  getInfo(): WebSerialPortInfo;
  forget?(): Promise<void>;
}

/** The serial API of this page or worker, if the browser has one. */
export function webSerial(scope: { navigator?: unknown } = globalThis): WebSerial | undefined {
  const nav = scope.navigator as { serial?: WebSerial } | undefined;
  return nav?.serial;
}
