import { afterEach, describe, expect, it } from 'vitest';
import {
  FakeSerial,
  FakeSerialPort,
  HUAWEI_MODEM_PRODUCT_ID,
  HUAWEI_USB_VENDOR_ID,
  installFakeSerial,
  type RecoverableReadError,
} from './fake-web-serial.ts';
import { HuaweiModemEmulator, type HuaweiModemOptions } from './huawei-modem.ts';
import { SilentSerialDevice } from './serial-device.ts';
import { text } from './modem-test-kit.test-support.ts';

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

async function huawei(options: HuaweiModemOptions = {}): Promise<HuaweiModemEmulator> {
  const modem = await HuaweiModemEmulator.create('demo', options);
  cleanups.push(() => modem.dispose());
  return modem;
}

/** A fake navigator.serial with one Huawei stick, and the port already chosen and opened. */
async function openPort(options: HuaweiModemOptions = { echo: false }) {
  const modem = await huawei(options);
  const serial = new FakeSerial({ ports: [{ device: modem }] });
  const port = await serial.requestPort({ filters: [{ usbVendorId: HUAWEI_USB_VENDOR_ID }] });
  await port.open({ baudRate: 115200 });
  return { modem, serial, port };
}

/** Reads until the text seen so far matches `pattern`; rejects after `timeoutMs`. */
async function readUntil(reader: ReadableStreamDefaultReader<Uint8Array>, pattern: RegExp, timeoutMs = 3000): Promise<string> {
  let seen = '';
  const deadline = Date.now() + timeoutMs;
  while (!pattern.test(seen)) {
    const left = deadline - Date.now();
    if (left <= 0) throw new Error(`timed out waiting for ${pattern}; got ${JSON.stringify(seen)}`);
    let timer: ReturnType<typeof setTimeout> | undefined;
    const result = await Promise.race([
      reader.read(),
      new Promise<never>(
        (_, reject) => (timer = setTimeout(() => reject(new Error(`timed out waiting for ${pattern}; got ${JSON.stringify(seen)}`)), left)),
      ),
    ]).finally(() => clearTimeout(timer));
    if (result.done) throw new Error(`stream ended; got ${JSON.stringify(seen)}`);
    seen += text(result.value);
  }
  return seen;
}

async function write(port: FakeSerialPort, line: string): Promise<void> {
  const writer = port.writable!.getWriter();
  try {
    await writer.write(new TextEncoder().encode(line));
  } finally {
    writer.releaseLock();
  }
}

async function rejection(promise: Promise<unknown>): Promise<{ name: string; message: string }> {
  try {
    await promise;
  } catch (e) {
    return { name: (e as Error).name, message: (e as Error).message };
  }
  throw new Error('expected a rejection');
}

describe('navigator.serial', () => {
  it('installFakeSerial puts a fake on navigator.serial (creating navigator when absent) and can expose it', async () => {
    const scope: { navigator?: { serial?: unknown }; fakeSerial?: unknown } = {};
    const serial = installFakeSerial(scope, { expose: 'fakeSerial', modem: { echo: false } });
    expect(scope.navigator?.serial).toBe(serial);
    expect(scope.fakeSerial).toBe(serial);
    const port = await serial.requestPort({ filters: [{ usbVendorId: HUAWEI_USB_VENDOR_ID }] });
    cleanups.push(() => port.unplug());
    await port.open({ baudRate: 9600 });
    const reader = port.readable!.getReader();
    await write(port, 'AT+CGMM\r');
    expect(await readUntil(reader, /OK\r\n$/)).toBe('\r\nMS2131\r\n\r\nOK\r\n');
  });

  it('shadows an existing navigator.serial on an existing navigator object', () => {
    const original = { serial: 'the browser one' };
    const scope = { navigator: original };
    const serial = installFakeSerial(scope, { ports: [] });
    expect(scope.navigator).toBe(original);
    expect(scope.navigator.serial).toBe(serial);
  });

  it('lists a port in getPorts() only after the person chose it, or when granted up front', async () => {
    const modem = await huawei();
    const serial = new FakeSerial({
      ports: [{ device: modem }, { device: new SilentSerialDevice(), info: { usbVendorId: 0x0403, usbProductId: 0x6001 }, granted: true }],
    });
    expect((await serial.getPorts()).map((p) => p.getInfo())).toEqual([{ usbVendorId: 0x0403, usbProductId: 0x6001 }]);
    const port = await serial.requestPort({ filters: [{ usbVendorId: HUAWEI_USB_VENDOR_ID, usbProductId: HUAWEI_MODEM_PRODUCT_ID }] });
    expect(port.getInfo()).toEqual({ usbVendorId: 0x12d1, usbProductId: 0x1506 });
    expect(await serial.getPorts()).toHaveLength(2);
    expect(await serial.getPorts()).toContain(port);
  });

  it.each<[string, Parameters<FakeSerial['requestPort']>[0]]>([
    ['another vendor', { filters: [{ usbVendorId: 0x1bbb }] }],
    ['the right vendor but another product', { filters: [{ usbVendorId: HUAWEI_USB_VENDOR_ID, usbProductId: 0x1001 }] }],
  ])('rejects requestPort with NotFoundError when no port matches (%s)', async (_why, options) => {
    const serial = new FakeSerial({ ports: [{ device: await huawei() }] });
    expect(await rejection(serial.requestPort(options))).toEqual({ name: 'NotFoundError', message: 'No port selected by the user.' });
    expect(await serial.getPorts()).toEqual([]);
  });

  it('rejects requestPort with NotFoundError when the person cancels the picker', async () => {
    const serial = new FakeSerial({ ports: [{ device: await huawei() }], choose: () => undefined });
    expect((await rejection(serial.requestPort())).name).toBe('NotFoundError');
    serial.choose = (candidates) => candidates[0];
    await expect(serial.requestPort()).resolves.toBeInstanceOf(FakeSerialPort);
  });

  it.each<[string, object, RegExp]>([
    ['a product id without a vendor id', { usbProductId: 0x1506 }, /must also specify a usbVendorId/],
    ['an empty filter', {}, /must provide a property/],
    ['bluetooth and USB together', { bluetoothServiceClassId: 0x1101, usbVendorId: 0x12d1 }, /cannot specify both/],
  ])('rejects requestPort with TypeError for %s', async (_why, filter, message) => {
    const serial = new FakeSerial({ ports: [{ device: await huawei() }] });
    const error = await rejection(serial.requestPort({ filters: [filter] }));
    expect(error.name).toBe('TypeError');
    expect(error.message).toMatch(message);
  });

  it('offers every plugged-in port without filters, and the picker choice decides', async () => {
    const silent = new SilentSerialDevice();
    const serial = new FakeSerial({ ports: [{ device: await huawei() }, { device: silent, info: {} }], choose: (c) => c[c.length - 1] });
    const port = await serial.requestPort({});
    expect(port.getInfo()).toEqual({});
    expect(await port.device).toBe(silent);
  });
});

describe('SerialPort', () => {
  it('a reader loop reads the modem answers while a writer sends commands', async () => {
    const { port } = await openPort({});
    const reader = port.readable!.getReader();
    await write(port, 'ATE0\r');
    expect(await readUntil(reader, /OK\r\n$/)).toBe('ATE0\r\r\nOK\r\n');
    await write(port, 'AT+CIMI\r');
    expect(await readUntil(reader, /OK\r\n$/)).toBe('\r\n001010000000001\r\n\r\nOK\r\n');
    await write(port, 'AT+CSIM=14,"00A4080C022FE2"\r');
    expect(await readUntil(reader, /OK\r\n$/)).toBe('\r\n+CSIM: 4,"9000"\r\n\r\nOK\r\n');
    reader.releaseLock();
    await port.close();
  });

  it('has no streams before open and keeps the same ones between accesses', async () => {
    const serial = new FakeSerial({ ports: [{ device: await huawei() }] });
    const port = await serial.requestPort();
    expect(port.readable).toBeNull();
    expect(port.writable).toBeNull();
    await port.open({ baudRate: 115200 });
    expect(port.readable).toBe(port.readable);
    expect(port.writable).toBe(port.writable);
    await port.close();
  });

  it('open() twice rejects with InvalidStateError, also while the first is in progress', async () => {
    const serial = new FakeSerial({ ports: [{ device: await huawei() }] });
    const port = await serial.requestPort();
    const first = port.open({ baudRate: 115200 });
    expect(await rejection(port.open({ baudRate: 115200 }))).toEqual({
      name: 'InvalidStateError',
      message: 'A call to open() is already in progress.',
    });
    await first;
    expect(await rejection(port.open({ baudRate: 115200 }))).toEqual({ name: 'InvalidStateError', message: 'The port is already open.' });
    await port.close();
  });

  it.each<[string, object, RegExp]>([
    ['no baud rate', {}, /baudRate/],
    ['baud rate 0', { baudRate: 0 }, /baud rate must be greater than zero/],
    ['6 data bits', { baudRate: 9600, dataBits: 6 }, /data bits must be 7 or 8/],
    ['3 stop bits', { baudRate: 9600, stopBits: 3 }, /stop bits must be 1 or 2/],
    ['buffer size 0', { baudRate: 9600, bufferSize: 0 }, /buffer size must be greater than zero/],
    ['a buffer over 16 MiB', { baudRate: 9600, bufferSize: 16 * 1024 * 1024 + 1 }, /greater than the maximum allowed/],
  ])('open() rejects with TypeError for %s and stays closed', async (_why, options, message) => {
    const serial = new FakeSerial({ ports: [{ device: await huawei() }] });
    const port = await serial.requestPort();
    const error = await rejection(port.open(options as { baudRate: number }));
    expect(error.name).toBe('TypeError');
    expect(error.message).toMatch(message);
    expect(port.isOpen).toBe(false);
    await port.open({ baudRate: 9600 });
    await port.close();
  });

  it('open() of a port another program holds rejects with NetworkError', async () => {
    const serial = new FakeSerial({ ports: [{ device: await huawei(), busy: true }] });
    const port = await serial.requestPort();
    expect(await rejection(port.open({ baudRate: 115200 }))).toEqual({ name: 'NetworkError', message: 'Failed to open serial port.' });
    expect(port.readable).toBeNull();
  });

  it('close() rejects while a reader holds the readable, and while a writer holds the writable', async () => {
    const { port } = await openPort();
    const reader = port.readable!.getReader();
    const closing = await rejection(port.close());
    expect(closing.name).toBe('TypeError');
    expect(closing.message).toMatch(/Cannot cancel a locked stream/);
    reader.releaseLock();
    const writer = port.writable!.getWriter();
    const again = await rejection(port.close());
    expect(again.name).toBe('TypeError');
    expect(again.message).toMatch(/Cannot abort a locked stream/);
    writer.releaseLock();
    await port.close();
    expect(port.readable).toBeNull();
    expect(port.writable).toBeNull();
    expect(await rejection(port.close())).toEqual({ name: 'InvalidStateError', message: 'The port is already closed.' });
  });

  it('reopens after close, and the modem kept its settings (echo stays off after ATE0)', async () => {
    const { port } = await openPort({});
    let reader = port.readable!.getReader();
    await write(port, 'ATE0\r');
    await readUntil(reader, /OK\r\n$/);
    reader.releaseLock();
    await port.close();
    await port.open({ baudRate: 115200 });
    reader = port.readable!.getReader();
    await write(port, 'AT\r');
    expect(await readUntil(reader, /OK\r\n$/)).toBe('\r\nOK\r\n');
    reader.releaseLock();
    await port.close();
  });

  it('a cancelled reader ends its stream, and readable is a fresh stream afterwards', async () => {
    const { port } = await openPort();
    const first = port.readable!;
    const reader = first.getReader();
    const pending = reader.read();
    await reader.cancel();
    expect((await pending).done).toBe(true);
    reader.releaseLock();
    const second = port.readable!;
    expect(second).not.toBe(first);
    const next = second.getReader();
    await write(port, 'AT\r');
    expect(await readUntil(next, /OK\r\n$/)).toBe('\r\nOK\r\n');
    next.releaseLock();
    await port.close();
  });

  it('reads with a BYOB reader too (the readable is a byte stream, as in Chrome)', async () => {
    const { port } = await openPort();
    const reader = port.readable!.getReader({ mode: 'byob' });
    await write(port, 'AT\r');
    const { value } = await reader.read(new Uint8Array(64));
    expect(text(value!)).toBe('\r\nOK\r\n');
    reader.releaseLock();
    await port.close();
  });

  it('writes ArrayBuffers too, and refuses what is not a BufferSource with TypeError', async () => {
    const { port } = await openPort();
    const reader = port.readable!.getReader();
    const writer = port.writable!.getWriter();
    await writer.write(new TextEncoder().encode('AT+CGMI\r').buffer as unknown as Uint8Array);
    expect(await readUntil(reader, /OK\r\n$/)).toBe('\r\nhuawei\r\n\r\nOK\r\n');
    const error = await rejection(writer.write('AT\r' as unknown as Uint8Array));
    expect(error.name).toBe('TypeError');
    writer.releaseLock();
    reader.releaseLock();
  });

  it.each<RecoverableReadError>(['BufferOverrunError', 'BreakError', 'FramingError', 'ParityError'])(
    'a %s fails the pending read; readable is then a fresh stream and a new reader gets the next answer',
    async (name) => {
      const { port } = await openPort();
      const stream = port.readable!;
      const reader = stream.getReader();
      const pending = reader.read();
      port.injectReadError(name);
      const error = await rejection(pending);
      expect(error.name).toBe(name);
      expect(error.message).toMatch(/has been detected/);
      reader.releaseLock();
      // Bytes that arrive before the page asks for the new stream are kept for it.
      await write(port, 'AT+CGMM\r');
      await new Promise((resolve) => setTimeout(resolve, 20));
      const fresh = port.readable!;
      expect(fresh).not.toBe(stream);
      const next = fresh.getReader();
      expect(await readUntil(next, /OK\r\n$/)).toBe('\r\nMS2131\r\n\r\nOK\r\n');
      next.releaseLock();
      await port.close();
    },
  );

  it('hands out the fresh readable right after a line error, before any byte arrives', async () => {
    const { port } = await openPort();
    const stream = port.readable!;
    const reader = stream.getReader();
    const pending = reader.read();
    port.injectReadError('BreakError');
    expect((await rejection(pending)).name).toBe('BreakError');
    reader.releaseLock();
    const fresh = port.readable;
    expect(fresh).not.toBeNull();
    expect(fresh).not.toBe(stream);
    expect(fresh!.locked).toBe(false);
    const next = fresh!.getReader();
    await write(port, 'AT\r');
    expect(await readUntil(next, /OK\r\n$/)).toBe('\r\nOK\r\n');
    next.releaseLock();
    await port.close();
  });

  it('setSignals and getSignals need an open port; an empty signals dictionary is a TypeError', async () => {
    const serial = new FakeSerial({ ports: [{ device: await huawei() }] });
    const port = await serial.requestPort();
    expect((await rejection(port.setSignals({ dataTerminalReady: true }))).name).toBe('InvalidStateError');
    expect((await rejection(port.getSignals())).name).toBe('InvalidStateError');
    await port.open({ baudRate: 115200 });
    expect((await rejection(port.setSignals({}))).name).toBe('TypeError');
    await port.setSignals({ dataTerminalReady: true, requestToSend: false });
    expect(port.signalLog).toEqual([{ dataTerminalReady: true, requestToSend: false }]);
    expect(await port.getSignals()).toEqual({ dataCarrierDetect: false, clearToSend: true, ringIndicator: false, dataSetReady: true });
    await port.close();
  });

  it('forget() closes the port and takes it out of getPorts()', async () => {
    const { serial, port } = await openPort();
    const reader = port.readable!.getReader();
    const pending = reader.read();
    await port.forget();
    expect((await pending).done).toBe(true);
    expect(port.isOpen).toBe(false);
    expect(await serial.getPorts()).toEqual([]);
    expect((await rejection(port.open({ baudRate: 115200 }))).name).toBe('NetworkError');
  });

  it('a silent port (a stick diagnostics interface) takes the bytes and never answers', async () => {
    const silent = new SilentSerialDevice();
    const serial = new FakeSerial({
      ports: [{ device: silent, info: { usbVendorId: HUAWEI_USB_VENDOR_ID, usbProductId: HUAWEI_MODEM_PRODUCT_ID } }],
    });
    const port = await serial.requestPort();
    await port.open({ baudRate: 115200 });
    const reader = port.readable!.getReader();
    await write(port, 'AT\r');
    await expect(readUntil(reader, /OK/, 150)).rejects.toThrow(/timed out/);
    expect(silent.received.map((b) => text(b))).toEqual(['AT\r']);
  });
});

describe('unplugging', () => {
  it('fails the pending read with NetworkError, nulls the streams and fires disconnect at the port and at navigator.serial', async () => {
    const { serial, port } = await openPort();
    const events: string[] = [];
    port.addEventListener('disconnect', (e) => events.push(`port ${e.type} ${e.target === port}`));
    port.ondisconnect = () => events.push('port ondisconnect');
    serial.addEventListener('disconnect', (e) => events.push(`serial ${e.type} ${e.target === port}`));
    serial.ondisconnect = (e) => events.push(`serial ondisconnect ${e.target === port}`);
    const reader = port.readable!.getReader();
    const pending = reader.read();
    const writer = port.writable!.getWriter();
    port.unplug();
    expect(await rejection(pending)).toEqual({ name: 'NetworkError', message: 'The device has been lost.' });
    expect((await rejection(writer.write(new Uint8Array([0x41])))).name).toBe('NetworkError');
    expect(port.readable).toBeNull();
    expect(port.writable).toBeNull();
    expect(port.connected).toBe(false);
    expect(events).toEqual(['port disconnect true', 'port ondisconnect', 'serial disconnect true', 'serial ondisconnect true']);
    expect(await serial.getPorts()).toEqual([]);
    // The page still closes its port; it cannot open it again.
    reader.releaseLock();
    writer.releaseLock();
    await port.close();
    expect(await rejection(port.open({ baudRate: 115200 }))).toEqual({ name: 'NetworkError', message: 'Failed to open serial port.' });
  });

  it('follows an unplug of the emulator itself', async () => {
    const { modem, port } = await openPort();
    const reader = port.readable!.getReader();
    const pending = reader.read();
    modem.unplug();
    expect((await rejection(pending)).name).toBe('NetworkError');
    expect(port.connected).toBe(false);
  });

  it('a closed port also fires disconnect; plugging a device in fires connect at navigator.serial for permitted ports', async () => {
    const serial = new FakeSerial({ ports: [{ device: await huawei() }] });
    const port = await serial.requestPort();
    const seen: string[] = [];
    serial.addEventListener('connect', (e) => seen.push(`connect ${(e.target as FakeSerialPort).getInfo().usbProductId}`));
    serial.addEventListener('disconnect', () => seen.push('disconnect'));
    port.unplug();
    const replugged = serial.plugIn({
      device: await huawei(),
      granted: true,
      info: { usbVendorId: HUAWEI_USB_VENDOR_ID, usbProductId: 0x1506 },
    });
    serial.plugIn({ device: new SilentSerialDevice(), info: { usbVendorId: 0x0403, usbProductId: 0x6001 } });
    expect(seen).toEqual(['disconnect', 'connect 5382']);
    expect(await serial.getPorts()).toEqual([replugged]);
  });
  it('swapSim takes the SIM out and puts another in the stick behind the port; plugInModem adds a permitted stick', async () => {
    const { port, modem } = await openPort();
    const reader = port.readable!.getReader();
    await port.swapSim(undefined);
    expect(modem.hasSim).toBe(false);
    await write(port, 'AT+CMEE=1\rAT+CIMI\r');
    await readUntil(reader, /\+CME ERROR: 10/);
    await port.swapSim('demo-pin');
    await write(port, 'AT^ICCID?\r');
    expect(await readUntil(reader, /\^ICCID: \d+/)).toContain('^ICCID: 8981100000000000024');
    reader.releaseLock();

    const serial = new FakeSerial();
    const seen: string[] = [];
    serial.addEventListener('connect', () => seen.push('connect'));
    const plugged = serial.plugInModem('demo-box-01', { echo: false });
    cleanups.push(() => void plugged.device.then((d) => (d as HuaweiModemEmulator).dispose()));
    expect(seen).toEqual(['connect']);
    expect(await serial.getPorts()).toEqual([plugged]);
    expect(((await plugged.device) as HuaweiModemEmulator).hasSim).toBe(true);
  });
});
