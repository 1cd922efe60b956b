import { afterEach, describe, expect, it } from 'vitest';
import type { SerialChannelHandlers } from '@krypton-web/sim-transport';
import { emulatorChannel } from './emulator-channel.ts';
import { HuaweiModemEmulator } from './huawei-modem.ts';
import { text } from './modem-test-kit.test-support.ts';

const modems: HuaweiModemEmulator[] = [];
afterEach(() => {
  for (const m of modems.splice(0)) m.dispose();
});

async function setUp(options: ConstructorParameters<typeof HuaweiModemEmulator>[1] = {}) {
  const modem = await HuaweiModemEmulator.create('demo', options);
  modems.push(modem);
  const channel = emulatorChannel(modem);
  const data: Uint8Array[] = [];
  const closes: (Error | undefined)[] = [];
  const handlers: SerialChannelHandlers = { onData: (chunk) => data.push(chunk), onClose: (error) => closes.push(error) };
  channel.start(handlers);
  const received = () => data.map(text).join('');
  /** Writes a line and waits for the modem to finish answering. */
  const at = async (line: string) => {
    const from = received().length;
    await channel.write(new TextEncoder().encode(`${line}\r`));
    await modem.whenIdle();
    return received().slice(from);
  };
  return { modem, channel, data, closes, received, at };
}

describe('emulatorChannel', () => {
  it('has the SerialChannel shape and carries commands and answers', async () => {
    const { channel, at } = await setUp();
    expect(channel.name).toBe('Huawei modem emulator');
    expect(await at('ATE0')).toBe('ATE0\r\r\nOK\r\n');
    expect(await at('AT+CIMI')).toBe('\r\n001010000000001\r\n\r\nOK\r\n');
    await channel.close();
  });

  it('hands each chunk as its own copy', async () => {
    const { data, at } = await setUp({ echo: false });
    await at('AT');
    await at('AT');
    expect(data.length).toBeGreaterThanOrEqual(2);
    data[0]!.fill(0);
    expect(text(data[1]!)).toBe('\r\nOK\r\n');
  });

  it('refuses a second start', async () => {
    const { channel } = await setUp();
    expect(() => channel.start({ onData: () => undefined, onClose: () => undefined })).toThrow(/twice/);
    await channel.close();
  });

  it('reports an unplug as onClose(NetworkError) and refuses writes after it', async () => {
    const { modem, channel, closes } = await setUp();
    modem.unplug();
    expect(closes).toHaveLength(1);
    expect(closes[0]).toMatchObject({ name: 'NetworkError', message: 'The device has been lost.' });
    await expect(channel.write(new Uint8Array([0x41]))).rejects.toMatchObject({ name: 'NetworkError' });
  });

  it('refuses writes to an unplugged device before start reports it', async () => {
    const modem = await HuaweiModemEmulator.create('demo');
    modems.push(modem);
    modem.unplug();
    const channel = emulatorChannel(modem, { name: 'lab modem' });
    expect(channel.name).toBe('lab modem');
    await expect(channel.write(new Uint8Array([0x41]))).rejects.toMatchObject({ name: 'NetworkError' });
  });

  it('close() reports onClose() once without an error, detaches, and is idempotent', async () => {
    const { modem, channel, closes, received } = await setUp();
    await channel.close();
    await channel.close();
    expect(closes).toEqual([undefined]);
    await expect(channel.write(new Uint8Array([0x41]))).rejects.toThrow(/closed/);
    modem.receive('AT\r');
    await modem.whenIdle();
    expect(received()).toBe('');
    // The port is free for the next client.
    expect(() => modem.attach(() => undefined)()).not.toThrow();
  });

  it('delivers chunked, noisy output that a line reassembler turns back into whole lines', async () => {
    const { at } = await setUp({
      echo: false,
      chunking: { seed: 9, maxChunk: 3 },
      urcNoise: { intervalMs: 0, midResponseRate: 1, kinds: ['RSSI'], seed: 2 },
    });
    const answer = await at('AT+CSIM=10,"00A4080C02"');
    const lines = answer.split('\r\n').filter((l) => l.length > 0);
    expect(lines.filter((l) => !l.startsWith('^RSSI: '))).toEqual(['+CSIM: 4,"6700"', 'OK']);
    expect(lines.length).toBeGreaterThan(2);
  });
});
