import { describe, expect, it } from 'vitest';
import { TransportError } from '@krypton-web/krypton-core';
import { ExclusiveTransport } from './exclusive-transport.ts';
import { MemoryCardTransport } from './memory-card-transport.ts';

/** A link whose card answers only when told, recording when its exchange starts and when it is released. */
class ObservedLink extends ExclusiveTransport {
  readonly kind = 'test';
  readonly name = 'observed link';
  private answerNow: (() => void) | undefined;

  constructor(private readonly events: string[]) {
    super();
  }

  /** Lets the card answer the command it holds. */
  answer(): void {
    this.answerNow?.();
  }

  protected exchange(): Promise<Uint8Array> {
    this.events.push('exchange started');
    return new Promise((resolve) => (this.answerNow = () => resolve(new Uint8Array([0x90, 0x00]))));
  }

  protected async release(): Promise<void> {
    this.events.push('released');
  }
}

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
    const events: string[] = [];
    const link = new ObservedLink(events);
    const pending = link.transmit(new Uint8Array([0, 0xa4, 0, 0])).then((r) => {
      events.push('exchange settled');
      return r;
    });
    const closed = link.close().then(() => events.push('close resolved'));
    // While the card has not answered, close() neither releases the link nor resolves.
    await new Promise((r) => setTimeout(r, 30));
    expect(events).toEqual(['exchange started']);
    expect(link.closed).toBe(true);
    // A new command is refused at once, even before the link is released.
    await expect(link.transmit(new Uint8Array([0, 0xb0, 0, 0]))).rejects.toMatchObject({ code: 'TRANSPORT_CLOSED' });
    link.answer();
    await expect(pending).resolves.toEqual(new Uint8Array([0x90, 0x00]));
    await closed;
    expect(events).toEqual(['exchange started', 'exchange settled', 'released', 'close resolved']);
    await expect(link.transmit(new Uint8Array([0, 0xa4, 0, 0]))).rejects.toBeInstanceOf(TransportError);
    // Idempotent: a second close() releases nothing twice.
    await link.close();
    expect(events.filter((e) => e === 'released')).toHaveLength(1);
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
    // The card sits on the first command for good; it answers the next one.
    const seen: string[] = [];
    const card = {
      transmit: (apdu: Uint8Array) => {
        seen.push(Array.from(apdu, (b) => b.toString(16).padStart(2, '0')).join(''));
        return seen.length === 1 ? new Promise<Uint8Array>(() => undefined) : Promise.resolve(new Uint8Array([0x90, 0x00]));
      },
    };
    const link = new MemoryCardTransport(card);
    const controller = new AbortController();
    const pending = link.transmit(new Uint8Array([0, 0xa4, 0, 0]), { signal: controller.signal });
    controller.abort();
    await expect(pending).rejects.toMatchObject({ code: 'ABORTED' });
    // Freed: the next command is sent and answered (not TRANSPORT_BUSY), and close() does not wait for the abandoned one.
    await expect(link.transmit(new Uint8Array([0, 0xb0, 0, 0]))).resolves.toEqual(new Uint8Array([0x90, 0x00]));
    expect(seen).toEqual(['00a40000', '00b00000']);
    await expect(
      Promise.race([link.close().then(() => 'closed'), new Promise((r) => setTimeout(() => r('still waiting'), 500))]),
    ).resolves.toBe('closed');
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
