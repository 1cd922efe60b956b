import { describe, expect, it } from 'vitest';
import { TransportError } from '@krypton-web/krypton-core';
import { MemoryCardTransport } from './memory-card-transport.ts';

function slowCard(ms = 20) {
  const seen: string[] = [];
  return {
    seen,
    async transmit(apdu: Uint8Array) {
      seen.push(Array.from(apdu, (b) => b.toString(16).padStart(2, '0')).join(''));
      await new Promise((r) => setTimeout(r, ms));
      return new Uint8Array([0x90, 0x00]);
    },
  };
}

describe('the rules every link shares', () => {
  it('refuses a second exchange while one is in flight, without sending it', async () => {
    const card = slowCard();
    const link = new MemoryCardTransport(card);
    const first = link.transmit(new Uint8Array([0, 0xa4, 0, 0]));
    await expect(link.transmit(new Uint8Array([0, 0xb0, 0, 0]))).rejects.toMatchObject({ code: 'TRANSPORT_BUSY' });
    await expect(first).resolves.toEqual(new Uint8Array([0x90, 0x00]));
    expect(card.seen).toEqual(['00a40000']);
    await expect(link.transmit(new Uint8Array([0, 0xb0, 0, 0]))).resolves.toHaveLength(2);
  });

  it('waits for the exchange in flight on close(), then refuses new ones', async () => {
    const link = new MemoryCardTransport(slowCard(30));
    const pending = link.transmit(new Uint8Array([0, 0xa4, 0, 0]));
    const closed = link.close();
    await expect(pending).resolves.toHaveLength(2);
    await closed;
    await expect(link.transmit(new Uint8Array([0, 0xa4, 0, 0]))).rejects.toBeInstanceOf(TransportError);
    await expect(link.transmit(new Uint8Array([0, 0xa4, 0, 0]))).rejects.toMatchObject({ code: 'TRANSPORT_CLOSED' });
    await link.close();
  });

  it('refuses APDUs shorter than a header or longer than a short APDU', async () => {
    const link = new MemoryCardTransport(slowCard(0));
    await expect(link.transmit(new Uint8Array(3))).rejects.toThrow(RangeError);
    await expect(link.transmit(new Uint8Array(262))).rejects.toThrow(RangeError);
  });

  it('rejects an answer without a status word', async () => {
    const link = new MemoryCardTransport({ transmit: async () => new Uint8Array([0x90]) });
    await expect(link.transmit(new Uint8Array(4))).rejects.toMatchObject({ code: 'TRANSPORT_FAILED' });
  });

  it('gives up waiting when the caller aborts, and frees the link', async () => {
    const link = new MemoryCardTransport({ transmit: () => new Promise(() => undefined) });
    const controller = new AbortController();
    const pending = link.transmit(new Uint8Array(4), { signal: controller.signal });
    controller.abort();
    await expect(pending).rejects.toMatchObject({ code: 'ABORTED' });
  });

  it('copies the APDU, so the caller may reuse its buffer at once', async () => {
    const seen: string[] = [];
    const card = {
      async transmit(apdu: Uint8Array) {
        await new Promise((r) => setTimeout(r, 5));
        seen.push(Array.from(apdu, (b) => b.toString(16).padStart(2, '0')).join(''));
        return new Uint8Array([0x90, 0x00]);
      },
    };
    const link = new MemoryCardTransport(card);
    const apdu = new Uint8Array([0, 0xa4, 0, 0]);
    const p = link.transmit(apdu);
    apdu.fill(0xff);
    await p;
    expect(seen).toEqual(['00a40000']);
  });
});
