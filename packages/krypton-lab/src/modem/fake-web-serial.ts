/**
 * A stand-in for Chrome's Web Serial API (`navigator.serial`, `SerialPort`; WICG Serial API) whose
 * ports lead to the modem emulator, faithful where a client can trip: `open()` twice, `close()` with
 * a locked stream, a recoverable line error that hands out a fresh `readable`, an unplug that fails
 * the pending read with `NetworkError`, a cancelled picker. Free of Node built-ins (and so is all it
 * imports): pages bundle it, e.g. in a Playwright init script, through `installFakeSerial`.
 *
 * The Web Serial shapes are sim-transport's (type-only imports: nothing of the product runs here),
 * and `FakeSerial` and `FakeSerialPort` implement them, so the product takes the fake without a
 * cast. What the fake offers beyond them is Chrome's API that the product does not use, kept so the
 * fake's own tests can hold it to Chrome's behaviour; it is declared here alone.
 */
import type { WebSerial, WebSerialOptions, WebSerialPort, WebSerialPortFilter, WebSerialPortInfo } from '@krypton-web/sim-transport';
import type { SimProfile } from '../profiles/index.ts';
import { HuaweiModemEmulator, type HuaweiModemOptions } from './huawei-modem.ts';
import type { SerialDevice } from './serial-device.ts';

/** Huawei's USB vendor id. */
export const HUAWEI_USB_VENDOR_ID = 0x12d1;
/** The modem-mode product id many Huawei sticks (E3372, MS2131 ...) share. */
export const HUAWEI_MODEM_PRODUCT_ID = 0x1506;

/** `SerialPortFilter` with Chrome's Bluetooth member, which the product never asks for: the fake checks it as Chrome does. */
export interface FakeSerialPortFilter extends WebSerialPortFilter {
  bluetoothServiceClassId?: number | string;
}

/** `SerialOutputSignals`, the argument of `setSignals()` (the product leaves the control lines alone). */
export interface SerialOutputSignals {
  dataTerminalReady?: boolean;
  requestToSend?: boolean;
  break?: boolean;
}

/** `SerialInputSignals`, what `getSignals()` resolves to. */
export interface SerialInputSignals {
  dataCarrierDetect: boolean;
  clearToSend: boolean;
  ringIndicator: boolean;
  dataSetReady: boolean;
}

/** Line errors after which Chrome errors the current `readable` and hands out a fresh one. */
export type RecoverableReadError = 'BufferOverrunError' | 'BreakError' | 'FramingError' | 'ParityError';

/** Chrome's messages for the read errors (serial_port_underlying_source.cc). */
const READ_ERROR_MESSAGES: Record<RecoverableReadError, string> = {
  BufferOverrunError: 'A buffer overrun has been detected.',
  BreakError: 'A break condition has been detected.',
  FramingError: 'A framing error has been detected.',
  ParityError: 'A parity error has been detected.',
};

/** The largest `bufferSize` Chrome accepts. */
const MAX_BUFFER_SIZE = 16 * 1024 * 1024;
/** What the port keeps while no `readable` exists (between a line error and the next `readable`). */
const MAX_PENDING_BYTES = 1024 * 1024;

/** An event handler attribute (`onconnect`, `ondisconnect`): Chrome's, though the product listens with `addEventListener`. */
export type SerialEventHandler = ((event: Event) => unknown) | null;

/** One device the fake offers. */
export interface FakePortSpec {
  /** The device behind the port; a promise while it is being built (a modem over a fresh USIM). */
  device: SerialDevice | Promise<SerialDevice>;
  /** USB ids; default a Huawei stick in modem mode (12d1:1506). */
  info?: WebSerialPortInfo;
  /** `open()` fails with NetworkError, as when ModemManager holds the port on Linux. */
  busy?: boolean;
  /** The site already has permission: `getPorts()` lists the port without `requestPort()`. */
  granted?: boolean;
}

/** Options of the fake `navigator.serial`. */
export interface FakeSerialOptions {
  /** The devices plugged in at start. */
  ports?: FakePortSpec[];
  /** The person's choice in the port picker among the matching ports; undefined means "Cancel". Default: the first. */
  choose?: (candidates: readonly FakeSerialPort[]) => FakeSerialPort | undefined;
}

function domError(name: string, message: string): DOMException {
  return new DOMException(message, name);
}

function deviceLost(): DOMException {
  return domError('NetworkError', 'The device has been lost.');
}

/** A fake `SerialPort`. Test hooks: `unplug()`, `swapSim()`, `injectReadError()`, `signalLog`, `lastOpenOptions`. */
export class FakeSerialPort extends EventTarget implements WebSerialPort {
  /** Handler attribute, called after listeners. */
  onconnect: SerialEventHandler = null;
  /** Handler attribute, called after listeners. */
  ondisconnect: SerialEventHandler = null;
  /** Every `setSignals()` argument, in order. */
  readonly signalLog: SerialOutputSignals[] = [];
  /** The options of the last successful `open()`. */
  lastOpenOptions: WebSerialOptions | undefined;

  private state: 'closed' | 'opening' | 'opened' | 'closing' = 'closed';
  private readonly info: WebSerialPortInfo;
  private readonly devicePromise: Promise<SerialDevice>;
  private resolvedDevice: SerialDevice | undefined;
  private isConnected = true;
  private granted: boolean;
  private forgotten = false;
  /** Set by an unplug: no stream is handed out again until the port is closed. */
  private fatal = false;
  private readableStream: ReadableStream<Uint8Array> | null = null;
  private readController: ReadableByteStreamController | undefined;
  private writableStream: WritableStream<Uint8Array> | null = null;
  private writeController: WritableStreamDefaultController | undefined;
  private pendingRx: Uint8Array<ArrayBuffer>[] = [];
  private pendingBytes = 0;
  private bufferSize = 255;
  private detach: (() => void) | undefined;

  /** Built by `FakeSerial`; a page never constructs ports. */
  constructor(
    private readonly serial: FakeSerial,
    private readonly spec: FakePortSpec,
  ) {
    super();
    this.info = { ...(spec.info ?? { usbVendorId: HUAWEI_USB_VENDOR_ID, usbProductId: HUAWEI_MODEM_PRODUCT_ID }) };
    this.granted = spec.granted ?? false;
    this.devicePromise = Promise.resolve(spec.device);
    this.devicePromise.then(
      (device) => {
        this.resolvedDevice = device;
        device.onUnplug(() => this.lost());
      },
      // A device that never came up is as good as unplugged.
      () => this.lost(),
    );
  }

  /** The device behind the port (test hook). */
  get device(): Promise<SerialDevice> {
    return this.devicePromise;
  }

  /** Whether the device is plugged in. */
  get connected(): boolean {
    return this.isConnected;
  }

  /** A stream of received bytes while the port is open; a fresh one after a line error; null once the device is lost. */
  get readable(): ReadableStream<Uint8Array> | null {
    if (this.readableStream) return this.readableStream;
    if (this.state !== 'opened' || this.fatal) return null;
    this.readableStream = this.makeReadable();
    return this.readableStream;
  }

  /** A stream to write bytes to while the port is open; null once the device is lost. */
  get writable(): WritableStream<Uint8Array> | null {
    if (this.writableStream) return this.writableStream;
    if (this.state !== 'opened' || this.fatal) return null;
    this.writableStream = this.makeWritable();
    return this.writableStream;
  }

  /** The USB ids. */
  getInfo(): WebSerialPortInfo {
    return { ...this.info };
  }

  /** Opens the port; rejects with InvalidStateError when open (or opening), TypeError for bad options, NetworkError when the device cannot be opened. */
  async open(options: WebSerialOptions): Promise<void> {
    if (this.state === 'opening') throw domError('InvalidStateError', 'A call to open() is already in progress.');
    if (this.state !== 'closed') throw domError('InvalidStateError', 'The port is already open.');
    validateOpenOptions(options);
    if (!this.isConnected || this.forgotten) throw domError('NetworkError', 'Failed to open serial port.');
    this.state = 'opening';
    let device: SerialDevice;
    try {
      device = await this.devicePromise;
      if (this.spec.busy || !this.isConnected || device.isUnplugged) throw domError('NetworkError', 'Failed to open serial port.');
      this.detach = device.attach((bytes) => this.received(bytes));
    } catch (e) {
      this.state = 'closed';
      throw e instanceof DOMException ? e : domError('NetworkError', 'Failed to open serial port.');
    }
    this.bufferSize = options.bufferSize ?? 255;
    this.fatal = false;
    this.pendingRx = [];
    this.pendingBytes = 0;
    this.lastOpenOptions = { ...options };
    this.state = 'opened';
  }

  /**
   * Closes the port. As in Chrome, it rejects with TypeError while a reader or writer holds a
   * stream (release the locks first) and with InvalidStateError when the port is not open.
   */
  async close(): Promise<void> {
    if (this.state !== 'opened') throw domError('InvalidStateError', 'The port is already closed.');
    if (this.readableStream?.locked) throw new TypeError("Failed to execute 'close' on 'SerialPort': Cannot cancel a locked stream");
    if (this.writableStream?.locked) throw new TypeError("Failed to execute 'close' on 'SerialPort': Cannot abort a locked stream");
    this.state = 'closing';
    await Promise.all([this.readableStream?.cancel().catch(() => undefined), this.writableStream?.abort().catch(() => undefined)]);
    this.shutDown();
  }

  /** Revokes the site's permission (closing the port first); the port leaves `getPorts()`. */
  async forget(): Promise<void> {
    if (this.state === 'opened' || this.state === 'closing') {
      try {
        // A reader waiting on the port sees the stream end, as when the page closes it.
        this.readController?.close();
        this.writeController?.error(domError('InvalidStateError', 'The port has been forgotten.'));
      } catch {
        // The streams had already failed (an unplug or a line error): nothing left to end.
      }
      this.shutDown();
    }
    this.forgotten = true;
    this.granted = false;
  }

  /** Sets DTR, RTS and break (recorded in `signalLog`; the modem ignores them). */
  async setSignals(signals: SerialOutputSignals): Promise<void> {
    if (this.state !== 'opened') throw domError('InvalidStateError', 'The port is closed.');
    if (signals.dataTerminalReady === undefined && signals.requestToSend === undefined && signals.break === undefined) {
      throw new TypeError('Signals dictionary is empty.');
    }
    if (this.fatal) throw deviceLost();
    this.signalLog.push({ ...signals });
  }

  /** The modem's control lines: DSR and CTS up, no carrier (no data call), no ring. */
  async getSignals(): Promise<SerialInputSignals> {
    if (this.state !== 'opened') throw domError('InvalidStateError', 'The port is closed.');
    if (this.fatal) throw deviceLost();
    return { dataCarrierDetect: false, clearToSend: true, ringIndicator: false, dataSetReady: true };
  }

  /** Test hook: pulls the device out (the pending read rejects with NetworkError, `disconnect` fires). */
  unplug(): void {
    this.lost();
    if (this.resolvedDevice) this.resolvedDevice.unplug();
    else
      void this.devicePromise.then(
        (device) => device.unplug(),
        () => undefined,
      );
  }

  /**
   * Test hook: takes the SIM out of the modem behind the port (`undefined`), or puts the named demo
   * SIM (or a profile) in its place, as a person swapping SIMs in a stick does.
   */
  async swapSim(sim: string | SimProfile | undefined): Promise<void> {
    const device = await this.devicePromise;
    if (!(device instanceof HuaweiModemEmulator)) throw new Error('swapSim needs a port with the modem emulator behind it');
    if (sim === undefined) device.removeSim();
    else await device.insertProfile(sim);
  }

  /** Test hook: a line error on the current `readable` (the read rejects with it); `readable` is then a fresh stream. */
  injectReadError(name: RecoverableReadError): void {
    if (this.state !== 'opened' || this.fatal) throw new Error('injectReadError needs an open, plugged-in port');
    const controller = this.readController;
    this.readController = undefined;
    this.readableStream = null;
    controller?.error(domError(name, READ_ERROR_MESSAGES[name]));
  }

  /** Whether `open()` has succeeded and `close()` has not finished (test hook). */
  get isOpen(): boolean {
    return this.state === 'opened' || this.state === 'closing';
  }

  /** @internal Called by FakeSerial when the person picks this port. */
  grant(): void {
    this.granted = true;
    this.forgotten = false;
  }

  /** @internal Whether `getPorts()` lists this port. */
  get permitted(): boolean {
    return this.granted && !this.forgotten;
  }

  private makeReadable(): ReadableStream<Uint8Array> {
    const stream: ReadableStream<Uint8Array> = new ReadableStream(
      {
        // A byte stream, as Chrome's: BYOB readers work too.
        type: 'bytes',
        start: (controller) => {
          this.readController = controller;
          const pending = this.pendingRx;
          this.pendingRx = [];
          this.pendingBytes = 0;
          for (const chunk of pending) controller.enqueue(chunk);
        },
        cancel: () => {
          if (this.readableStream === stream) {
            this.readableStream = null;
            this.readController = undefined;
          }
        },
      },
      { highWaterMark: this.bufferSize },
    );
    return stream;
  }

  private makeWritable(): WritableStream<Uint8Array> {
    const forget = (): void => {
      if (this.writableStream === stream) {
        this.writableStream = null;
        this.writeController = undefined;
      }
    };
    const stream: WritableStream<Uint8Array> = new WritableStream<Uint8Array>(
      {
        start: (controller) => {
          this.writeController = controller;
        },
        write: (chunk) => {
          const value: unknown = chunk;
          let bytes: Uint8Array;
          // Copies: the page may reuse its buffer as soon as write() resolves.
          if (value instanceof ArrayBuffer) bytes = new Uint8Array(value.slice(0));
          else if (ArrayBuffer.isView(value))
            bytes = new Uint8Array(value.buffer.slice(value.byteOffset, value.byteOffset + value.byteLength));
          else
            throw new TypeError(
              "Failed to execute 'write' on 'UnderlyingSinkBase': The provided value is not of type '(ArrayBuffer or ArrayBufferView)'.",
            );
          const device = this.resolvedDevice;
          if (this.fatal || !device || device.isUnplugged) throw deviceLost();
          device.receive(bytes);
        },
        close: forget,
        abort: forget,
      },
      // Chrome queues writes by count (high water mark 1), so any value reaches write() and its type check.
      new CountQueuingStrategy({ highWaterMark: 1 }),
    );
    return stream;
  }

  private received(bytes: Uint8Array): void {
    if (this.state !== 'opened' || this.fatal) return;
    // A fresh buffer per chunk: enqueue on a byte stream transfers (detaches) it.
    const copy = new Uint8Array(bytes);
    if (this.readController) {
      try {
        this.readController.enqueue(copy);
        return;
      } catch {
        // The stream was cancelled under us; keep the bytes for the next readable.
        this.readController = undefined;
        this.readableStream = null;
      }
    }
    // No readable right now (after a line error, before the page asks for a new one): the OS keeps the bytes.
    if (this.pendingBytes + copy.length > MAX_PENDING_BYTES) return;
    this.pendingRx.push(copy);
    this.pendingBytes += copy.length;
  }

  private lost(): void {
    if (!this.isConnected) return;
    this.isConnected = false;
    if (this.state === 'opened' || this.state === 'opening' || this.state === 'closing') {
      this.fatal = true;
      const reader = this.readController;
      const writer = this.writeController;
      this.readController = undefined;
      this.writeController = undefined;
      this.readableStream = null;
      this.writableStream = null;
      this.pendingRx = [];
      this.pendingBytes = 0;
      this.detach?.();
      this.detach = undefined;
      reader?.error(deviceLost());
      writer?.error(deviceLost());
    }
    this.fire('disconnect');
  }

  private shutDown(): void {
    this.detach?.();
    this.detach = undefined;
    this.readableStream = null;
    this.readController = undefined;
    this.writableStream = null;
    this.writeController = undefined;
    this.pendingRx = [];
    this.pendingBytes = 0;
    this.fatal = false;
    this.state = 'closed';
  }

  /** @internal Fires `connect`/`disconnect` at the port, then at navigator.serial as Chrome's bubbling does. */
  fire(type: 'connect' | 'disconnect'): void {
    const event = new Event(type, { bubbles: true });
    this.dispatchEvent(event);
    (type === 'connect' ? this.onconnect : this.ondisconnect)?.call(this, event);
    if (this.permitted) this.serial.portEvent(type, this);
  }
}

/** A fake `navigator.serial`. Test hooks: `plugIn()`, `plugInModem()`, `ports`, `choose`. */
export class FakeSerial extends EventTarget implements WebSerial {
  /** Handler attribute, called after listeners. */
  onconnect: SerialEventHandler = null;
  /** Handler attribute, called after listeners. */
  ondisconnect: SerialEventHandler = null;
  /** The person's choice in the picker (see `FakeSerialOptions.choose`); replace it to simulate a cancel. */
  choose: (candidates: readonly FakeSerialPort[]) => FakeSerialPort | undefined;
  private readonly all: FakeSerialPort[] = [];

  /** The devices in `options.ports` are plugged in from the start (no `connect` event). */
  constructor(options: FakeSerialOptions = {}) {
    super();
    this.choose = options.choose ?? ((candidates) => candidates[0]);
    for (const spec of options.ports ?? []) this.all.push(new FakeSerialPort(this, spec));
  }

  /** Every port ever plugged in, connected or not (test hook). */
  get ports(): readonly FakeSerialPort[] {
    return this.all;
  }

  /**
   * The port picker: TypeError for a malformed filter, NotFoundError ("No port selected by the user.")
   * when nothing matches or the person cancels; the chosen port gains permission.
   */
  async requestPort(options: { filters?: FakeSerialPortFilter[] } = {}): Promise<FakeSerialPort> {
    const filters = options.filters ?? [];
    for (const filter of filters) validateFilter(filter);
    const candidates = this.all.filter((p) => p.connected && (filters.length === 0 || filters.some((f) => matches(p.getInfo(), f))));
    const chosen = candidates.length === 0 ? undefined : this.choose(candidates);
    if (!chosen || !candidates.includes(chosen)) throw domError('NotFoundError', 'No port selected by the user.');
    chosen.grant();
    return chosen;
  }

  /** Plugged-in ports the site has permission for. */
  async getPorts(): Promise<FakeSerialPort[]> {
    return this.all.filter((p) => p.connected && p.permitted);
  }

  /** Test hook: plugs a device in; `connect` fires (at navigator.serial too when the site has permission). */
  plugIn(spec: FakePortSpec): FakeSerialPort {
    const port = new FakeSerialPort(this, spec);
    this.all.push(port);
    port.fire('connect');
    return port;
  }

  /** Test hook: plugs in a Huawei stick over the named demo SIM (or a profile), one this site already has permission for. */
  plugInModem(sim: string | SimProfile = 'demo', options: HuaweiModemOptions = {}): FakeSerialPort {
    return this.plugIn({ device: HuaweiModemEmulator.create(sim, options), granted: true });
  }

  /** @internal The port's event reaching navigator.serial. */
  portEvent(type: 'connect' | 'disconnect', port: FakeSerialPort): void {
    const event = new Event(type, { bubbles: true });
    // In Chrome the event bubbles up from the port, so listeners here see target === port.
    Object.defineProperty(event, 'target', { value: port, configurable: true });
    this.dispatchEvent(event);
    (type === 'connect' ? this.onconnect : this.ondisconnect)?.call(this, event);
  }
}

function validateOpenOptions(options: WebSerialOptions): void {
  if (typeof options !== 'object' || options === null || options.baudRate === undefined) {
    throw new TypeError("Failed to execute 'open' on 'SerialPort': required member baudRate is undefined.");
  }
  if (!(options.baudRate > 0)) throw new TypeError('Requested baud rate must be greater than zero.');
  if (options.dataBits !== undefined && options.dataBits !== 7 && options.dataBits !== 8)
    throw new TypeError('Requested number of data bits must be 7 or 8.');
  if (options.stopBits !== undefined && options.stopBits !== 1 && options.stopBits !== 2)
    throw new TypeError('Requested number of stop bits must be 1 or 2.');
  if (options.bufferSize !== undefined) {
    if (!(options.bufferSize > 0)) throw new TypeError('Requested buffer size must be greater than zero.');
    if (options.bufferSize > MAX_BUFFER_SIZE) {
      throw new TypeError(
        `Requested buffer size (${options.bufferSize} bytes) is greater than the maximum allowed (${MAX_BUFFER_SIZE} bytes).`,
      );
    }
  }
}

function validateFilter(filter: FakeSerialPortFilter): void {
  if (filter.bluetoothServiceClassId !== undefined) {
    if (filter.usbVendorId !== undefined || filter.usbProductId !== undefined) {
      throw new TypeError('A filter cannot specify both bluetoothServiceClassId and usbVendorId or usbProductId.');
    }
    return;
  }
  if (filter.usbVendorId === undefined) {
    throw new TypeError(
      filter.usbProductId === undefined
        ? 'A filter must provide a property to filter by.'
        : 'A filter containing a usbProductId must also specify a usbVendorId.',
    );
  }
}

function matches(info: WebSerialPortInfo, filter: FakeSerialPortFilter): boolean {
  if (filter.bluetoothServiceClassId !== undefined) return false;
  if (filter.usbVendorId !== info.usbVendorId) return false;
  return filter.usbProductId === undefined || filter.usbProductId === info.usbProductId;
}

/** Options of `installFakeSerial`. */
export interface InstallFakeSerialOptions extends FakeSerialOptions {
  /** The SIM in the default modem: a demo SIM name or a profile (default `demo`); ignored when `ports` is given. */
  sim?: string | SimProfile;
  /** Options of the default modem; ignored when `ports` is given. */
  modem?: HuaweiModemOptions;
  /** Whether the default modem's port is already permitted (listed by `getPorts()`); default false. */
  granted?: boolean;
  /** Also publish the fake under this global name, so a test can reach its hooks (`page.evaluate`). */
  expose?: string;
}

/**
 * Installs a fake `navigator.serial` on `scope` (a page's or worker's `globalThis`; a plain object
 * in Node) and returns it. Without `ports`, one Huawei stick over a virtual USIM is plugged in.
 */
export function installFakeSerial(scope: object, options: InstallFakeSerialOptions = {}): FakeSerial {
  const ports = options.ports ?? [
    { device: HuaweiModemEmulator.create(options.sim ?? 'demo', options.modem ?? {}), granted: options.granted ?? false },
  ];
  const serial = new FakeSerial({ ...options, ports });
  const holder = scope as { navigator?: object };
  let nav = holder.navigator;
  if (nav === undefined || nav === null) {
    nav = {};
    Object.defineProperty(scope, 'navigator', { value: nav, configurable: true, writable: true });
  }
  // An own property shadows the browser's Navigator.prototype.serial getter.
  Object.defineProperty(nav, 'serial', { value: serial, configurable: true, enumerable: true });
  if (options.expose) Object.defineProperty(scope, options.expose, { value: serial, configurable: true, writable: true });
  return serial;
}
