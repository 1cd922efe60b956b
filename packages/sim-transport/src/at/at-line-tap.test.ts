import { describe, expect, it } from 'vitest';
import type { SerialChannel, SerialChannelHandlers } from '../serial-channel.ts';
import { tapChannel } from './at-line-tap.ts';

/** A channel whose received bytes the test plays in, and whose written bytes it keeps. */
function playedChannel(): { channel: SerialChannel; receive: (text: string) => void; written: string[] } {
  let handlers: SerialChannelHandlers | undefined;
  const written: string[] = [];
  const channel: SerialChannel = {
    name: 'played',
    start: (h) => void (handlers = h),
    write: async (bytes) => void written.push(new TextDecoder().decode(bytes)),
    close: async () => undefined,
  };
  return { channel, receive: (text) => handlers?.onData(new TextEncoder().encode(text)), written };
}

describe('tapChannel', () => {
  it('hands each whole line of each direction to the tap, however the bytes are cut, and passes the bytes through untouched', async () => {
    const inner = playedChannel();
    const lines: string[] = [];
    const received: string[] = [];
    const tapped = tapChannel(inner.channel, (dir, line) => lines.push(`${dir} ${line}`));
    tapped.start({ onData: (b) => received.push(new TextDecoder().decode(b)), onClose: () => undefined });
    await tapped.write(new TextEncoder().encode('AT+CSIM=10,"00C0'));
    await tapped.write(new TextEncoder().encode('000035"\r'));
    inner.receive('\r\n+CSIM: 4,');
    inner.receive('"6135"\r\n\r\nOK\r\n');
    expect(lines).toEqual(['send AT+CSIM=10,"00C0000035"', 'recv +CSIM: 4,"6135"', 'recv OK']);
    expect(inner.written.join('')).toBe('AT+CSIM=10,"00C0000035"\r');
    expect(received.join('')).toBe('\r\n+CSIM: 4,"6135"\r\n\r\nOK\r\n');
  });

  it('keeps the modem conversation going when the tap throws', async () => {
    const inner = playedChannel();
    const received: string[] = [];
    const tapped = tapChannel(inner.channel, () => {
      throw new Error('a broken recorder');
    });
    tapped.start({ onData: (b) => received.push(new TextDecoder().decode(b)), onClose: () => undefined });
    await tapped.write(new TextEncoder().encode('AT\r'));
    inner.receive('OK\r\n');
    expect(inner.written).toEqual(['AT\r']);
    expect(received).toEqual(['OK\r\n']);
  });
});
