/**
 * The connector against a scripted vpcd peer: a real TCP server speaking the vpcd protocol, used for
 * what the real pcscd never does (malformed frames, several messages in one segment, a card that
 * throws). The behaviour through the real pcscd is in connection.test.ts.
 */
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { fromHex, toHex } from '@krypton-web/krypton-core';
import type { VirtualCard } from '../card/virtual-card.ts';
import { TINY_CARD_ATR, TinyCard } from '../rigs/index.ts';
import { connectCardToVpcd, type VpcdConnection, type VpcdEvent } from './connection.ts';
import { FrameDecoder, encodeFrame } from './framing.ts';

/** One accepted card connection on the peer: send raw bytes, read framed answers. */
interface PeerSide {
  socket: net.Socket;
  send(hex: string): void;
  /** The next `n` framed payloads the card sends back, as hex. */
  answers(n: number, timeoutMs?: number): Promise<string[]>;
}

async function startPeer(): Promise<{ port: number; accepted: () => Promise<PeerSide>; close: () => Promise<void> }> {
  const queue: PeerSide[] = [];
  const waiting: ((s: PeerSide) => void)[] = [];
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.setNoDelay(true);
    const decoder = new FrameDecoder();
    const received: string[] = [];
    let notify: (() => void) | undefined;
    socket.on('data', (chunk) => {
      received.push(...decoder.push(chunk).map(toHex));
      notify?.();
    });
    socket.on('error', () => undefined);
    const side: PeerSide = {
      socket,
      send: (hex) => socket.write(fromHex(hex.replace(/ /g, ''))),
      answers: (n, timeoutMs = 2000) =>
        new Promise((resolve, reject) => {
          const timer = setTimeout(
            () => reject(new Error(`peer got ${received.length} of ${n} answers: ${received.join(' ')}`)),
            timeoutMs,
          );
          notify = () => {
            if (received.length >= n) {
              clearTimeout(timer);
              notify = undefined;
              resolve(received.splice(0, n));
            }
          };
          notify();
        }),
    };
    const w = waiting.shift();
    if (w) w(side);
    else queue.push(side);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as net.AddressInfo).port,
    accepted: () => new Promise((resolve) => (queue.length > 0 ? resolve(queue.shift()!) : waiting.push(resolve))),
    close: () =>
      new Promise((r) => {
        server.close(() => r());
        for (const socket of sockets) socket.destroy();
      }),
  };
}

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function setup(card: VirtualCard = new TinyCard()) {
  const peer = await startPeer();
  const events: VpcdEvent[] = [];
  let traced = '';
  const conn: VpcdConnection = connectCardToVpcd({
    host: '127.0.0.1',
    port: peer.port,
    card,
    backoff: { initialMs: 10, maxMs: 20 },
    onEvent: (e) => events.push(e),
    trace: { write: (t) => (traced += t) },
  });
  cleanups.push(peer.close, () => conn.close());
  const side = await peer.accepted();
  return { peer, side, conn, events, card, traced: () => traced };
}

describe('VpcdConnection against a scripted vpcd peer', () => {
  it('answers several messages that arrive in one segment, in order', async () => {
    const card = new TinyCard();
    const { side } = await setup(card);
    // power on, get ATR, APDU, get ATR: only the ATR requests and the APDU are answered.
    side.send('0001 01 0001 04 0005 80ca000002 0001 04');
    expect(await side.answers(3)).toEqual([toHex(TINY_CARD_ATR), '00019000', toHex(TINY_CARD_ATR)]);
    expect(card.events).toEqual(['on']);
  });

  it('reassembles an APDU split across segments, length included', async () => {
    const { side } = await setup();
    side.send('00');
    await new Promise((r) => setTimeout(r, 20));
    side.send('08 80ee00');
    await new Promise((r) => setTimeout(r, 20));
    side.send('0003 0a0b0c');
    expect(await side.answers(1)).toEqual(['0c0b0a9000']);
  });

  it('gives the card one command at a time even when vpcd sends the next one early', async () => {
    let active = 0;
    let maxActive = 0;
    const card = new TinyCard();
    const transmit = card.transmit.bind(card);
    card.transmit = async (apdu) => {
      maxActive = Math.max(maxActive, ++active);
      await new Promise((r) => setTimeout(r, 30));
      try {
        return await transmit(apdu);
      } finally {
        active--;
      }
    };
    const { side } = await setup(card);
    side.send('0005 80ca000001 0005 80ca000002 0001 04 0006 80ee000001ff');
    expect(await side.answers(4)).toEqual(['009000', '00019000', toHex(TINY_CARD_ATR), 'ff9000']);
    expect(maxActive).toBe(1);
  });

  it('answers 6F00 when the card throws, and says so', async () => {
    const card = new TinyCard();
    card.transmit = async () => {
      throw new Error('boom');
    };
    const { side, events } = await setup(card);
    side.send('0005 00b0000009');
    expect(await side.answers(1)).toEqual(['6f00']);
    expect(events).toContainEqual({
      type: 'error',
      error: expect.objectContaining({ code: 'CARD_FAILED', message: expect.stringContaining('boom') }),
    });
  });

  it('answers 6F00 when the card returns no status word', async () => {
    const card = new TinyCard();
    card.transmit = async () => fromHex('90');
    const { side } = await setup(card);
    side.send('0005 00b0000009');
    expect(await side.answers(1)).toEqual(['6f00']);
  });

  it('ignores an unknown control code and stays in step', async () => {
    const { side, events } = await setup();
    side.send('0001 07 0001 04');
    expect(await side.answers(1)).toEqual([toHex(TINY_CARD_ATR)]);
    expect(events).toContainEqual({ type: 'error', error: expect.objectContaining({ code: 'UNKNOWN_CONTROL' }) });
  });

  it('drops the connection on a malformed frame and dials again', async () => {
    const card = new TinyCard();
    const { peer, side, conn, events } = await setup(card);
    side.send('0001 01');
    await new Promise((r) => setTimeout(r, 30));
    side.send('0000');
    const again = await peer.accepted();
    expect(events).toContainEqual({ type: 'error', error: expect.objectContaining({ code: 'EMPTY_FRAME' }) });
    expect(events).toContainEqual({ type: 'disconnected', reason: 'malformed data from vpcd', retryInMs: 10 });
    // Losing the reader removed power: the card was on, now off.
    expect(card.events).toEqual(['on', 'off']);
    again.send('0001 04');
    expect(await again.answers(1)).toEqual([toHex(TINY_CARD_ATR)]);
    expect(conn.state).toBe('connected');
  });

  it('drops a frame longer than the configured bound', async () => {
    const peer = await startPeer();
    const events: VpcdEvent[] = [];
    const conn = connectCardToVpcd({
      host: '127.0.0.1',
      port: peer.port,
      card: new TinyCard(),
      maxFramePayload: 16,
      backoff: { initialMs: 10 },
      onEvent: (e) => events.push(e),
    });
    cleanups.push(peer.close, () => conn.close());
    const side = await peer.accepted();
    side.send('0011');
    await peer.accepted();
    expect(events).toContainEqual({ type: 'error', error: expect.objectContaining({ code: 'FRAME_TOO_LARGE' }) });
  });

  it('writes each answer as length and data in one write', async () => {
    const { side } = await setup();
    const chunks: string[] = [];
    side.socket.prependListener('data', (c: Buffer) => chunks.push(c.toString('hex')));
    side.send('0005 80ca000010');
    await side.answers(1);
    expect(chunks).toEqual([toHex(encodeFrame(fromHex('000102030405060708090a0b0c0d0e0f9000')))]);
  });

  it('drops the answer of a command whose card was removed meanwhile', async () => {
    const card = new TinyCard();
    card.delayMs = 100;
    const { side, conn, events } = await setup(card);
    side.send('0005 80ca000001');
    await new Promise((r) => setTimeout(r, 20));
    await conn.close();
    expect(card.commands.map(toHex)).toEqual(['80ca000001']);
    expect(events.filter((e) => e.type === 'apdu')).toEqual([]);
    await expect(side.answers(1, 200)).rejects.toThrow(/got 0 of 1/);
  });
});
