import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeSerialPort, listSerialPorts, sortPorts, type SerialPortInfo } from './list-serial-ports.ts';

/**
 * A fake sysfs laid out as Linux lays it out: /sys/class/tty/<name> links into /sys/devices, a
 * `device` link to the backing device, USB attributes on the USB device two or three levels up.
 */
function fakeSysfs(root: string) {
  const file = (path: string, text: string) => {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), `${text}\n`);
  };
  const link = (from: string, to: string) => {
    mkdirSync(dirname(join(root, from)), { recursive: true });
    mkdirSync(join(root, to), { recursive: true });
    symlinkSync(relative(dirname(join(root, from)), join(root, to)), join(root, from));
  };
  const usbDevice = (dev: string, vendor: string, product: string, extra: Record<string, string> = {}) => {
    file(`${dev}/idVendor`, vendor);
    file(`${dev}/idProduct`, product);
    for (const [k, v] of Object.entries(extra)) file(`${dev}/${k}`, v);
  };
  // A Huawei stick on the `option` driver: three ttyUSB ports, interfaces 00, 01, 02.
  const huawei = 'devices/pci0000:00/0000:00:14.0/usb1/1-2';
  usbDevice(huawei, '12d1', '1506', { manufacturer: 'HUAWEI_MOBILE', product: 'HUAWEI_MOBILE' });
  for (const [i, name] of ['ttyUSB0', 'ttyUSB1', 'ttyUSB2'].entries()) {
    const intf = `${huawei}/1-2:1.${i}`;
    file(`${intf}/bInterfaceNumber`, `0${i}`);
    link(`class/tty/${name}`, `${intf}/${name}/tty/${name}`);
    link(`${intf}/${name}/tty/${name}/device`, `${intf}/${name}`);
    link(`${intf}/${name}/driver`, 'bus/usb-serial/drivers/option1');
  }
  // An FTDI adapter (ttyUSB10, to check numeric ordering) and a CDC-ACM device.
  const ftdi = 'devices/pci0000:00/0000:00:14.0/usb1/1-3';
  usbDevice(ftdi, '0403', '6001', { manufacturer: 'FTDI', serial: 'A50285BI' });
  file(`${ftdi}/1-3:1.0/bInterfaceNumber`, '00');
  link('class/tty/ttyUSB10', `${ftdi}/1-3:1.0/ttyUSB10/tty/ttyUSB10`);
  link(`${ftdi}/1-3:1.0/ttyUSB10/tty/ttyUSB10/device`, `${ftdi}/1-3:1.0/ttyUSB10`);
  const acm = 'devices/pci0000:00/0000:00:14.0/usb1/1-4';
  usbDevice(acm, '1e0e', '9001');
  file(`${acm}/1-4:1.2/bInterfaceNumber`, '02');
  link('class/tty/ttyACM0', `${acm}/1-4:1.2/tty/ttyACM0`);
  link(`${acm}/1-4:1.2/tty/ttyACM0/device`, `${acm}/1-4:1.2`);
  link(`${acm}/1-4:1.2/driver`, 'bus/usb/drivers/cdc_acm');
  // ttyS0 a real UART, ttyS1 a placeholder without hardware (type 0), tty0 and ptmx virtual.
  link('class/tty/ttyS0', 'devices/pnp0/00:00/tty/ttyS0');
  link('devices/pnp0/00:00/tty/ttyS0/device', 'devices/pnp0/00:00');
  file('devices/pnp0/00:00/tty/ttyS0/type', '4');
  link('class/tty/ttyS1', 'devices/platform/serial8250/tty/ttyS1');
  link('devices/platform/serial8250/tty/ttyS1/device', 'devices/platform/serial8250');
  file('devices/platform/serial8250/tty/ttyS1/type', '0');
  link('class/tty/tty0', 'devices/virtual/tty/tty0');
  link('class/tty/ptmx', 'devices/virtual/tty/ptmx');
}

describe('listSerialPorts over sysfs', () => {
  let root: string;
  beforeAll(() => {
    root = mkdtempSync(join(tmpdir(), 'fake-sysfs-'));
    fakeSysfs(root);
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('lists USB serial devices only by default, Huawei first, then by path with numbers compared as numbers', async () => {
    const ports = await listSerialPorts({ sysfsRoot: root });
    expect(ports.map((p) => p.path)).toEqual(['/dev/ttyUSB0', '/dev/ttyUSB1', '/dev/ttyUSB2', '/dev/ttyACM0', '/dev/ttyUSB10']);
    expect(ports.every((p) => p.kind === 'usb')).toBe(true);
  });

  it('reads vendor and product ids, names, serial number, interface and driver', async () => {
    const ports = await listSerialPorts({ sysfsRoot: root, devRoot: '/devx' });
    expect(ports[2]).toEqual({
      path: '/devx/ttyUSB2',
      kind: 'usb',
      vendorId: 0x12d1,
      productId: 0x1506,
      manufacturer: 'HUAWEI_MOBILE',
      product: 'HUAWEI_MOBILE',
      interfaceNumber: 2,
      driver: 'option1',
    });
    expect(ports.find((p) => p.path.endsWith('ttyUSB10'))).toMatchObject({
      vendorId: 0x0403,
      productId: 0x6001,
      serialNumber: 'A50285BI',
      interfaceNumber: 0,
    });
    expect(ports.find((p) => p.path.endsWith('ttyACM0'))).toMatchObject({ vendorId: 0x1e0e, interfaceNumber: 2, driver: 'cdc_acm' });
  });

  it('adds built-in UARTs last when asked, skipping placeholders without hardware and virtual terminals', async () => {
    const ports = await listSerialPorts({ sysfsRoot: root, includeNonUsb: true });
    expect(ports.map((p) => p.path)).toEqual([
      '/dev/ttyUSB0',
      '/dev/ttyUSB1',
      '/dev/ttyUSB2',
      '/dev/ttyACM0',
      '/dev/ttyUSB10',
      '/dev/ttyS0',
    ]);
    expect(ports.at(-1)).toMatchObject({ kind: 'platform' });
  });

  it('usbModemsOnly: ttyUSB*/ttyACM* on the USB bus only, never a UART nor another USB tty, even with includeNonUsb', async () => {
    const other = mkdtempSync(join(tmpdir(), 'fake-sysfs-'));
    try {
      fakeSysfs(other);
      // A USB gadget serial port: on the USB bus, but not a modem's AT port.
      const gadget = 'devices/pci0000:00/0000:00:14.0/usb1/1-5';
      mkdirSync(join(other, gadget, '1-5:1.0', 'ttyGS0', 'tty', 'ttyGS0'), { recursive: true });
      writeFileSync(join(other, gadget, 'idVendor'), '1d6b\n');
      symlinkSync(relative(join(other, 'class/tty'), join(other, gadget, '1-5:1.0/ttyGS0/tty/ttyGS0')), join(other, 'class/tty/ttyGS0'));
      symlinkSync('../../../ttyGS0', join(other, gadget, '1-5:1.0/ttyGS0/tty/ttyGS0/device'));
      expect((await listSerialPorts({ sysfsRoot: other })).map((p) => p.path)).toContain('/dev/ttyGS0');
      const modems = await listSerialPorts({ sysfsRoot: other, usbModemsOnly: true, includeNonUsb: true });
      expect(modems.map((p) => p.path)).toEqual(['/dev/ttyUSB0', '/dev/ttyUSB1', '/dev/ttyUSB2', '/dev/ttyACM0', '/dev/ttyUSB10']);
    } finally {
      rmSync(other, { recursive: true, force: true });
    }
  });

  it('never lists ttyS* on this machine unless asked', async () => {
    const ports = await listSerialPorts();
    expect(ports.filter((p) => /ttyS[0-9]/.test(p.path))).toEqual([]);
    const all = await listSerialPorts({ includeNonUsb: true });
    expect(all.every((p) => p.path.startsWith('/dev/'))).toBe(true);
  });

  it('describes ports for people', () => {
    const huawei: SerialPortInfo = { path: '/dev/ttyUSB2', kind: 'usb', vendorId: 0x12d1, productId: 0x1506, interfaceNumber: 2 };
    expect(describeSerialPort(huawei)).toBe('/dev/ttyUSB2 (Huawei 12d1:1506, interface 2)');
    expect(describeSerialPort({ path: '/dev/ttyS0', kind: 'platform' })).toBe('/dev/ttyS0 (built-in serial port)');
    expect(sortPorts([{ path: '/dev/ttyS0', kind: 'platform' }, huawei]).map((p) => p.path)).toEqual(['/dev/ttyUSB2', '/dev/ttyS0']);
  });
});
