import type { WebUsbInTransferResult } from '@krypton-web/sim-transport';
import { afterEach, describe, expect, it } from 'vitest';
import {
  FakeUsb,
  FakeUsbConnectionEvent,
  HUAWEI_STORAGE_PRODUCT_ID,
  huaweiModemModeDevice,
  huaweiStorageModeDevice,
  installFakeUsb,
  type FakeUsbDevice,
  type FakeUsbDeviceSpec,
} from './fake-webusb.ts';
import { HUAWEI_MODEM_PRODUCT_ID, HUAWEI_USB_VENDOR_ID } from './fake-web-serial.ts';
import { HuaweiModemEmulator } from './huawei-modem.ts';
import { text } from './modem-test-kit.test-support.ts';
import { SilentSerialDevice } from './serial-device.ts';

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

const AT_IN = 3;
const AT_OUT = 2;

/** A stick in modem mode, chosen, opened, with its AT interface (1) claimed. */
async function claimedStick(
  options: Parameters<typeof huaweiModemModeDevice>[0] = {},
): Promise<{ usb: FakeUsb; device: FakeUsbDevice; modem: HuaweiModemEmulator }> {
  const usb = new FakeUsb({ devices: [huaweiModemModeDevice({ modem: { echo: false }, ...options })] });
  const device = await usb.requestDevice({ filters: [{ vendorId: HUAWEI_USB_VENDOR_ID }] });
  await device.open();
  await device.claimInterface(1);
  const modem = (await device.deviceAt(1)) as HuaweiModemEmulator;
  cleanups.push(() => modem.dispose());
  return { usb, device, modem };
}

function bytes(s: string): Uint8Array<ArrayBuffer> {
  return Uint8Array.from(s, (c) => c.charCodeAt(0));
}

/** The bytes a transfer brought, as text; the fake always hands out a view, as Chrome does (even an empty one). */
function dataText(result: WebUsbInTransferResult): string {
  const data = result.data;
  if (!data) throw new Error(`transferIn resolved without a data view (status ${result.status})`);
  return text(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
}

async function rejection(promise: Promise<unknown>): Promise<{ name: string; message: string }> {
  try {
    await promise;
  } catch (e) {
    return { name: (e as Error).name, message: (e as Error).message };
  }
  throw new Error('expected a rejection');
}

describe('navigator.usb', () => {
  it('installFakeUsb puts a fake on navigator.usb (creating navigator when absent) and can expose it', () => {
    const scope: { navigator?: { usb?: unknown }; fakeUsb?: unknown } = {};
    const usb = installFakeUsb(scope, { expose: 'fakeUsb' });
    expect(scope.navigator?.usb).toBe(usb);
    expect(scope.fakeUsb).toBe(usb);
    expect(usb.devices.map((d) => [d.vendorId, d.productId])).toEqual([[HUAWEI_USB_VENDOR_ID, HUAWEI_MODEM_PRODUCT_ID]]);
    const both = installFakeUsb({}, { dongles: ['storage', 'modem'] });
    expect(both.devices.map((d) => d.productId)).toEqual([HUAWEI_STORAGE_PRODUCT_ID, HUAWEI_MODEM_PRODUCT_ID]);
  });

  it('requestDevice: filters are required and checked, vendor and class filters match, a cancel is NotFoundError, the choice gains permission', async () => {
    const other: FakeUsbDeviceSpec = { vendorId: 0x2c7c, productId: 0x0125, interfaces: [{ interfaceClass: 0xff, endpoints: [] }] };
    const usb = new FakeUsb({ devices: [other, huaweiStorageModeDevice()] });
    expect((await rejection(usb.requestDevice(undefined as never))).name).toBe('TypeError');
    expect((await rejection(usb.requestDevice({ filters: [{ productId: 1 }] }))).name).toBe('TypeError');
    expect((await rejection(usb.requestDevice({ filters: [{ subclassCode: 1 }] }))).name).toBe('TypeError');
    expect(await usb.getDevices()).toEqual([]);
    const huawei = await usb.requestDevice({ filters: [{ vendorId: HUAWEI_USB_VENDOR_ID }] });
    expect(huawei.productId).toBe(HUAWEI_STORAGE_PRODUCT_ID);
    // classCode matches any interface (the storage stick has no vendor-specific one).
    const seen: number[][] = [];
    usb.choose = (c) => (seen.push(c.map((d) => d.productId)), c[0]);
    await usb.requestDevice({ filters: [{ classCode: 0xff }] });
    await usb.requestDevice({ filters: [{ classCode: 0x08, subclassCode: 0x06, protocolCode: 0x50 }] });
    await usb.requestDevice({ filters: [] });
    expect(seen).toEqual([[0x0125], [HUAWEI_STORAGE_PRODUCT_ID], [0x0125, HUAWEI_STORAGE_PRODUCT_ID]]);
    expect((await usb.getDevices()).map((d) => d.productId)).toEqual([0x0125, HUAWEI_STORAGE_PRODUCT_ID]);
    usb.choose = () => undefined;
    expect(await rejection(usb.requestDevice({ filters: [] }))).toEqual({ name: 'NotFoundError', message: 'No device selected.' });
  });
});

describe('USBDevice: descriptors and claiming', () => {
  it('describes a modem-mode stick: vendor-specific interfaces with bulk pairs, and the microSD reader', async () => {
    const usb = new FakeUsb({ devices: [huaweiModemModeDevice({ packetSize: 64 })] });
    const device = await usb.requestDevice({ filters: [{ vendorId: HUAWEI_USB_VENDOR_ID }] });
    expect(device.configuration?.configurationValue).toBe(1);
    const interfaces = device.configuration!.interfaces.map((i) => ({
      n: i.interfaceNumber,
      cls: [i.alternate.interfaceClass, i.alternate.interfaceSubclass, i.alternate.interfaceProtocol],
      eps: i.alternate.endpoints.map((e) => `${e.type}-${e.direction}${e.endpointNumber}/${e.packetSize}`),
    }));
    expect(interfaces).toEqual([
      { n: 0, cls: [0xff, 0xff, 0xff], eps: ['bulk-in1/64', 'bulk-out1/64'] },
      { n: 1, cls: [0xff, 0xff, 0xff], eps: ['interrupt-in2/16', 'bulk-in3/64', 'bulk-out2/64'] },
      { n: 2, cls: [0x08, 0x06, 0x50], eps: ['bulk-in4/64', 'bulk-out3/64'] },
    ]);
  });

  it('needs open() and a configuration; claims refused for protected classes (SecurityError) and OS drivers (NetworkError)', async () => {
    const usb = new FakeUsb({ devices: [{ ...huaweiModemModeDevice({ heldByOs: true }), configured: false }] });
    const device = await usb.requestDevice({ filters: [] });
    expect(await rejection(device.claimInterface(1))).toEqual({ name: 'InvalidStateError', message: 'The device must be opened first.' });
    await device.open();
    expect(device.configuration).toBeNull();
    expect((await rejection(device.claimInterface(1))).message).toBe('The device must have a configuration selected.');
    expect((await rejection(device.selectConfiguration(2))).name).toBe('NotFoundError');
    await device.selectConfiguration(1);
    expect(await rejection(device.claimInterface(1))).toEqual({ name: 'NetworkError', message: 'Unable to claim interface.' });
    expect(await rejection(device.claimInterface(2))).toEqual({
      name: 'SecurityError',
      message: 'The requested interface implements a protected class.',
    });
    expect((await rejection(device.claimInterface(7))).name).toBe('NotFoundError');
    expect(device.configuration!.interfaces.map((i) => i.claimed)).toEqual([false, false, false]);
  });

  it('open() refused with SecurityError "Access denied." where the OS does not let the browser in', async () => {
    const usb = new FakeUsb({ devices: [{ ...huaweiModemModeDevice(), accessDenied: true }] });
    const device = await usb.requestDevice({ filters: [] });
    expect(await rejection(device.open())).toEqual({ name: 'SecurityError', message: 'Access denied.' });
    expect(device.opened).toBe(false);
  });

  it('transfers need the endpoint on a claimed interface', async () => {
    const usb = new FakeUsb({ devices: [huaweiModemModeDevice()] });
    const device = await usb.requestDevice({ filters: [] });
    await device.open();
    expect((await rejection(device.transferIn(AT_IN, 512))).name).toBe('NotFoundError');
    expect((await rejection(device.transferIn(0, 512))).name).toBe('IndexSizeError');
    await device.claimInterface(1);
    expect(device.configuration!.interfaces[1]!.claimed).toBe(true);
    expect((await rejection(device.transferOut(AT_OUT, 'AT' as never))).name).toBe('TypeError');
    await device.close();
  });
});

describe('USBDevice: bulk transfers', () => {
  it('a transfer ends on the short packet: each piece the firmware writes is one transfer', async () => {
    const { device } = await claimedStick({ packetSize: 64 });
    const pending = device.transferIn(AT_IN, 64 * 64);
    await device.transferOut(AT_OUT, bytes('AT+CGMM\r'));
    const result = await pending;
    expect(result.status).toBe('ok');
    expect(dataText(result)).toBe('\r\nMS2131\r\n');
    expect(dataText(await device.transferIn(AT_IN, 64 * 64))).toBe('\r\nOK\r\n');
  });

  it('a response longer than a packet arrives whole in one transfer (full packets, then the short one)', async () => {
    const { device, modem } = await claimedStick({ packetSize: 64 });
    const line = `^X:${'y'.repeat(100)}`;
    const pending = device.transferIn(AT_IN, 64 * 64);
    modem.injectUrc(line);
    expect(dataText(await pending)).toBe(`\r\n${line}\r\n`);
  });

  it('a response of whole packets is ended by a zero-length packet; without one the transfer waits', async () => {
    const { device, modem } = await claimedStick({ packetSize: 64 });
    const line = `^X:${'y'.repeat(57)}`; // \r\n + 60 + \r\n = 64
    const pending = device.transferIn(AT_IN, 64 * 64);
    modem.injectUrc(line);
    expect(dataText(await pending)).toHaveLength(64);

    const usb = new FakeUsb({
      devices: [{ ...huaweiModemModeDevice({ packetSize: 64, modem: { echo: false } }), zeroLengthPackets: false }],
    });
    const bare = await usb.requestDevice({ filters: [] });
    await bare.open();
    await bare.claimInterface(1);
    const bareModem = (await bare.deviceAt(1)) as HuaweiModemEmulator;
    cleanups.push(() => bareModem.dispose());
    let settled = false;
    const waiting = bare.transferIn(AT_IN, 64 * 64).then((r) => ((settled = true), r));
    bareModem.injectUrc(line);
    await new Promise((r) => setTimeout(r, 50));
    expect(settled).toBe(false);
    bareModem.injectUrc('RING');
    expect(dataText(await waiting)).toBe(`\r\n${line}\r\n\r\nRING\r\n`);
  });

  it('a transfer that asks for less than a packet meets a babble, and loses what did not fit', async () => {
    const { device } = await claimedStick({ packetSize: 64 });
    const pending = device.transferIn(AT_IN, 4);
    await device.transferOut(AT_OUT, bytes('AT+CGMM\r'));
    const result = await pending;
    expect(result.status).toBe('babble');
    expect(dataText(result)).toBe('\r\nMS');
  });

  it('a stalled IN endpoint answers stall until the halt is cleared; the bytes wait', async () => {
    const { device } = await claimedStick();
    const pending = device.transferIn(AT_IN, 512 * 64);
    device.stall(1, 'in');
    expect((await pending).status).toBe('stall');
    await device.transferOut(AT_OUT, bytes('AT\r'));
    expect((await device.transferIn(AT_IN, 512 * 64)).status).toBe('stall');
    await device.clearHalt('in', AT_IN);
    expect(dataText(await device.transferIn(AT_IN, 512 * 64))).toBe('\r\nOK\r\n');
    expect(device.clearedHalts(1)).toEqual({ in: 1, out: 0 });
  });

  it('a stalled OUT endpoint refuses writes until the halt is cleared', async () => {
    const { device } = await claimedStick();
    device.stall(1, 'out');
    expect(await device.transferOut(AT_OUT, bytes('AT\r'))).toEqual({ status: 'stall', bytesWritten: 0 });
    await device.clearHalt('out', AT_OUT);
    expect(await device.transferOut(AT_OUT, bytes('AT\r'))).toEqual({ status: 'ok', bytesWritten: 3 });
  });

  it('transferOut goes out in packets of the endpoint size; an empty one is a zero-length packet', async () => {
    const { device } = await claimedStick({ packetSize: 64 });
    await device.transferOut(AT_OUT, new Uint8Array(130).fill(0x20));
    await device.transferOut(AT_OUT, new Uint8Array(0));
    await device.transferOut(AT_OUT, new Uint8Array(64).fill(0x20).buffer);
    expect(device.outPackets(1)).toEqual([64, 64, 2, 0, 64]);
  });

  it('releaseInterface and close cancel the pending transfer with AbortError', async () => {
    const { device } = await claimedStick();
    const first = device.transferIn(AT_IN, 512);
    await device.releaseInterface(1);
    expect(await rejection(first)).toEqual({ name: 'AbortError', message: 'The transfer was cancelled.' });
    await device.claimInterface(1);
    const second = device.transferIn(AT_IN, 512);
    await device.close();
    expect((await rejection(second)).name).toBe('AbortError');
    expect(device.opened).toBe(false);
    // The interface can be claimed again after reopening, and the modem answers.
    await device.open();
    await device.claimInterface(1);
    const third = device.transferIn(AT_IN, 512);
    await device.transferOut(AT_OUT, bytes('AT\r'));
    expect(dataText(await third)).toBe('\r\nOK\r\n');
  });

  it('the diagnostics interface takes bytes and never answers', async () => {
    const usb = new FakeUsb({ devices: [huaweiModemModeDevice()] });
    const device = await usb.requestDevice({ filters: [] });
    await device.open();
    await device.claimInterface(0);
    let settled = false;
    void device.transferIn(1, 512).then(
      () => (settled = true),
      () => (settled = true),
    );
    await device.transferOut(1, bytes('AT\r'));
    await new Promise((r) => setTimeout(r, 50));
    expect(settled).toBe(false);
    expect(((await device.deviceAt(0)) as SilentSerialDevice).received.map(text)).toEqual(['AT\r']);
    await device.close();
  });
});

describe('unplugging', () => {
  it('fails the pending transfer with NotFoundError, refuses later calls, and fires disconnect at navigator.usb with the device', async () => {
    const { usb, device, modem } = await claimedStick();
    const events: string[] = [];
    usb.addEventListener('disconnect', (e) => events.push(`listener ${(e as FakeUsbConnectionEvent).device === device}`));
    usb.ondisconnect = (e) => events.push(`ondisconnect ${(e as FakeUsbConnectionEvent).device === device}`);
    const pending = device.transferIn(AT_IN, 512);
    device.unplug();
    expect(await rejection(pending)).toEqual({ name: 'NotFoundError', message: 'The device was disconnected.' });
    expect(events).toEqual(['listener true', 'ondisconnect true']);
    expect(modem.isUnplugged).toBe(true);
    expect(device.connected).toBe(false);
    expect((await rejection(device.transferOut(AT_OUT, bytes('AT\r')))).name).toBe('NotFoundError');
    expect((await rejection(device.releaseInterface(1))).name).toBe('NotFoundError');
    expect(await usb.getDevices()).toEqual([]);
  });

  it('follows an unplug of the emulator itself', async () => {
    const { device, modem } = await claimedStick();
    const pending = device.transferIn(AT_IN, 512);
    modem.unplug();
    expect((await rejection(pending)).name).toBe('NotFoundError');
    expect(device.connected).toBe(false);
  });

  it('plugging a permitted device in fires connect; devices the site may not use stay quiet', async () => {
    const usb = new FakeUsb();
    const seen: string[] = [];
    usb.addEventListener('connect', (e) => seen.push(`connect ${(e as FakeUsbConnectionEvent).device.productId.toString(16)}`));
    usb.plugIn(huaweiStorageModeDevice({ granted: true }));
    const quiet = usb.plugIn(huaweiModemModeDevice({ modem: { echo: false } }));
    cleanups.push(() => quiet.unplug());
    expect(seen).toEqual(['connect 1f01']);
  });
});
