import { readdir, readFile, readlink, realpath } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';

/** Huawei's USB vendor id (modems first: their AT ports are what Krypton looks for). */
export const HUAWEI_USB_VENDOR_ID = 0x12d1;

/** Linux names of the ttys a USB modem's AT port gets: usb-serial (`option`, `qcserial`) and CDC ACM. */
const USB_MODEM_TTY = /^tty(?:USB|ACM)\d+$/;

/** A serial device as the system describes it. */
export interface SerialPortInfo {
  /** Path to open (`/dev/ttyUSB2`). */
  path: string;
  /** A USB device (modem, USB-serial adapter), or a port on the machine itself (`/dev/ttyS0`, often a console). */
  kind: 'usb' | 'platform';
  /** USB vendor id, e.g. 0x12d1 (Huawei). */
  vendorId?: number;
  /** USB product id, e.g. 0x1506. */
  productId?: number;
  manufacturer?: string;
  product?: string;
  serialNumber?: string;
  /** USB interface number: a modem exposes several serial interfaces, and only some answer AT. */
  interfaceNumber?: number;
  /** Kernel driver (`option`, `cdc_acm`, `serial8250`). */
  driver?: string;
}

/** Options of {@link listSerialPorts}. */
export interface ListSerialPortsOptions {
  /** Also list ports that are not USB (ttyS*, ttyAMA*): on VMs and boards they are often the console. */
  includeNonUsb?: boolean;
  /**
   * Only what a USB modem's AT port can be: on Linux `ttyUSB*` (usb-serial drivers such as `option`) and
   * `ttyACM*` (CDC ACM) whose device sits on the USB bus; elsewhere any USB port. Overrides `includeNonUsb`.
   */
  usbModemsOnly?: boolean;
  /** Root of sysfs (tests point it at a fake tree). Default `/sys`. */
  sysfsRoot?: string;
  /** Where device nodes live. Default `/dev`. */
  devRoot?: string;
}

/**
 * Serial devices, USB ones only unless asked: Huawei (vendor 12d1) first, then other USB devices,
 * then (with `includeNonUsb`) the machine's own UARTs. On Linux it reads sysfs directly (no udevadm);
 * elsewhere it asks `serialport`.
 */
export async function listSerialPorts(options: ListSerialPortsOptions = {}): Promise<SerialPortInfo[]> {
  const sysfs = options.sysfsRoot ?? '/sys';
  let names: string[] | undefined;
  try {
    names = await readdir(join(sysfs, 'class', 'tty'));
  } catch {
    names = undefined;
  }
  if (names !== undefined && options.usbModemsOnly) names = names.filter((n) => USB_MODEM_TTY.test(n));
  const ports = names === undefined ? await listWithSerialport() : await listFromSysfs(sysfs, options.devRoot ?? '/dev', names);
  return sortPorts(ports.filter((p) => p.kind === 'usb' || (options.includeNonUsb && !options.usbModemsOnly)));
}

/** Orders ports: Huawei first, other USB next, platform ports last; then by path with numbers compared as numbers. */
export function sortPorts(ports: SerialPortInfo[]): SerialPortInfo[] {
  const rank = (p: SerialPortInfo) => (p.vendorId === HUAWEI_USB_VENDOR_ID ? 0 : p.kind === 'usb' ? 1 : 2);
  return [...ports].sort((a, b) => rank(a) - rank(b) || a.path.localeCompare(b.path, 'en', { numeric: true }));
}

/** A short description for listings and messages: `/dev/ttyUSB2 (Huawei 12d1:1506, interface 2)`. */
export function describeSerialPort(p: SerialPortInfo): string {
  if (p.kind !== 'usb') return `${p.path} (${p.driver ?? 'built-in serial port'})`;
  const ids = p.vendorId === undefined ? '' : `${hex4(p.vendorId)}:${p.productId === undefined ? '????' : hex4(p.productId)}`;
  const maker = p.vendorId === HUAWEI_USB_VENDOR_ID ? 'Huawei' : (p.manufacturer ?? 'USB');
  const parts = [`${maker} ${ids}`.trim(), p.product, p.interfaceNumber === undefined ? undefined : `interface ${p.interfaceNumber}`];
  return `${p.path} (${parts.filter(Boolean).join(', ')})`;
}

async function listFromSysfs(sysfs: string, devRoot: string, names: string[]): Promise<SerialPortInfo[]> {
  const found = await Promise.all(names.map((name) => describeTty(sysfs, devRoot, name)));
  return found.filter((p): p is SerialPortInfo => p !== undefined);
}

async function describeTty(sysfs: string, devRoot: string, name: string): Promise<SerialPortInfo | undefined> {
  const classDir = join(sysfs, 'class', 'tty', name);
  let device: string;
  try {
    // Virtual terminals, ptys and the console have no backing device.
    device = await realpath(join(classDir, 'device'));
  } catch {
    return undefined;
  }
  const devicesRoot = await realpath(join(sysfs, 'devices')).catch(() => resolve(sysfs, 'devices'));
  const driver = await readlink(join(device, 'driver'))
    .then((d) => basename(d))
    .catch(() => undefined);
  const usb = await findUsbDevice(device, devicesRoot);
  const path = join(devRoot, name);
  if (usb) return { path, kind: 'usb', ...usb, ...(driver ? { driver } : {}) };
  // A UART the kernel registered but found no hardware for (type 0, PORT_UNKNOWN): the usual ttyS1..31.
  const type = await readAttr(classDir, 'type');
  if (type !== undefined && Number(type) === 0) return undefined;
  return { path, kind: 'platform', ...(driver ? { driver } : {}) };
}

/** Walks up from the tty's device to the USB device holding idVendor/idProduct; notes the interface on the way. */
async function findUsbDevice(start: string, devicesRoot: string): Promise<Omit<SerialPortInfo, 'path' | 'kind' | 'driver'> | undefined> {
  let interfaceNumber: number | undefined;
  for (let dir = start; dir.startsWith(devicesRoot) && dir !== devicesRoot; dir = dirname(dir)) {
    if (interfaceNumber === undefined) {
      const n = await readAttr(dir, 'bInterfaceNumber');
      if (n !== undefined && /^[0-9a-fA-F]+$/.test(n)) interfaceNumber = parseInt(n, 16);
    }
    const vendor = await readAttr(dir, 'idVendor');
    if (vendor === undefined) continue;
    const product = await readAttr(dir, 'idProduct');
    const info: Omit<SerialPortInfo, 'path' | 'kind' | 'driver'> = { vendorId: parseInt(vendor, 16) };
    if (product !== undefined) info.productId = parseInt(product, 16);
    const manufacturer = await readAttr(dir, 'manufacturer');
    const productName = await readAttr(dir, 'product');
    const serial = await readAttr(dir, 'serial');
    if (manufacturer) info.manufacturer = manufacturer;
    if (productName) info.product = productName;
    if (serial) info.serialNumber = serial;
    if (interfaceNumber !== undefined) info.interfaceNumber = interfaceNumber;
    return info;
  }
  return undefined;
}

async function readAttr(dir: string, attr: string): Promise<string | undefined> {
  try {
    return (await readFile(join(dir, attr), 'utf8')).trim();
  } catch {
    return undefined;
  }
}

async function listWithSerialport(): Promise<SerialPortInfo[]> {
  const { SerialPort } = await import('serialport');
  const ports = await SerialPort.list();
  return ports.map((p) => {
    const info: SerialPortInfo = { path: p.path, kind: p.vendorId ? 'usb' : 'platform' };
    if (p.vendorId) info.vendorId = parseInt(p.vendorId, 16);
    if (p.productId) info.productId = parseInt(p.productId, 16);
    if (p.manufacturer) info.manufacturer = p.manufacturer;
    if (p.serialNumber) info.serialNumber = p.serialNumber;
    return info;
  });
}

function hex4(n: number): string {
  return n.toString(16).padStart(4, '0');
}
