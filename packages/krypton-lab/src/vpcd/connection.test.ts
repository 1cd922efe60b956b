/**
 * The connector against the real pcscd + vpcd driver, observed through the real pcsclite library
 * (by way of sim-transport's PC/SC link, the product's one PC/SC client).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fromHex, toHex } from '@krypton-web/krypton-core';
import { PcscService, PcscTransport, type PcscReaderInfo } from '@krypton-web/sim-transport/node';
import { TINY_CARD_ATR, TinyCard, enableLoopbackQuickAck, findFreePortPair, startPcscd, type PcscdHandle } from '../rigs/index.ts';
import { connectCardToVpcd, type VpcdConnection, type VpcdEvent } from './connection.ts';
import { VpcdControl } from './framing.ts';

let pcscd: PcscdHandle;
beforeAll(async () => {
  pcscd = await startPcscd();
}, 150_000);
afterAll(async () => {
  await pcscd?.stop();
});

/** Collects trace text like a writable stream would. */
function traceSink() {
  let text = '';
  return { write: (t: string) => (text += t), text: () => text };
}

/** Waits until pcscd reports this file's reader empty (it polls vpcd about every 400 ms), and returns what it reports. */
async function readerEmpty(service: PcscService, timeoutMs = 5000): Promise<PcscReaderInfo> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const info = service.readers.find((r) => r.name === pcscd.readerName);
    if (info?.card === 'empty') return info;
    if (Date.now() > deadline)
      throw new Error(`reader "${pcscd.readerName}" not empty within ${timeoutMs} ms (card: ${info?.card ?? 'no such reader'})`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Waits for the card in this file's reader and returns what pcscd reports (with its ATR). */
function cardPresent(service: PcscService, timeoutMs = 5000): Promise<PcscReaderInfo> {
  return service.waitForCard({ reader: pcscd.readerName, timeoutMs });
}

/** Connects to the card as any PC/SC application would; shared and left powered on close, so the card sees no reset of ours. */
function connect(service: PcscService): Promise<PcscTransport> {
  return PcscTransport.open(pcscd.readerName, { service, share: 'shared' });
}

/** Runs `body` with a card connected to this file's pcscd and a PC/SC context, closing both after. */
async function withCard(
  body: (ctx: { card: TinyCard; conn: VpcdConnection; service: PcscService; events: VpcdEvent[]; trace: () => string }) => Promise<void>,
  host = '127.0.0.1',
): Promise<void> {
  const service = await PcscService.open();
  // pcscd notices a card removed by the previous test only on its next poll: wait for that, or
  // this test would see the old card's presence and talk to a card that is gone.
  await readerEmpty(service);
  const card = new TinyCard();
  const events: VpcdEvent[] = [];
  const sink = traceSink();
  const conn = connectCardToVpcd({ host, port: pcscd.vpcdPort, card, trace: sink, onEvent: (e) => events.push(e) });
  try {
    await body({ card, conn, service, events, trace: sink.text });
  } finally {
    await service.close();
    await conn.close();
  }
}

/** Sends `count` APDUs and returns the mean and median round trip through pcsclite → pcscd → vpcd → card. */
async function measure(service: PcscService, count: number): Promise<{ mean: number; median: number }> {
  await cardPresent(service);
  const link = await connect(service);
  const times: number[] = [];
  try {
    for (let i = 0; i < count; i++) {
      const t0 = performance.now();
      const r = await link.transmit(fromHex('00a40000023f00'));
      times.push(performance.now() - t0);
      expect(toHex(r)).toBe('9000');
    }
  } finally {
    await link.close();
  }
  times.sort((a, b) => a - b);
  return { mean: times.reduce((a, b) => a + b, 0) / count, median: times[Math.floor(count / 2)]! };
}

describe('connectCardToVpcd through a real pcscd', () => {
  it('shows the card in the reader with its ATR and answers APDUs through pcsclite', async () => {
    await withCard(async ({ card, conn, service, events, trace }) => {
      await conn.whenConnected();
      expect(conn.state).toBe('connected');
      expect((await service.listReaders()).map((r) => r.name)).toContain(pcscd.readerName);
      const status = await cardPresent(service);
      expect(toHex(status.atr)).toBe(toHex(TINY_CARD_ATR));

      // PcscTransport.transmit passes each APDU and the card's raw answer through, no GET RESPONSE of its own.
      const link = await connect(service);
      expect(link.protocol).toBe('T=0'); // as the ATR implies
      expect(toHex(link.atr)).toBe(toHex(TINY_CARD_ATR));
      expect(toHex(await link.transmit(fromHex('80ca000004')))).toBe('000102039000');
      expect(toHex(await link.transmit(fromHex('80ee000003abcdef')))).toBe('efcdab9000');
      expect(toHex(await link.transmit(fromHex('00ff000000')))).toBe('6d00');
      await link.close();

      expect(card.commands.map(toHex)).toEqual(['80ca000004', '80ee000003abcdef', '00ff000000']);
      expect(card.events).toContain('on');
      expect(events.some((e) => e.type === 'control' && e.code === VpcdControl.GetAtr)).toBe(true);
      expect(events.filter((e) => e.type === 'apdu')).toHaveLength(3);
      expect(trace()).toBe('=> 80ca000004\n<= 000102039000\n=> 80ee000003abcdef\n<= efcdab9000\n=> 00ff000000\n<= 6d00\n');
    });
  });

  it('removing the card (closing the connection) makes pcscd report the reader empty, and inserting it brings it back', async () => {
    await withCard(async ({ card, conn, service, events }) => {
      await cardPresent(service);
      const link = await connect(service);
      expect(toHex(await link.transmit(fromHex('00a40000023f00')))).toBe('9000');
      expect(card.events.at(-1)).toBe('on');

      await conn.remove();
      expect(conn.state).toBe('removed');
      const empty = await readerEmpty(service);
      expect(empty.atr).toHaveLength(0);
      // Pulled out of the reader, the card lost power; the application's connection is dead, and
      // pcscd itself refuses a new one to the empty reader.
      expect(card.events.at(-1)).toBe('off');
      expect(events.at(-1)).toEqual({ type: 'disconnected', reason: 'card removed', retryInMs: undefined });
      await expect(link.transmit(fromHex('00a40000023f00'))).rejects.toMatchObject({ code: 'NO_CARD', problem: 'card-removed' });
      expect(link.state).toBe('lost');
      await link.close();
      await expect(connect(service)).rejects.toMatchObject({ code: 'NO_CARD' });

      conn.insert();
      await conn.whenConnected();
      const back = await cardPresent(service);
      expect(toHex(back.atr)).toBe(toHex(TINY_CARD_ATR));
      const again = await connect(service);
      expect(toHex(await again.transmit(fromHex('80ca000001')))).toBe('009000');
      await again.close();
    });
  });

  it('reconnects by itself when pcscd is restarted on the same port', async () => {
    await withCard(async ({ conn, service, events }) => {
      await cardPresent(service);
      await service.close();
      const pidBefore = pcscd.pid;
      await pcscd.restart();
      expect(pcscd.pid).not.toBe(pidBefore);

      const fresh = await PcscService.open();
      try {
        await cardPresent(fresh, 10_000);
        expect(conn.state).toBe('connected');
        const types = events.map((e) => e.type);
        const lost = types.indexOf('disconnected');
        expect(lost).toBeGreaterThan(-1);
        expect(types.indexOf('connected', lost)).toBeGreaterThan(lost);
        const link = await connect(fresh);
        expect(toHex(await link.transmit(fromHex('80ca000002')))).toBe('00019000');
        await link.close();
      } finally {
        await fresh.close();
      }
    });
  }, 60_000);

  it('stops for good on close(): the reader empties and no redial follows', async () => {
    const card = new TinyCard();
    const events: VpcdEvent[] = [];
    const conn = connectCardToVpcd({ host: '127.0.0.1', port: pcscd.vpcdPort, card, onEvent: (e) => events.push(e) });
    const service = await PcscService.open();
    try {
      await cardPresent(service);
      await conn.close();
      expect(conn.state).toBe('closed');
      await readerEmpty(service);
      const count = events.length;
      await new Promise((r) => setTimeout(r, 400));
      expect(events.slice(count).filter((e) => e.type === 'connecting')).toEqual([]);
      await expect(conn.whenConnected()).rejects.toMatchObject({ code: 'CLOSED' });
    } finally {
      await service.close();
    }
  });

  it('measures the round trip per APDU through pcscd (printed, not asserted)', async () => {
    const count = 40;
    let plain = { mean: 0, median: 0 };
    await withCard(async ({ service }) => {
      plain = await measure(service, count);
    });
    let quick = 'not measured (set KRYPTON_LAB_QUICKACK_ROUTE=1, as root, to add a quickack route for 127.77.0.1)';
    if (process.env.KRYPTON_LAB_QUICKACK_ROUTE === '1') {
      const route = await enableLoopbackQuickAck();
      try {
        await withCard(async ({ service }) => {
          const r = await measure(service, count);
          quick = `mean ${r.mean.toFixed(2)} ms, median ${r.median.toFixed(2)} ms`;
        }, route.address);
      } finally {
        await route.disable();
      }
    }
    console.log(
      `vpcd round trip per APDU over ${count} SELECTs (pcsclite → pcscd → vpcd → card, Nagle off on the card side):\n` +
        `  card at 127.0.0.1:         mean ${plain.mean.toFixed(2)} ms, median ${plain.median.toFixed(2)} ms\n` +
        `  card at 127.77.0.1 (quickack route): ${quick}`,
    );
    expect(plain.mean).toBeGreaterThan(0);
  }, 60_000);
});

describe('connectCardToVpcd when nothing listens', () => {
  it('keeps redialling with a growing backoff, times out a waiter, and stops on close()', async () => {
    const port = await findFreePortPair();
    const events: VpcdEvent[] = [];
    const conn = connectCardToVpcd({
      host: '127.0.0.1',
      port,
      card: new TinyCard(),
      backoff: { initialMs: 20, maxMs: 80 },
      onEvent: (e) => events.push(e),
    });
    await expect(conn.whenConnected(300)).rejects.toMatchObject({ code: 'TIMEOUT', message: expect.stringContaining(`127.0.0.1:${port}`) });
    const failures = events.flatMap((e) => (e.type === 'connect-failed' ? [e] : []));
    expect(failures.length).toBeGreaterThanOrEqual(3);
    expect(failures[0]).toMatchObject({ attempt: 1, reason: 'ECONNREFUSED', retryInMs: 20 });
    expect(failures.map((f) => f.retryInMs).slice(0, 4)).toEqual([20, 40, 80, 80].slice(0, Math.min(4, failures.length)));
    const waiting = conn.whenConnected(5000);
    await conn.close();
    await expect(waiting).rejects.toMatchObject({ code: 'CLOSED' });
    const after = events.length;
    await new Promise((r) => setTimeout(r, 150));
    expect(events.length).toBe(after);
  });

  it.each([
    [{ host: '', port: 1 }, /host/],
    [{ host: 'localhost', port: 0 }, /port/],
    [{ host: 'localhost', port: 70000 }, /port/],
    [{ host: 'localhost', port: 1, backoff: { initialMs: 500, maxMs: 100 } }, /backoff/],
  ])('refuses bad options %o', (options, message) => {
    expect(() => connectCardToVpcd({ ...options, card: new TinyCard() })).toThrow(message);
  });
});
