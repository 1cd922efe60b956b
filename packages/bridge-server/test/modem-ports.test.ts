import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Logger, ModemBackend } from '../src/index.ts';

// Which ports the bridge offers as modems: read from sysfs alone (no port is opened to find out), USB
// serial ports a modem's AT port can be, never the machine's own UARTs, plus the ports named with --modem.

/** A sysfs as Linux lays it out: a Huawei stick (ttyUSB0..2), a CDC ACM modem, a USB gadget tty, and two UARTs. */
function fakeSysfs(root: string): void {
  const file = (path: string, text: string) => {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), `${text}\n`);
  };
  const link = (from: string, to: string) => {
    mkdirSync(dirname(join(root, from)), { recursive: true });
    mkdirSync(join(root, to), { recursive: true });
    symlinkSync(relative(dirname(join(root, from)), join(root, to)), join(root, from));
  };
  const tty = (name: string, deviceDir: string) => {
    link(`class/tty/${name}`, `${deviceDir}/tty/${name}`);
    link(`${deviceDir}/tty/${name}/device`, deviceDir);
  };
  const huawei = 'devices/pci0000:00/0000:00:14.0/usb1/1-2';
  file(`${huawei}/idVendor`, '12d1');
  file(`${huawei}/idProduct`, '1506');
  file(`${huawei}/manufacturer`, 'HUAWEI_MOBILE');
  file(`${huawei}/product`, 'HUAWEI_MOBILE');
  for (const i of [0, 1, 2]) {
    file(`${huawei}/1-2:1.${i}/bInterfaceNumber`, `0${i}`);
    tty(`ttyUSB${i}`, `${huawei}/1-2:1.${i}/ttyUSB${i}`);
  }
  const acm = 'devices/pci0000:00/0000:00:14.0/usb1/1-4';
  file(`${acm}/idVendor`, '1e0e');
  file(`${acm}/idProduct`, '9001');
  file(`${acm}/1-4:1.2/bInterfaceNumber`, '02');
  tty('ttyACM0', `${acm}/1-4:1.2`);
  const gadget = 'devices/pci0000:00/0000:00:14.0/usb1/1-5';
  file(`${gadget}/idVendor`, '1d6b');
  tty('ttyGS0', `${gadget}/1-5:1.0/ttyGS0`);
  tty('ttyS0', 'devices/pnp0/00:00');
  file('devices/pnp0/00:00/tty/ttyS0/type', '4');
  tty('ttyAMA0', 'devices/platform/fe201000.serial');
}

describe('the ports the bridge lists as modems', () => {
  let root: string;
  let dev: string;
  beforeAll(() => {
    root = mkdtempSync(join(tmpdir(), 'bridge-sysfs-'));
    fakeSysfs(root);
    // Device nodes exist for every tty, UARTs included: what keeps ttyS0 off the list is sysfs, not a missing node.
    dev = mkdtempSync(join(tmpdir(), 'bridge-dev-'));
    for (const n of ['ttyUSB0', 'ttyUSB1', 'ttyUSB2', 'ttyACM0', 'ttyGS0', 'ttyS0', 'ttyAMA0']) writeFileSync(join(dev, n), '');
  });
  afterAll(() => {
    rmSync(root, { recursive: true, force: true });
    rmSync(dev, { recursive: true, force: true });
  });

  it('USB serial ports only (ttyUSB*, ttyACM* on the USB bus), Huawei first, with USB ids and interface; never ttyS*, ttyAMA* or a gadget tty', async () => {
    const backend = new ModemBackend(new Logger(() => undefined), { sysfsRoot: root, devRoot: dev });
    const listed = await backend.readers();
    expect(listed.map((r) => r.name)).toEqual(['ttyUSB0', 'ttyUSB1', 'ttyUSB2', 'ttyACM0'].map((n) => join(dev, n)));
    expect(listed.every((r) => r.kind === 'modem')).toBe(true);
    expect(listed[2]).toEqual({
      kind: 'modem',
      name: join(dev, 'ttyUSB2'),
      card: true,
      modem: {
        path: join(dev, 'ttyUSB2'),
        maker: 'HUAWEI_MOBILE',
        model: 'HUAWEI_MOBILE',
        vendorId: 0x12d1,
        productId: 0x1506,
        interfaceNumber: 2,
      },
    });
    await backend.close();
  });

  it('a UART is listed only when the person names it (--modem), and a named port that does not exist is not', async () => {
    const backend = new ModemBackend(new Logger(() => undefined), {
      sysfsRoot: root,
      devRoot: dev,
      paths: [join(dev, 'ttyS0'), join(dev, 'ttyUSB2'), join(dev, 'gone')],
    });
    const names = (await backend.readers()).map((r) => r.name);
    expect(names).toContain(join(dev, 'ttyS0'));
    expect(names.filter((n) => n === join(dev, 'ttyUSB2'))).toHaveLength(1);
    expect(names).not.toContain(join(dev, 'gone'));
    await backend.close();
  });

  it('on this machine: no /dev/ttyS* in the default listing', async () => {
    const backend = new ModemBackend(new Logger(() => undefined));
    const names = (await backend.readers()).map((r) => r.name);
    expect(names.filter((n) => /^\/dev\/tty(S|AMA)\d/.test(n))).toEqual([]);
    expect(names.every((n) => /^\/dev\/tty(USB|ACM)\d+$/.test(n))).toBe(true);
    await backend.close();
  });

  it('opens only what it lists: a page naming /dev/ttyS0 gets NO_CARD, and nothing is opened', async () => {
    const backend = new ModemBackend(new Logger(() => undefined), { sysfsRoot: root, devRoot: dev });
    await expect(backend.open(join(dev, 'ttyS0'))).rejects.toMatchObject({ code: 'NO_CARD' });
    await expect(backend.open('/dev/ttyS0')).rejects.toMatchObject({ code: 'NO_CARD' });
    await backend.close();
  });
});
