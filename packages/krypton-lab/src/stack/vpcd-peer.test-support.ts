/**
 * A scripted stand-in for pcscd's vpcd side, for the stack's tests that must not depend on pcscd's
 * timing or on other PC/SC clients on the machine: it accepts card connections, powers each card
 * when told, and sends it APDUs.
 */
import net from 'node:net';
import { fromHex, toHex } from '@krypton-web/krypton-core';
import { FrameDecoder, encodeFrame } from '../vpcd/framing.ts';

/** One card connected to the peer. */
export interface PeerCard {
  /** Sends vpcd's power-on then get-ATR controls; resolves with the ATR (hex). */
  powerOn(): Promise<string>;
  /** Sends one command APDU (hex) and resolves with the response (hex). */
  transmit(apduHex: string): Promise<string>;
  /** Resolves when the card side closes the connection (the card was pulled out). */
  readonly closed: Promise<void>;
}

/** A listening scripted peer. */
export interface VpcdPeer {
  port: number;
  /** The next card that connects (already connected ones first). */
  nextCard(timeoutMs?: number): Promise<PeerCard>;
  close(): Promise<void>;
}

/** Starts a peer on a free loopback port; with `autoPower`, every card is powered as soon as it connects. */
export async function startVpcdPeer(options: { autoPower?: boolean } = {}): Promise<VpcdPeer> {
  const cards: PeerCard[] = [];
  const waiting: ((card: PeerCard) => void)[] = [];
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => undefined);
    const decoder = new FrameDecoder();
    const replies: ((payload: string) => void)[] = [];
    socket.on('data', (chunk) => {
      for (const frame of decoder.push(chunk)) replies.shift()?.(toHex(frame));
    });
    const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
    const ask = (payload: Uint8Array): Promise<string> =>
      new Promise((resolve) => {
        replies.push(resolve);
        socket.write(encodeFrame(payload));
      });
    const card: PeerCard = {
      powerOn: async () => {
        socket.write(encodeFrame(fromHex('01')));
        return ask(fromHex('04'));
      },
      transmit: (apduHex) => ask(fromHex(apduHex)),
      closed,
    };
    if (options.autoPower) void card.powerOn();
    const w = waiting.shift();
    if (w) w(card);
    else cards.push(card);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    nextCard: (timeoutMs = 5000) => {
      const ready = cards.shift();
      if (ready) return Promise.resolve(ready);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no card connected to the vpcd peer within ${timeoutMs} ms`)), timeoutMs);
        waiting.push((card) => {
          clearTimeout(timer);
          resolve(card);
        });
      });
    },
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
