/**
 * A stand-in for Chrome's WebUSB (`navigator.usb`, `USBDevice`; WICG WebUSB) whose devices are
 * Huawei-like dongles wired to the modem emulator, faithful where a WebUSB client can trip:
 * bulk transfers that end on a short packet (and on a zero-length packet after a response that
 * fills whole packets), babble when a transfer is not a multiple of the packet size, halted
 * endpoints after a stall until `clearHalt`, `claimInterface` refused by an operating-system driver
 * (`NetworkError`) or for a protected class (`SecurityError`), pending transfers cancelled with
 * `AbortError` by `releaseInterface`/`close`, and an unplug that fails them with `NotFoundError` and
 * fires `disconnect` at `navigator.usb`. Exceptions carry Chrome's names and messages
 * (blink/modules/webusb/usb_device.cc). Free of Node built-ins (and so is all it imports): pages
 * bundle it, e.g. in a Playwright init script, through `installFakeUsb`.
 *
 * The WebUSB shapes are sim-transport's (type-only imports: nothing of the product runs here), and
 * `FakeUsb` and `FakeUsbDevice` implement them, so the product takes the fake without a cast. Parts
 * of the real API that sim-transport leaves out because the product does not use them (the device's
 * class and version fields, `forget`, the `onconnect`/`ondisconnect` attributes) exist only as
 * members of the fake classes.
 */
import type {
  WebUsb,
  WebUsbAlternateInterface,
  WebUsbConfiguration,
  WebUsbDevice,
  WebUsbDeviceFilter,
  WebUsbDirection,
  WebUsbEndpoint,
  WebUsbInTransferResult,
  WebUsbInterface,
  WebUsbOutTransferResult,
} from '@krypton-web/sim-transport';
import type { SimProfile } from '../profiles/index.ts';
import { HUAWEI_MODEM_PRODUCT_ID, HUAWEI_USB_VENDOR_ID } from './fake-web-serial.ts';
import { HuaweiModemEmulator, type HuaweiModemOptions } from './huawei-modem.ts';
import { SilentSerialDevice, type SerialDevice } from './serial-device.ts';

/** The product id of a Huawei stick before its mode switch: a CD-ROM with the Windows/macOS installer. */
export const HUAWEI_STORAGE_PRODUCT_ID = 0x1f01;

/** Interface classes Chrome refuses to let pages claim (WebUSB §"protected interface classes"). */
export const PROTECTED_USB_CLASSES: ReadonlySet<number> = new Set([0x01, 0x03, 0x08, 0x0b, 0x0e, 0x10, 0xe0]);

/** One interface (alternate setting 0) of a fake device. */
export interface FakeUsbInterfaceSpec {
  interfaceClass: number;
  interfaceSubclass?: number;
  interfaceProtocol?: number;
  interfaceName?: string;
  /** As `USBEndpoint` describes them. */
  endpoints: WebUsbEndpoint[];
  /** What answers on the interface's bulk pair (the modem's AT port, a silent diagnostics port); none: bytes go nowhere. */
  device?: SerialDevice | Promise<SerialDevice>;
  /** An operating-system driver holds the interface (Linux `option`, Huawei's Windows driver): claiming it fails. */
  heldByOs?: boolean;
}

/** One device the fake offers. */
export interface FakeUsbDeviceSpec {
  vendorId: number;
  productId: number;
  manufacturerName?: string;
  productName?: string;
  serialNumber?: string;
  /** bDeviceClass (0: per interface, as composite dongles say). */
  deviceClass?: number;
  interfaces: FakeUsbInterfaceSpec[];
  /** The site already has permission: `getDevices()` lists the device without `requestDevice()`. */
  granted?: boolean;
  /** `open()` fails with SecurityError "Access denied." (Linux without a udev rule for the device node, Windows without WinUSB). */
  accessDenied?: boolean;
  /** Configuration 1 is active from the start (default true: the OS configured the device); false: `configuration` is null until `selectConfiguration(1)`. */
  configured?: boolean;
  /** A transfer that fills whole packets ends with a zero-length packet (default true, as the USB spec requires of such devices). */
  zeroLengthPackets?: boolean;
}

/** An event handler attribute (`onconnect`, `ondisconnect`): Chrome's, though the product listens with `addEventListener`. */
export type UsbEventHandler = ((event: Event) => unknown) | null;

/** `USBConnectionEvent`: `device` is the device that came or went. */
export class FakeUsbConnectionEvent extends Event {
  constructor(
    type: 'connect' | 'disconnect',
    readonly device: FakeUsbDevice,
  ) {
    super(type);
  }
}

const DISCONNECTED = 'The device was disconnected.';
const OPEN_REQUIRED = 'The device must be opened first.';
const INTERFACE_NOT_FOUND = 'The interface number provided is not supported by the device in its current configuration.';
const ENDPOINT_NOT_CLAIMED = 'The specified endpoint is not part of a claimed and selected alternate interface.';

function domError(name: string, message: string): DOMException {
  return new DOMException(message, name);
}

/** A transferIn waiting for packets. */
interface PendingIn {
  length: number;
  received: Uint8Array[];
  bytes: number;
  resolve: (result: WebUsbInTransferResult) => void;
  reject: (error: DOMException) => void;
}

/** A packet on the wire (a log entry of `outPackets`): its length, 0 for a zero-length packet. */
export type PacketLog = number[];

/** The device side of one interface: its FIFO of packets, its halted endpoints, and the device behind it. */
class InterfacePort {
  readonly bulkIn: WebUsbEndpoint | undefined;
  readonly bulkOut: WebUsbEndpoint | undefined;
  /** Packets the device has queued for the host, in order. */
  private packets: Uint8Array[] = [];
  private pending: PendingIn[] = [];
  private haltedIn = false;
  private haltedOut = false;
  private detach: (() => void) | undefined;
  private babbleNext = false;
  /** Lengths of the packets the host sent, zero-length ones included (test hook). */
  readonly outPackets: PacketLog = [];
  /** How often the host cleared a halt, per direction (test hook). */
  readonly clearedHalts: { in: number; out: number } = { in: 0, out: 0 };
  /** The length of every transferIn the host asked for (test hook). */
  readonly inRequests: number[] = [];

  constructor(
    readonly spec: FakeUsbInterfaceSpec,
    private readonly zlp: boolean,
  ) {
    this.bulkIn = spec.endpoints.find((e) => e.type === 'bulk' && e.direction === 'in');
    this.bulkOut = spec.endpoints.find((e) => e.type === 'bulk' && e.direction === 'out');
  }

  /** Called on claim: output of the device behind the interface becomes packets. */
  async attach(): Promise<void> {
    if (!this.spec.device || !this.bulkIn) return;
    const device = await this.spec.device;
    this.detach = device.attach((bytes) => this.emit(bytes));
  }

  /** Called on release, close and unplug: pending transfers fail with `error`, queued packets are dropped. */
  reset(error: DOMException): void {
    this.detach?.();
    this.detach = undefined;
    const pending = this.pending;
    this.pending = [];
    this.packets = [];
    this.haltedIn = false;
    this.haltedOut = false;
    for (const p of pending) p.reject(error);
  }

  transferIn(length: number): Promise<WebUsbInTransferResult> {
    this.inRequests.push(length);
    if (this.haltedIn) return Promise.resolve({ status: 'stall', data: new DataView(new ArrayBuffer(0)) });
    return new Promise((resolve, reject) => {
      this.pending.push({ length, received: [], bytes: 0, resolve, reject });
      this.pump();
    });
  }

  async transferOut(bytes: Uint8Array): Promise<WebUsbOutTransferResult> {
    if (this.haltedOut) return { status: 'stall', bytesWritten: 0 };
    const size = this.bulkOut!.packetSize;
    if (bytes.length === 0) this.outPackets.push(0);
    for (let i = 0; i < bytes.length; i += size) this.outPackets.push(Math.min(size, bytes.length - i));
    if (bytes.length > 0 && this.spec.device) (await this.spec.device).receive(bytes);
    return { status: 'ok', bytesWritten: bytes.length };
  }

  clearHalt(direction: WebUsbDirection): void {
    if (direction === 'in') this.haltedIn = false;
    else this.haltedOut = false;
    this.clearedHalts[direction] += 1;
    this.pump();
  }

  /** The endpoint stalls: the pending transfer (or the next) ends with `stall`, and so does every one until clearHalt. */
  stall(direction: WebUsbDirection): void {
    if (direction === 'out') {
      this.haltedOut = true;
      return;
    }
    this.haltedIn = true;
    const first = this.pending.shift();
    if (first) first.resolve({ status: 'stall', data: view(first.received) });
    for (const p of this.pending.splice(0)) p.resolve({ status: 'stall', data: new DataView(new ArrayBuffer(0)) });
  }

  /** The next packet is longer than the device may send: the transfer that meets it ends with `babble`. */
  babble(): void {
    this.babbleNext = true;
  }

  /** The device sends `bytes` as one transfer: full packets, then a short one (zero-length when the last was full). */
  private emit(bytes: Uint8Array): void {
    const size = this.bulkIn!.packetSize;
    for (let i = 0; i < bytes.length; i += size) this.packets.push(bytes.slice(i, i + size));
    if (bytes.length > 0 && bytes.length % size === 0 && this.zlp) this.packets.push(new Uint8Array(0));
    this.pump();
  }

  private pump(): void {
    const size = this.bulkIn?.packetSize ?? 64;
    while (!this.haltedIn && this.pending.length > 0 && this.packets.length > 0) {
      const transfer = this.pending[0]!;
      const packet = this.packets.shift()!;
      if (this.babbleNext) {
        // A babbling device talks past the packet size: the host controller drops that packet and ends the transfer.
        this.babbleNext = false;
        this.pending.shift();
        transfer.resolve({ status: 'babble', data: view(transfer.received) });
        continue;
      }
      const room = transfer.length - transfer.bytes;
      if (packet.length > room) {
        // The host asked for less than a packet: the bytes that do not fit are an overflow (babble), and lost.
        this.pending.shift();
        transfer.received.push(packet.slice(0, room));
        transfer.resolve({ status: 'babble', data: view(transfer.received) });
        continue;
      }
      transfer.received.push(packet);
      transfer.bytes += packet.length;
      // A short packet (zero-length included) ends the transfer, and so does a full buffer.
      if (packet.length < size || transfer.bytes === transfer.length) {
        this.pending.shift();
        transfer.resolve({ status: 'ok', data: view(transfer.received) });
      }
    }
  }
}

function view(chunks: readonly Uint8Array[]): DataView {
  const total = chunks.reduce((n, c) => n + c.length, 0);
  const out = new Uint8Array(total);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return new DataView(out.buffer);
}

function bytesOf(data: unknown): Uint8Array {
  // Copies: the page may reuse its buffer as soon as transferOut resolves.
  if (data instanceof ArrayBuffer) return new Uint8Array(data.slice(0));
  if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength));
  throw new TypeError(
    "Failed to execute 'transferOut' on 'USBDevice': The provided value is not of type '(ArrayBuffer or ArrayBufferView)'.",
  );
}

/** A fake `USBDevice`. Test hooks: `unplug()`, `stall()`, `babble()`, `outPackets()`, `inRequests()`, `clearedHalts()`, `claimLog`, `claimedNow`. */
export class FakeUsbDevice implements WebUsbDevice {
  readonly vendorId: number;
  readonly productId: number;
  readonly manufacturerName: string | null;
  readonly productName: string | null;
  readonly serialNumber: string | null;
  readonly deviceClass: number;
  readonly deviceSubclass = 0;
  readonly deviceProtocol = 0;
  readonly usbVersionMajor = 2;
  readonly usbVersionMinor = 0;
  readonly usbVersionSubminor = 0;
  readonly deviceVersionMajor = 1;
  readonly deviceVersionMinor = 0;
  readonly deviceVersionSubminor = 0;
  readonly configurations: readonly WebUsbConfiguration[];
  /** Every interface number claimed, in order, including ones released since (test hook). */
  readonly claimLog: number[] = [];

  private readonly ports: InterfacePort[];
  private readonly claimedSet = new Set<number>();
  private active: WebUsbConfiguration | null;
  private isOpen = false;
  private isConnected = true;
  private granted: boolean;

  /** Built by `FakeUsb`; a page never constructs devices. */
  constructor(
    private readonly usb: FakeUsb,
    private readonly spec: FakeUsbDeviceSpec,
  ) {
    this.vendorId = spec.vendorId;
    this.productId = spec.productId;
    this.manufacturerName = spec.manufacturerName ?? null;
    this.productName = spec.productName ?? null;
    this.serialNumber = spec.serialNumber ?? null;
    this.deviceClass = spec.deviceClass ?? 0;
    this.granted = spec.granted ?? false;
    this.ports = spec.interfaces.map((i) => new InterfacePort(i, spec.zeroLengthPackets ?? true));
    const claimed = this.claimedSet;
    const interfaces: WebUsbInterface[] = spec.interfaces.map((i, n) => {
      const alternate: WebUsbAlternateInterface = Object.freeze({
        alternateSetting: 0,
        interfaceClass: i.interfaceClass,
        interfaceSubclass: i.interfaceSubclass ?? 0,
        interfaceProtocol: i.interfaceProtocol ?? 0,
        interfaceName: i.interfaceName ?? null,
        endpoints: Object.freeze(i.endpoints.map((e) => Object.freeze({ ...e }))),
      });
      return {
        interfaceNumber: n,
        alternate,
        alternates: Object.freeze([alternate]),
        get claimed() {
          return claimed.has(n);
        },
      };
    });
    const configuration: WebUsbConfiguration = Object.freeze({ configurationValue: 1, interfaces: Object.freeze(interfaces) });
    this.configurations = Object.freeze([configuration]);
    this.active = spec.configured === false ? null : configuration;
    for (const i of spec.interfaces) {
      // Any device behind the dongle going away (the emulator unplugged) is the whole stick gone.
      void Promise.resolve(i.device).then(
        (d) => d?.onUnplug(() => this.lost()),
        () => this.lost(),
      );
    }
  }

  /** Whether `open()` has succeeded and `close()` has not been called. */
  get opened(): boolean {
    return this.isOpen;
  }

  /** The active configuration, or null before `selectConfiguration` on an unconfigured device. */
  get configuration(): WebUsbConfiguration | null {
    return this.active;
  }

  /** Whether the device is plugged in (test hook). */
  get connected(): boolean {
    return this.isConnected;
  }

  /** Interface numbers claimed now (test hook). */
  get claimedNow(): number[] {
    return [...this.claimedSet].sort((a, b) => a - b);
  }

  async open(): Promise<void> {
    this.ensureConnected();
    if (this.isOpen) return;
    if (this.spec.accessDenied) throw domError('SecurityError', 'Access denied.');
    this.isOpen = true;
  }

  /** Closes the device: claimed interfaces are released and their pending transfers fail with AbortError. */
  async close(): Promise<void> {
    this.ensureConnected();
    if (!this.isOpen) return;
    this.releaseAll();
    this.isOpen = false;
  }

  async selectConfiguration(value: number): Promise<void> {
    this.ensureConnected();
    if (!this.isOpen) throw domError('InvalidStateError', OPEN_REQUIRED);
    const configuration = this.configurations.find((c) => c.configurationValue === value);
    if (!configuration) throw domError('NotFoundError', 'The configuration value provided is not supported by the device.');
    if (this.active === configuration) return;
    this.releaseAll();
    this.active = configuration;
  }

  /** Claims an interface; NetworkError when an OS driver holds it, SecurityError for a protected class. */
  async claimInterface(interfaceNumber: number): Promise<void> {
    const port = this.interfacePort(interfaceNumber);
    if (this.claimedSet.has(interfaceNumber)) return;
    if (PROTECTED_USB_CLASSES.has(port.spec.interfaceClass))
      throw domError('SecurityError', 'The requested interface implements a protected class.');
    if (port.spec.heldByOs) throw domError('NetworkError', 'Unable to claim interface.');
    this.claimedSet.add(interfaceNumber);
    this.claimLog.push(interfaceNumber);
    await port.attach();
  }

  /** Releases an interface; its pending transfers fail with AbortError, as Chrome cancels them. */
  async releaseInterface(interfaceNumber: number): Promise<void> {
    const port = this.interfacePort(interfaceNumber);
    if (!this.claimedSet.has(interfaceNumber)) return;
    this.claimedSet.delete(interfaceNumber);
    port.reset(domError('AbortError', 'The transfer was cancelled.'));
  }

  async clearHalt(direction: WebUsbDirection, endpointNumber: number): Promise<void> {
    this.endpointPort(direction, endpointNumber).clearHalt(direction);
  }

  /** Waits for packets on a bulk IN endpoint: ends on a short packet, a full buffer, a stall, or a babble. */
  transferIn(endpointNumber: number, length: number): Promise<WebUsbInTransferResult> {
    try {
      if (!Number.isInteger(length) || length < 0)
        throw new TypeError("Failed to execute 'transferIn' on 'USBDevice': Value is outside the 'unsigned long' value range.");
      return this.endpointPort('in', endpointNumber).transferIn(length);
    } catch (e) {
      return Promise.reject(e);
    }
  }

  /** Sends bytes on a bulk OUT endpoint, in packets of the endpoint's size (nothing but a zero-length packet for empty data). */
  async transferOut(endpointNumber: number, data: BufferSource): Promise<WebUsbOutTransferResult> {
    const port = this.endpointPort('out', endpointNumber);
    return port.transferOut(bytesOf(data));
  }

  /** Revokes the site's permission (closing the device first). */
  async forget(): Promise<void> {
    if (this.isOpen) {
      this.releaseAll();
      this.isOpen = false;
    }
    this.granted = false;
  }

  /** Test hook: pulls the stick out (pending transfers fail with NotFoundError, `disconnect` fires at navigator.usb). */
  unplug(): void {
    if (!this.isConnected) return;
    this.lost();
    for (const i of this.spec.interfaces)
      void Promise.resolve(i.device).then(
        (d) => d?.unplug(),
        () => undefined,
      );
  }

  /** Test hook: the endpoint of `interfaceNumber` in `direction` stalls (until the host clears the halt). */
  stall(interfaceNumber: number, direction: WebUsbDirection): void {
    this.portAt(interfaceNumber).stall(direction);
  }

  /** Test hook: the next IN packet of `interfaceNumber` babbles. */
  babble(interfaceNumber: number): void {
    this.portAt(interfaceNumber).babble();
  }

  /** Test hook: the packet lengths the host sent to `interfaceNumber` (0 for a zero-length packet). */
  outPackets(interfaceNumber: number): readonly number[] {
    return this.portAt(interfaceNumber).outPackets;
  }

  /** Test hook: the lengths of the transferIn calls on `interfaceNumber`, in order. */
  inRequests(interfaceNumber: number): readonly number[] {
    return this.portAt(interfaceNumber).inRequests;
  }

  /** Test hook: how often the host cleared a halt on `interfaceNumber`. */
  clearedHalts(interfaceNumber: number): { in: number; out: number } {
    return { ...this.portAt(interfaceNumber).clearedHalts };
  }

  /** Test hook: the device behind an interface (the emulator, a silent port). */
  deviceAt(interfaceNumber: number): Promise<SerialDevice | undefined> {
    return Promise.resolve(this.portAt(interfaceNumber).spec.device);
  }

  /** @internal Called by FakeUsb when the person picks this device. */
  grant(): void {
    this.granted = true;
  }

  /** @internal Whether `getDevices()` lists this device. */
  get permitted(): boolean {
    return this.granted;
  }

  /** @internal Whether a filter matches (vendor/product, or class codes of the device or any interface). */
  matches(filter: WebUsbDeviceFilter): boolean {
    if (filter.vendorId !== undefined && filter.vendorId !== this.vendorId) return false;
    if (filter.productId !== undefined && filter.productId !== this.productId) return false;
    if (filter.classCode === undefined) return true;
    const fits = (c: number, s: number, p: number) =>
      c === filter.classCode &&
      (filter.subclassCode === undefined || s === filter.subclassCode) &&
      (filter.protocolCode === undefined || p === filter.protocolCode);
    if (fits(this.deviceClass, this.deviceSubclass, this.deviceProtocol)) return true;
    return this.configurations.some((c) =>
      c.interfaces.some((i) => i.alternates.some((a) => fits(a.interfaceClass, a.interfaceSubclass, a.interfaceProtocol))),
    );
  }

  private ensureConnected(): void {
    if (!this.isConnected) throw domError('NotFoundError', DISCONNECTED);
  }

  private ensureConfigured(): void {
    this.ensureConnected();
    if (!this.isOpen) throw domError('InvalidStateError', OPEN_REQUIRED);
    if (!this.active) throw domError('InvalidStateError', 'The device must have a configuration selected.');
  }

  private interfacePort(interfaceNumber: number): InterfacePort {
    this.ensureConfigured();
    const port = this.ports[interfaceNumber];
    if (!port) throw domError('NotFoundError', INTERFACE_NOT_FOUND);
    return port;
  }

  private endpointPort(direction: WebUsbDirection, endpointNumber: number): InterfacePort {
    this.ensureConfigured();
    if (!Number.isInteger(endpointNumber) || endpointNumber <= 0 || endpointNumber >= 16)
      throw domError('IndexSizeError', 'The specified endpoint number is out of range.');
    for (const n of this.claimedSet) {
      const port = this.ports[n]!;
      const bulk = direction === 'in' ? port.bulkIn : port.bulkOut;
      if (bulk?.endpointNumber === endpointNumber) return port;
    }
    throw domError('NotFoundError', ENDPOINT_NOT_CLAIMED);
  }

  private portAt(interfaceNumber: number): InterfacePort {
    const port = this.ports[interfaceNumber];
    if (!port) throw new Error(`The fake device has no interface ${interfaceNumber}`);
    return port;
  }

  private releaseAll(): void {
    for (const n of [...this.claimedSet]) {
      this.claimedSet.delete(n);
      this.ports[n]!.reset(domError('AbortError', 'The transfer was cancelled.'));
    }
  }

  private lost(): void {
    if (!this.isConnected) return;
    this.isConnected = false;
    this.isOpen = false;
    this.claimedSet.clear();
    for (const port of this.ports) port.reset(domError('NotFoundError', DISCONNECTED));
    this.usb.deviceEvent('disconnect', this);
  }
}

/** Options of the fake `navigator.usb`. */
export interface FakeUsbOptions {
  /** The devices plugged in at start. */
  devices?: FakeUsbDeviceSpec[];
  /** The person's choice in the chooser among the matching devices; undefined means "Cancel". Default: the first. */
  choose?: (candidates: readonly FakeUsbDevice[]) => FakeUsbDevice | undefined;
}

/** A fake `navigator.usb`. Test hooks: `plugIn()`, `devices`, `choose`. */
export class FakeUsb extends EventTarget implements WebUsb {
  /** Handler attribute, called after listeners. */
  onconnect: UsbEventHandler = null;
  /** Handler attribute, called after listeners. */
  ondisconnect: UsbEventHandler = null;
  /** The person's choice in the chooser; replace it to simulate a cancel or another pick. */
  choose: (candidates: readonly FakeUsbDevice[]) => FakeUsbDevice | undefined;
  private readonly all: FakeUsbDevice[] = [];

  /** The devices in `options.devices` are plugged in from the start (no `connect` event). */
  constructor(options: FakeUsbOptions = {}) {
    super();
    this.choose = options.choose ?? ((candidates) => candidates[0]);
    for (const spec of options.devices ?? []) this.all.push(new FakeUsbDevice(this, spec));
  }

  /** Every device ever plugged in, connected or not (test hook). */
  get devices(): readonly FakeUsbDevice[] {
    return this.all;
  }

  /**
   * The device chooser: TypeError without `filters` or for a malformed filter, NotFoundError
   * ("No device selected.") when nothing matches or the person cancels; the chosen device gains permission.
   */
  async requestDevice(options: { filters: WebUsbDeviceFilter[] }): Promise<FakeUsbDevice> {
    if (typeof options !== 'object' || options === null || !Array.isArray(options.filters)) {
      throw new TypeError(
        "Failed to execute 'requestDevice' on 'USB': Failed to read the 'filters' property from 'USBDeviceRequestOptions': Required member is undefined.",
      );
    }
    for (const filter of options.filters) validateFilter(filter);
    const candidates = this.all.filter((d) => d.connected && (options.filters.length === 0 || options.filters.some((f) => d.matches(f))));
    const chosen = candidates.length === 0 ? undefined : this.choose(candidates);
    if (!chosen || !candidates.includes(chosen)) throw domError('NotFoundError', 'No device selected.');
    chosen.grant();
    return chosen;
  }

  /** Plugged-in devices the site has permission for. */
  async getDevices(): Promise<FakeUsbDevice[]> {
    return this.all.filter((d) => d.connected && d.permitted);
  }

  /** Test hook: plugs a device in; `connect` fires when the site has permission for it. */
  plugIn(spec: FakeUsbDeviceSpec): FakeUsbDevice {
    const device = new FakeUsbDevice(this, spec);
    this.all.push(device);
    this.deviceEvent('connect', device);
    return device;
  }

  /** @internal A device came or went: the event reaches navigator.usb for devices the site may use. */
  deviceEvent(type: 'connect' | 'disconnect', device: FakeUsbDevice): void {
    if (!device.permitted) return;
    const event = new FakeUsbConnectionEvent(type, device);
    this.dispatchEvent(event);
    (type === 'connect' ? this.onconnect : this.ondisconnect)?.call(this, event);
  }
}

function validateFilter(filter: WebUsbDeviceFilter): void {
  if (filter.productId !== undefined && filter.vendorId === undefined)
    throw new TypeError('A filter containing a productId must also contain a vendorId.');
  if (filter.subclassCode !== undefined && filter.classCode === undefined)
    throw new TypeError('A filter containing a subclassCode must also contain a classCode.');
  if (filter.protocolCode !== undefined && filter.subclassCode === undefined)
    throw new TypeError('A filter containing a protocolCode must also contain a subclassCode.');
}

/** Options of a Huawei dongle in modem mode. */
export interface HuaweiUsbModemOptions {
  /** The SIM: a demo SIM name or a profile (default `demo`). */
  sim?: string | SimProfile;
  /** Options of the modem emulator behind the AT interface. */
  modem?: HuaweiModemOptions;
  /** Max packet size of the bulk endpoints: 512 (high speed, default) or 64 (full speed). */
  packetSize?: 64 | 512;
  /** The operating system's driver holds the vendor-specific interfaces (Linux `option`, Huawei's Windows driver). */
  heldByOs?: boolean;
  /** Whether the site already has permission for it. */
  granted?: boolean;
}

/**
 * A Huawei stick in modem mode (12d1:1506), as older firmware lays it out: every serial function a
 * vendor-specific interface with class/subclass/protocol ff/ff/ff, so only a probe tells them apart.
 * Interface 0 is the diagnostics port (takes bytes, never answers AT), interface 1 the AT ("PC UI")
 * port with its notification endpoint, interface 2 the microSD reader (mass storage, protected).
 * A plausible layout, not a dump of one product.
 */
export function huaweiModemModeDevice(options: HuaweiUsbModemOptions = {}): FakeUsbDeviceSpec {
  const size = options.packetSize ?? 512;
  const held = options.heldByOs ?? false;
  return {
    vendorId: HUAWEI_USB_VENDOR_ID,
    productId: HUAWEI_MODEM_PRODUCT_ID,
    manufacturerName: 'HUAWEI',
    productName: 'HUAWEI Mobile',
    granted: options.granted ?? false,
    interfaces: [
      {
        interfaceClass: 0xff,
        interfaceSubclass: 0xff,
        interfaceProtocol: 0xff,
        endpoints: [
          { endpointNumber: 1, direction: 'in', type: 'bulk', packetSize: size },
          { endpointNumber: 1, direction: 'out', type: 'bulk', packetSize: size },
        ],
        device: new SilentSerialDevice(),
        heldByOs: held,
      },
      {
        interfaceClass: 0xff,
        interfaceSubclass: 0xff,
        interfaceProtocol: 0xff,
        endpoints: [
          { endpointNumber: 2, direction: 'in', type: 'interrupt', packetSize: 16 },
          { endpointNumber: 3, direction: 'in', type: 'bulk', packetSize: size },
          { endpointNumber: 2, direction: 'out', type: 'bulk', packetSize: size },
        ],
        device: HuaweiModemEmulator.create(options.sim ?? 'demo', options.modem ?? {}),
        heldByOs: held,
      },
      {
        interfaceClass: 0x08,
        interfaceSubclass: 0x06,
        interfaceProtocol: 0x50,
        endpoints: [
          { endpointNumber: 4, direction: 'in', type: 'bulk', packetSize: size },
          { endpointNumber: 3, direction: 'out', type: 'bulk', packetSize: size },
        ],
      },
    ],
  };
}

/** A Huawei stick before its mode switch (12d1:1f01): one mass-storage interface, the installer's CD-ROM. */
export function huaweiStorageModeDevice(options: { granted?: boolean } = {}): FakeUsbDeviceSpec {
  return {
    vendorId: HUAWEI_USB_VENDOR_ID,
    productId: HUAWEI_STORAGE_PRODUCT_ID,
    manufacturerName: 'HUAWEI',
    productName: 'HUAWEI Mobile',
    granted: options.granted ?? false,
    interfaces: [
      {
        interfaceClass: 0x08,
        interfaceSubclass: 0x06,
        interfaceProtocol: 0x50,
        endpoints: [
          { endpointNumber: 1, direction: 'in', type: 'bulk', packetSize: 512 },
          { endpointNumber: 1, direction: 'out', type: 'bulk', packetSize: 512 },
        ],
      },
    ],
  };
}

/** Options of `installFakeUsb`: plain data, so a test can pass them into a page as JSON. */
export interface InstallFakeUsbOptions extends HuaweiUsbModemOptions {
  /** The sticks plugged in, in chooser order (default one in modem mode); ignored when `devices` is given. */
  dongles?: readonly ('modem' | 'storage')[];
  /** The devices plugged in, instead of `dongles`. */
  devices?: FakeUsbDeviceSpec[];
  /** Also publish the fake under this global name, so a test can reach its hooks (`page.evaluate`). */
  expose?: string;
  /** The person's choice in the chooser (default the first candidate). */
  choose?: FakeUsbOptions['choose'];
}

/**
 * Installs a fake `navigator.usb` on `scope` (a page's `globalThis`; a plain object in Node) and
 * returns it. Without `devices`, Huawei sticks per `dongles` are plugged in (one in modem mode over
 * a virtual USIM, by default).
 */
export function installFakeUsb(scope: object, options: InstallFakeUsbOptions = {}): FakeUsb {
  const devices =
    options.devices ??
    (options.dongles ?? ['modem']).map((kind) =>
      kind === 'storage' ? huaweiStorageModeDevice({ granted: options.granted ?? false }) : huaweiModemModeDevice(options),
    );
  const usb = new FakeUsb({ devices, ...(options.choose ? { choose: options.choose } : {}) });
  const holder = scope as { navigator?: object };
  let nav = holder.navigator;
  if (nav === undefined || nav === null) {
    nav = {};
    Object.defineProperty(scope, 'navigator', { value: nav, configurable: true, writable: true });
  }
  // An own property shadows the browser's Navigator.prototype.usb getter.
  Object.defineProperty(nav, 'usb', { value: usb, configurable: true, enumerable: true });
  if (options.expose) Object.defineProperty(scope, options.expose, { value: usb, configurable: true, writable: true });
  return usb;
}
