import { describe, expect, it } from 'vitest';
import { latin1, settle } from './at.test-support.ts';
import { memoryChannelPair, scriptedModem } from './memory-channel.ts';

const text = (chunks: Uint8Array[]) => chunks.map((c) => String.fromCharCode(...c)).join('');

describe('memoryChannelPair', () => {
  it('carries bytes both ways, asynchronously and in order, and buffers until start()', async () => {
    const [a, b] = memoryChannelPair();
    const toA: Uint8Array[] = [];
    const toB: Uint8Array[] = [];
    await a.write(latin1('hello '));
    await a.write(latin1('world'));
    b.start({ onData: (c) => toB.push(c), onClose: () => undefined });
    a.start({ onData: (c) => toA.push(c), onClose: () => undefined });
    const sending = b.write(latin1('back'));
    // Never inside the sender's write() call, as with a real port.
    expect(toA).toEqual([]);
    await sending;
    await settle();
    expect(text(toB)).toBe('hello world');
    expect(text(toA)).toBe('back');
  });

  it('copies what is written', async () => {
    const [a, b] = memoryChannelPair();
    const got: Uint8Array[] = [];
    b.start({ onData: (c) => got.push(c), onClose: () => undefined });
    const buffer = latin1('AT');
    await a.write(buffer);
    buffer.fill(0);
    await settle();
    expect(text(got)).toBe('AT');
  });

  it('cuts writes with the chunker', async () => {
    const [a, b] = memoryChannelPair({ chunker: (bytes) => Array.from(bytes, (x) => new Uint8Array([x])) });
    const got: Uint8Array[] = [];
    b.start({ onData: (c) => got.push(c), onClose: () => undefined });
    await a.write(latin1('OK\r\n'));
    await settle();
    expect(got).toHaveLength(4);
    expect(text(got)).toBe('OK\r\n');
  });

  it('close() ends both ends: the other sees an error, the closer none; data already sent arrives first', async () => {
    const [a, b] = memoryChannelPair({ names: ['host', 'device'] });
    const events: string[] = [];
    a.start({ onData: (c) => events.push(`a data ${text([c])}`), onClose: (e) => events.push(`a close ${e?.message ?? '-'}`) });
    b.start({ onData: (c) => events.push(`b data ${text([c])}`), onClose: (e) => events.push(`b close ${e?.message ?? '-'}`) });
    await b.write(latin1('OK'));
    await b.close();
    await b.close();
    await settle();
    expect(events).toEqual(['a data OK', 'b close -', 'a close device closed the channel']);
    await expect(a.write(latin1('AT'))).rejects.toMatchObject({ code: 'TRANSPORT_CLOSED' });
    expect(a.closed && b.closed).toBe(true);
  });

  it('disconnect(error) hands the error to the other end', async () => {
    const [a, b] = memoryChannelPair();
    let seen: Error | undefined;
    a.start({ onData: () => undefined, onClose: (e) => (seen = e) });
    b.start({ onData: () => undefined, onClose: () => undefined });
    b.disconnect(new Error('the device has been lost'));
    await settle();
    expect(seen?.message).toBe('the device has been lost');
  });

  it('refuses a second start()', () => {
    const [a] = memoryChannelPair();
    a.start({ onData: () => undefined, onClose: () => undefined });
    expect(() => a.start({ onData: () => undefined, onClose: () => undefined })).toThrow(/twice/);
  });
});

describe('scriptedModem', () => {
  it('echoes while echo is on, answers with framed lines, records commands, switches echo with ATE0', async () => {
    const modem = scriptedModem(
      (c) => (c === 'AT+CSQ' ? ['+CSQ: 23,99', 'OK'] : c === 'ATX' ? 'raw\r' : c === 'ATS' ? undefined : ['OK']),
      { echo: true },
    );
    const got: Uint8Array[] = [];
    modem.channel.start({ onData: (c) => got.push(c), onClose: () => undefined });
    await modem.channel.write(latin1('AT+CSQ\r'));
    await settle();
    expect(text(got)).toBe('AT+CSQ\r\r\n+CSQ: 23,99\r\n\r\nOK\r\n');
    got.length = 0;
    await modem.channel.write(latin1('ATE0\r\nATX\rATS\r\x1b'));
    await settle();
    expect(text(got)).toBe('ATE0\r\r\nOK\r\nraw\r');
    expect(modem.commands).toEqual(['AT+CSQ', 'ATE0', 'ATX', 'ATS', '<ESC>']);
    expect(modem.echo).toBe(false);
  });

  it('sends URCs and unplugs on demand', async () => {
    const modem = scriptedModem(() => ['OK']);
    const got: Uint8Array[] = [];
    let closed: Error | undefined;
    modem.channel.start({ onData: (c) => got.push(c), onClose: (e) => (closed = e) });
    modem.sendLines('^RSSI: 17', 'RING');
    modem.send('garbage');
    modem.unplug();
    await settle();
    expect(text(got)).toBe('\r\n^RSSI: 17\r\n\r\nRING\r\ngarbage');
    expect(closed?.message).toBe('the device has been lost');
  });
});
