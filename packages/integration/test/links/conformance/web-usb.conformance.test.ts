import { describe, expect, it } from 'vitest';
import { Usim } from '@krypton-web/krypton-core';
import {
  FakeUsb,
  type HuaweiModemEmulator,
  huaweiModemModeDevice,
  huaweiStorageModeDevice,
  installFakeUsb,
  personalityOptions,
  SilentSerialDevice,
  type FakeUsbDevice,
  type FakeUsbDeviceSpec,
  type InstallFakeUsbOptions,
} from '@krypton-web/krypton-lab/modem';
import { TransportError } from '@krypton-web/krypton-core';
import {
  AtModem,
  WebUsbChannel,
  WebUsbError,
  requestModemDevice,
  rememberedModemDevices,
  type WebUsb,
  type WebUsbDevice,
} from '@krypton-web/sim-transport';
import { describeLinkConformance, type OpenLink } from '../../../src/link-conformance.test-support.ts';

const SELECT_USIM = new Uint8Array([0x00, 0xa4, 0x04, 0x0c, 0x07, 0xa0, 0, 0, 0, 0x87, 0x10, 0x02]);

/** The fake as the product sees it: the narrow WebUSB shapes sim-transport declares, which it implements. */
function asUsb(fake: FakeUsb): WebUsb {
  return fake;
}

/** The fake device behind a device the product holds (test hooks). */
function fakeOf(device: WebUsbDevice): FakeUsbDevice {
  return device as FakeUsbDevice;
}

/** The browser path end to end, in Node: fake navigator.usb → WebUSB channel (probe, claim, bulk pair) → AT engine → lab modem. */
function webUsbLink(options: InstallFakeUsbOptions, sources = false): OpenLink {
  return async (sim) => {
    const usb = asUsb(installFakeUsb({}, { ...options, sim }));
    const device = await requestModemDevice({ usb });
    // A short probe: the diagnostics interface comes first and never answers.
    const channel = await WebUsbChannel.open(device, { usb, probeTimeoutMs: 300 });
    const opened = await AtModem.open(channel);
    const extra = sources ? { imsiSource: opened.transport, simInfoSource: opened.transport } : {};
    return { transport: opened.transport, ...extra, dispose: () => opened.close() };
  };
}

// A subset of the firmware personalities (all of them run in process and over Web Serial): the ones that change
// what crosses the wire most — logical channels, loose +CSIM answers, no Huawei extensions.
for (const name of ['logical-channels', 'loose-csim', 'no-huawei-extras'] as const) {
  describeLinkConformance(
    `WebUSB link over the lab modem, personality ${name}`,
    webUsbLink({ packetSize: 64, modem: personalityOptions(name) }, true),
  );
}

describeLinkConformance('WebUSB link over the lab modem (512-byte packets)', webUsbLink({ packetSize: 512 }));
describeLinkConformance(
  'WebUSB link over the lab modem with URC noise, 64-byte packets and responses split across many small transfers',
  webUsbLink({
    packetSize: 64,
    modem: { urcNoise: { seed: 7, intervalMs: 40, midResponseRate: 0.5 }, chunking: { seed: 3, maxChunk: 5 } },
  }),
  { timeoutMs: 30_000 },
);
describeLinkConformance(
  'WebUSB link over a modem that answers CSIM with 9000 directly',
  webUsbLink({ packetSize: 64, modem: { csimDirect9000: true, lowercaseHex: true, spaces: true } }),
);

/** A fake with one Huawei stick, chosen and opened as the app does. */
async function openStick(options: InstallFakeUsbOptions = {}, channelOptions: { probeTimeoutMs?: number } = { probeTimeoutMs: 300 }) {
  const fake = installFakeUsb({}, options);
  const usb = asUsb(fake);
  const device = await requestModemDevice({ usb });
  const channel = await WebUsbChannel.open(device, { usb, ...channelOptions });
  return { fake, usb, device, stick: fakeOf(device), channel };
}

/** Collects what a started channel delivers. */
function collect(channel: WebUsbChannel): { text: () => string; chunks: Uint8Array[]; closed: Promise<Error | undefined> } {
  const chunks: Uint8Array[] = [];
  let done!: (e: Error | undefined) => void;
  const closed = new Promise<Error | undefined>((resolve) => (done = resolve));
  channel.start({ onData: (c) => chunks.push(c), onClose: (e) => done(e) });
  return { chunks, closed, text: () => chunks.map((c) => String.fromCharCode(...c)).join('') };
}

async function until(check: () => boolean, what: string, timeoutMs = 2000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

const latin1 = (s: string) => Uint8Array.from(s, (c) => c.charCodeAt(0));

describe('WebUSB: choosing the interface', () => {
  it('probes the interfaces in turn: the silent diagnostics port is released, the one that answers AT is kept', async () => {
    const { stick, channel } = await openStick();
    expect(channel.interfaceNumber).toBe(1);
    expect(channel.name).toBe('Huawei modem (12d1:1506), USB interface 1');
    expect(stick.claimLog).toEqual([0, 1]);
    expect(stick.claimedNow).toEqual([1]);
    const diag = (await stick.deviceAt(0)) as SilentSerialDevice;
    expect(diag.received.map((b) => String.fromCharCode(...b))).toEqual(['AT\r']);
    await channel.close();
    expect(stick.opened).toBe(false);
  });

  it('claims a lone candidate without probing it (AtModem probes it)', async () => {
    const commands: string[] = [];
    const spec = huaweiModemModeDevice({ modem: { onCommand: (line) => commands.push(line) } });
    const single: FakeUsbDeviceSpec = { ...spec, interfaces: [spec.interfaces[1]!, spec.interfaces[2]!] };
    const { stick, channel } = await openStick({ devices: [single] });
    expect(channel.interfaceNumber).toBe(0);
    expect(stick.claimLog).toEqual([0]);
    expect(commands).toEqual([]);
    const opened = await AtModem.open(channel);
    expect(commands[0]).toBe('AT');
    await opened.close();
  });

  it('selects configuration 1 when the operating system has not', async () => {
    const { stick, channel } = await openStick({ devices: [{ ...huaweiModemModeDevice({}), configured: false }] });
    expect(stick.configuration?.configurationValue).toBe(1);
    expect(channel.interfaceNumber).toBe(1);
    await channel.close();
  });
});

describe('WebUSB: packets and transfers', () => {
  it('delivers a response that fills whole packets, which the zero-length packet ends', async () => {
    const { stick, channel } = await openStick({ packetSize: 64 });
    const got = collect(channel);
    const modem = (await stick.deviceAt(1)) as HuaweiModemEmulator;
    // \r\n + 60 characters + \r\n: exactly one 64-byte packet.
    const line = `^TEST:${'x'.repeat(54)}`;
    modem.injectUrc(line);
    await until(() => got.text().includes(`${line}\r\n`), 'the 64-byte response');
    await channel.close();
  });

  it('without the zero-length packet such a response would wait for the next one (the fake models the hazard)', async () => {
    const { stick, channel } = await openStick({ devices: [{ ...huaweiModemModeDevice({ packetSize: 64 }), zeroLengthPackets: false }] });
    const got = collect(channel);
    const modem = (await stick.deviceAt(1)) as HuaweiModemEmulator;
    const line = `^TEST:${'x'.repeat(54)}`;
    modem.injectUrc(line);
    await new Promise((r) => setTimeout(r, 100));
    expect(got.text()).toBe('');
    modem.injectUrc('RING');
    await until(() => got.text().includes('RING'), 'the next, short transfer');
    expect(got.text()).toBe(`\r\n${line}\r\n\r\nRING\r\n`);
    await channel.close();
  });

  it.each([
    [512, 16 * 1024],
    [64, 64 * 64],
  ])('keeps one read of whole packets pending (%i-byte packets: %i bytes)', async (packetSize, length) => {
    const { stick, channel } = await openStick({ packetSize: packetSize as 64 | 512 });
    const got = collect(channel);
    await channel.write(latin1('AT\r'));
    await until(() => got.text().includes('OK'), 'the answer');
    const requests = stick.inRequests(1);
    expect(new Set(requests)).toEqual(new Set([length]));
    await channel.close();
  });

  it('splits writes into packets of the endpoint size and ends a write of whole packets with a zero-length packet', async () => {
    const { stick, channel } = await openStick({ packetSize: 64 });
    collect(channel);
    const before = stick.outPackets(1).length;
    await channel.write(latin1(`AT${' '.repeat(127)}\r`));
    await channel.write(latin1(`AT${' '.repeat(125)}\r`));
    expect(stick.outPackets(1).slice(before)).toEqual([64, 64, 2, 64, 64, 0]);
    await channel.close();
  });

  it('clears a stalled IN endpoint and reads on', async () => {
    const { stick, channel } = await openStick({ packetSize: 64 });
    const opened = await AtModem.open(channel);
    const usim = new Usim(opened.transport, { imsiSource: opened.transport });
    expect(await usim.readIccid()).toMatch(/^89/);
    stick.stall(1, 'in');
    expect(await usim.readIccid()).toMatch(/^89/);
    expect(stick.clearedHalts(1).in).toBeGreaterThanOrEqual(1);
    await opened.close();
  });

  it('clears a stalled OUT endpoint and writes again', async () => {
    const { stick, channel } = await openStick({ packetSize: 64 });
    const opened = await AtModem.open(channel);
    stick.stall(1, 'out');
    const answer = await opened.transport.transmit(SELECT_USIM);
    expect(answer.length).toBeGreaterThanOrEqual(2);
    expect(stick.clearedHalts(1).out).toBe(1);
    await opened.close();
  });

  it('reads on after a babble (the AT engine recovers the command it hit)', async () => {
    const { stick, channel } = await openStick({ packetSize: 64 });
    const opened = await AtModem.open(channel, { timeouts: { default: 500 } });
    stick.babble(1);
    await opened.readImsi().catch(() => undefined);
    expect(await opened.readImsi()).toBe('001010000000001');
    await opened.close();
  });
});

describe('WebUSB: the link ending', () => {
  it('ends an exchange with NO_CARD when the modem is unplugged, within a second, and fires disconnect', async () => {
    // The default probe time: this firmware takes 300 ms over every command.
    const { stick, channel } = await openStick({ modem: { slowMs: 300 } }, {});
    const opened = await AtModem.open(channel);
    let disconnected: unknown;
    opened.on('disconnect', (e) => (disconnected = e));
    const pending = opened.transport.transmit(SELECT_USIM);
    const started = Date.now();
    stick.unplug();
    await expect(pending).rejects.toMatchObject({ code: 'NO_CARD' });
    expect(Date.now() - started).toBeLessThan(1000);
    expect(String((disconnected as Error).message)).toMatch(/The USB modem was unplugged/);
    await opened.close();
  });

  it('reports the unplug through onClose with NO_CARD, also when only the disconnect event tells', async () => {
    const { fake, stick, channel } = await openStick();
    const got = collect(channel);
    // The event alone (as when Chrome reports it before failing the transfer).
    fake.deviceEvent('disconnect', stick);
    const error = await got.closed;
    expect(error).toBeInstanceOf(TransportError);
    expect(error).toMatchObject({ code: 'NO_CARD', message: 'The USB modem was unplugged' });
    await channel.close();
  });

  it('close() cancels the pending read without reporting an unplug, releases the interface and closes the device', async () => {
    const { stick, channel } = await openStick();
    const got = collect(channel);
    await new Promise((r) => setTimeout(r, 20));
    // A read is pending: asked for, and nothing has come to complete it.
    expect(stick.inRequests(1).length).toBeGreaterThan(0);
    expect(got.text()).toBe('');
    await channel.close();
    // Its cancellation (AbortError) is a close, not an unplug.
    expect(await got.closed).toBeUndefined();
    expect(stick.claimedNow).toEqual([]);
    expect(stick.opened).toBe(false);
    // And nothing reads on after close.
    const reads = stick.inRequests(1).length;
    await new Promise((r) => setTimeout(r, 20));
    expect(stick.inRequests(1).length).toBe(reads);
    await expect(channel.write(latin1('AT\r'))).rejects.toMatchObject({ code: 'TRANSPORT_CLOSED' });
    // The device opens again for the next connection.
    const again = await WebUsbChannel.open(stick, { probeTimeoutMs: 300 });
    expect(again.interfaceNumber).toBe(1);
    await again.close();
  });
});

describe('WebUSB: what a person meets', () => {
  it('an interface claimed by the operating system: says so, and that Web Serial is the way here', async () => {
    const e = await openStick({ heldByOs: true }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(WebUsbError);
    expect(e).toMatchObject({ problem: 'claimed-by-os', code: 'TRANSPORT_FAILED' });
    expect((e as WebUsbError).message).toMatch(/Unable to claim interface/);
    expect((e as WebUsbError).action).toMatch(/Web Serial/);
    expect((e as WebUsbError).action).toMatch(/unbind/);
  });

  it('a stick still in CD-ROM mode: explains the mode switch', async () => {
    const fake = installFakeUsb({}, { dongles: ['storage'] });
    const device = await requestModemDevice({ usb: asUsb(fake) });
    const e = await WebUsbChannel.open(device, { usb: asUsb(fake) }).catch((x: unknown) => x);
    expect(e).toMatchObject({ problem: 'storage-mode' });
    expect((e as WebUsbError).message).toMatch(/CD-ROM/);
    expect((e as WebUsbError).action).toMatch(/modem mode/);
    expect(fakeOf(device).opened).toBe(false);
  });

  it('a device whose interfaces are all of protected classes (a card reader): says the browser keeps them from pages', async () => {
    const reader: FakeUsbDeviceSpec = {
      vendorId: 0x076b,
      productId: 0x3021,
      interfaces: [
        {
          interfaceClass: 0x0b,
          endpoints: [
            { endpointNumber: 1, direction: 'in', type: 'bulk', packetSize: 64 },
            { endpointNumber: 1, direction: 'out', type: 'bulk', packetSize: 64 },
          ],
        },
      ],
    };
    const fake = new FakeUsb({ devices: [reader] });
    const device: WebUsbDevice = await fake.requestDevice({ filters: [] });
    const e = await WebUsbChannel.open(device, { usb: asUsb(fake) }).catch((x: unknown) => x);
    expect(e).toMatchObject({ problem: 'protected-class' });
    // And claiming such an interface is what Chrome refuses.
    await fake.devices[0]!.open();
    await expect(fake.devices[0]!.claimInterface(0)).rejects.toMatchObject({ name: 'SecurityError' });
  });

  it('a HiLink stick (network adapter only): no interface could carry AT', async () => {
    const hilink: FakeUsbDeviceSpec = {
      vendorId: 0x12d1,
      productId: 0x14dc,
      interfaces: [
        {
          interfaceClass: 0x02,
          interfaceSubclass: 0x06,
          endpoints: [{ endpointNumber: 1, direction: 'in', type: 'interrupt', packetSize: 16 }],
        },
        { interfaceClass: 0x0a, endpoints: [] },
        { interfaceClass: 0x08, interfaceSubclass: 0x06, interfaceProtocol: 0x50, endpoints: [] },
      ],
    };
    const fake = new FakeUsb({ devices: [hilink] });
    const device = await requestModemDevice({ usb: asUsb(fake) });
    await expect(WebUsbChannel.open(device, { usb: asUsb(fake) })).rejects.toMatchObject({ problem: 'no-at-interface' });
  });

  it('interfaces that never answer AT: says none answered', async () => {
    const silent: FakeUsbDeviceSpec = {
      vendorId: 0x12d1,
      productId: 0x1506,
      interfaces: [0, 1].map((n) => ({
        interfaceClass: 0xff,
        interfaceSubclass: 0xff,
        interfaceProtocol: 0xff,
        device: new SilentSerialDevice(),
        endpoints: [
          { endpointNumber: n + 1, direction: 'in' as const, type: 'bulk' as const, packetSize: 64 },
          { endpointNumber: n + 1, direction: 'out' as const, type: 'bulk' as const, packetSize: 64 },
        ],
      })),
    };
    const fake = new FakeUsb({ devices: [silent] });
    const device = await requestModemDevice({ usb: asUsb(fake) });
    const started = Date.now();
    await expect(WebUsbChannel.open(device, { usb: asUsb(fake), probeTimeoutMs: 100 })).rejects.toMatchObject({ problem: 'no-answer' });
    expect(Date.now() - started).toBeLessThan(1000);
    expect(fakeOf(device).claimedNow).toEqual([]);
  });

  it('access denied by the operating system (no udev rule, no WinUSB)', async () => {
    const e = await openStick({ devices: [{ ...huaweiModemModeDevice({}), accessDenied: true }] }).catch((x: unknown) => x);
    expect(e).toMatchObject({ problem: 'access-denied' });
    expect((e as WebUsbError).action).toMatch(/udev/);
  });

  it('the chooser: Huawei filter by default, a fallback for other makers, remembered devices without a prompt, a cancel', async () => {
    const other: FakeUsbDeviceSpec = { vendorId: 0x2c7c, productId: 0x0125, interfaces: [{ interfaceClass: 0xff, endpoints: [] }] };
    const fake = new FakeUsb({ devices: [other, huaweiModemModeDevice({}), huaweiStorageModeDevice({ granted: true })] });
    const seen: number[][] = [];
    fake.choose = (candidates) => (seen.push(candidates.map((c) => c.productId)), candidates[0]);
    await requestModemDevice({ usb: asUsb(fake) });
    await requestModemDevice({ usb: asUsb(fake), anyDevice: true });
    expect(seen).toEqual([
      [0x1506, 0x1f01],
      [0x0125, 0x1506],
    ]);
    expect((await rememberedModemDevices(asUsb(fake))).map((d) => d.productId)).toEqual([0x1506, 0x1f01, 0x0125]);
    fake.choose = () => undefined;
    await expect(requestModemDevice({ usb: asUsb(fake) })).rejects.toMatchObject({ code: 'ABORTED' });
  });
});
