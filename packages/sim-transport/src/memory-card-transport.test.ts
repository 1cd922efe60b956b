import { describe, expect, it } from 'vitest';
import { exchange, fromHex } from '@krypton-web/krypton-core';
import { MemoryCardTransport } from './memory-card-transport.ts';

describe("MemoryCardTransport under krypton-core's exchange", () => {
  it('through the in-memory link: closed link, busy link and cancellation', async () => {
    let release: (() => void) | undefined;
    const slow = { transmit: () => new Promise<Uint8Array>((resolve) => (release = () => resolve(fromHex('9000')))) };
    const link = new MemoryCardTransport(slow);
    const first = exchange(link, fromHex('00B0870009'));
    await expect(exchange(link, fromHex('00B0870009'))).rejects.toMatchObject({ code: 'TRANSPORT_BUSY' });
    release!();
    await first;
    const controller = new AbortController();
    const cancelled = exchange(link, fromHex('00B0870009'), { signal: controller.signal });
    controller.abort();
    await expect(cancelled).rejects.toMatchObject({ code: 'ABORTED' });
    release!();
    await link.close();
    await expect(exchange(link, fromHex('00B0870009'))).rejects.toMatchObject({
      code: 'TRANSPORT_CLOSED',
      action: expect.stringMatching(/reconnect/i),
    });
  });
});
