import { Usim } from '@krypton-web/krypton-core';
import { PcscService, PcscTransport, type PcscServiceEvent } from '@krypton-web/sim-transport/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoProfileSet, findSim } from '../profiles/index.ts';
import { findFreePortPair, startPcscd, type PcscdHandle } from '../rigs/index.ts';
import { openCardStack, type CardStack, type CardStackEvent } from './index.ts';
import { startVpcdPeer } from './vpcd-peer.test-support.ts';

/**
 * Opens a reader exclusively, waiting while another program holds the card: PC/SC clients of other
 * test runs on the machine dial whichever pcscd runs, ours included, and may hold a card a moment.
 */
async function openWhenFree(service: PcscService, reader: string): Promise<PcscTransport> {
  const deadline = Date.now() + 5000;
  for (;;) {
    try {
      return await PcscTransport.open(reader, { service });
    } catch (e) {
      if ((e as { problem?: string }).problem !== 'sharing-violation' || Date.now() > deadline) throw e;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

/** The stack's events, collected. */
function record(stack: CardStack): CardStackEvent[] {
  const events: CardStackEvent[] = [];
  stack.on((e) => events.push(e));
  return events;
}

describe('card stack without pcscd', () => {
  it.each<[string, () => unknown, RegExp]>([
    ['no reader', () => openCardStack({ vpcd: [] }), /at least one vpcd reader/],
    ['a port out of range', () => openCardStack({ vpcd: [{ host: '127.0.0.1', port: 70000 }] }), /vpcd\[0\]\.port must be/],
    ['an empty host', () => openCardStack({ vpcd: [{ host: '', port: 1 }] }), /vpcd\[0\]\.host/],
  ])('refuses %s with BAD_OPTION', (_what, open, message) => {
    expect(open).toThrow(expect.objectContaining({ code: 'BAD_OPTION', message: expect.stringMatching(message) }));
  });

  it('refuses unknown SIMs and readers, and timelines it cannot run, before connecting anything', async () => {
    const stack = openCardStack({ vpcd: [{ host: '127.0.0.1', port: 9 }] });
    try {
      await expect(stack.insert(0, 'no-such-sim')).rejects.toMatchObject({ code: 'UNKNOWN_SIM', message: /no SIM named "no-such-sim"/ });
      await expect(stack.insert(1, 'demo')).rejects.toMatchObject({ code: 'NO_SUCH_READER', message: /readers 0 to 0/ });
      expect(() => stack.cardIn(-1)).toThrow(expect.objectContaining({ code: 'NO_SUCH_READER' }));
      await expect(stack.runTimeline({ sims: [], everyMs: 100 })).rejects.toMatchObject({ code: 'BAD_OPTION' });
      await expect(stack.runTimeline({ sims: ['demo', 'nope'], everyMs: 100 })).rejects.toMatchObject({ code: 'UNKNOWN_SIM' });
      await expect(stack.runTimeline({ sims: ['demo'], everyMs: 0 })).rejects.toMatchObject({ code: 'BAD_OPTION' });
      await expect(stack.runTimeline({ sims: ['demo'], everyMs: 100, holdMs: -1 })).rejects.toMatchObject({ code: 'BAD_OPTION' });
    } finally {
      await stack.close();
    }
    await expect(stack.insert(0, 'demo')).rejects.toMatchObject({ code: 'CLOSED' });
  });

  it('says no vpcd answered when nothing listens on the port, and leaves the reader empty', async () => {
    const port = await findFreePortPair();
    const stack = openCardStack({ vpcd: [{ host: '127.0.0.1', port }], insertTimeoutMs: 400 });
    const events = record(stack);
    try {
      await expect(stack.insert(0, 'demo')).rejects.toMatchObject({
        code: 'INSERT_TIMEOUT',
        message: expect.stringContaining(`no vpcd reader answered at 127.0.0.1:${port}`),
      });
      expect(stack.cardIn(0)).toBeUndefined();
      expect(events).toEqual([]);
    } finally {
      await stack.close();
    }
  });
});

describe('card stack against a scripted vpcd', () => {
  it('says a card is in only once vpcd has powered it', async () => {
    const peer = await startVpcdPeer();
    const stack = openCardStack({ vpcd: [{ host: '127.0.0.1', port: peer.port }] });
    try {
      let inserted = false;
      const insert = stack.insert(0, 'demo').then(() => (inserted = true));
      const card = await peer.nextCard();
      await new Promise((r) => setTimeout(r, 200));
      expect(inserted).toBe(false);
      expect(stack.cardIn(0)).toBeUndefined();
      expect(await card.powerOn()).toMatch(/^3b/);
      await insert;
      expect(stack.cardIn(0)).toBe('demo');
    } finally {
      await stack.close();
      await peer.close();
    }
  });

  it('pulls the card out again when vpcd takes it but nobody powers it', async () => {
    const peer = await startVpcdPeer();
    const stack = openCardStack({ vpcd: [{ host: '127.0.0.1', port: peer.port }], insertTimeoutMs: 400 });
    try {
      const insert = stack.insert(0, 'demo-foreign');
      const card = await peer.nextCard();
      await expect(insert).rejects.toMatchObject({
        code: 'INSERT_TIMEOUT',
        message: expect.stringContaining(`vpcd at 127.0.0.1:${peer.port} took SIM "demo-foreign" but pcscd did not power it within 400 ms`),
      });
      await card.closed;
      expect(stack.cardIn(0)).toBeUndefined();
    } finally {
      await stack.close();
      await peer.close();
    }
  });

  it('stops a timeline at once even while vpcd has not powered its card, leaving no card in', async () => {
    const peer = await startVpcdPeer();
    const stack = openCardStack({ vpcd: [{ host: '127.0.0.1', port: peer.port }], insertTimeoutMs: 60_000 });
    const events = record(stack);
    const stop = new AbortController();
    try {
      const run = stack.runTimeline({ sims: ['demo'], everyMs: 100, signal: stop.signal });
      const card = await peer.nextCard();
      const stopped = Date.now();
      stop.abort();
      await run;
      expect(Date.now() - stopped).toBeLessThan(1000);
      await card.closed;
      expect(stack.cardIn(0)).toBeUndefined();
      expect(events).toEqual([]);
    } finally {
      await stack.close();
      await peer.close();
    }
  });

  it('traces each exchange with its reader, secrets masked', async () => {
    const peer = await startVpcdPeer({ autoPower: true });
    const lines: [number, string][] = [];
    const stack = openCardStack({
      vpcd: [
        { host: '127.0.0.1', port: 9 },
        { host: '127.0.0.1', port: peer.port },
      ],
      trace: (reader, line) => lines.push([reader, line]),
    });
    try {
      await stack.insert(1, 'demo-pin');
      const card = await peer.nextCard();
      expect(await card.transmit('00a4040c07a0000000871002')).toBe('9000');
      expect(await card.transmit('002000010831323334ffffffff')).toBe('9000');
      expect(lines).toEqual([
        [1, '=> 00a4040c07a0000000871002'],
        [1, '<= 9000'],
        [1, '=> 0020000108 [8 bytes redacted]'],
        [1, '<= 9000'],
      ]);
    } finally {
      await stack.close();
      await peer.close();
    }
  });
});

describe('card stack in three vpcd readers of a real pcscd', () => {
  let pcscd: PcscdHandle;
  let service: PcscService;
  let pcsc: PcscServiceEvent[];
  const endpoints = () => pcscd.vpcdPorts.map((port) => ({ host: '127.0.0.1', port }));

  beforeAll(async () => {
    delete process.env.PCSCLITE_CSOCK_NAME;
    pcscd = await startPcscd({ readers: 3 });
    service = await PcscService.open();
    pcsc = [];
    for (const type of ['card-inserted', 'card-removed'] as const) service.on(type, (e) => pcsc.push(e));
  }, 150_000);

  afterAll(async () => {
    await service?.close();
    await pcscd?.stop();
  });

  /** Waits until PC/SC shows exactly these readers holding a card. */
  async function pcscShowsCardsIn(readers: string[], timeoutMs = 5000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    const present = () =>
      service.readers
        .filter((r) => r.card === 'present')
        .map((r) => r.name)
        .sort();
    while (JSON.stringify(present()) !== JSON.stringify([...readers].sort())) {
      if (Date.now() > deadline) throw new Error(`PC/SC shows cards in ${JSON.stringify(present())}, expected ${JSON.stringify(readers)}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  it('puts a card into one reader and takes it out, with events naming reader and SIM', async () => {
    const stack = openCardStack({ vpcd: endpoints(), readerNames: pcscd.readerNames });
    const events = record(stack);
    try {
      await stack.insert(2, 'demo-pin');
      expect(stack.cardIn(2)).toBe('demo-pin');
      expect([stack.cardIn(0), stack.cardIn(1)]).toEqual([undefined, undefined]);
      await pcscShowsCardsIn([pcscd.readerNames[2]!]);
      await expect(stack.insert(2, 'demo')).rejects.toMatchObject({ code: 'READER_OCCUPIED', message: /holds SIM "demo-pin"/ });

      await stack.remove(2);
      expect(stack.cardIn(2)).toBeUndefined();
      await pcscShowsCardsIn([]);
      await stack.remove(2); // an empty reader: nothing happens
      const pin = findSim(demoProfileSet(), 'demo-pin');
      expect(events).toEqual([
        {
          type: 'inserted',
          reader: 2,
          readerName: 'Virtual PCD 2 00 00',
          sim: 'demo-pin',
          iccid: pin.iccid,
          imsi: pin.imsi,
          at: expect.any(Date),
        },
        {
          type: 'removed',
          reader: 2,
          readerName: 'Virtual PCD 2 00 00',
          sim: 'demo-pin',
          iccid: pin.iccid,
          imsi: pin.imsi,
          at: expect.any(Date),
        },
      ]);
    } finally {
      await stack.close();
    }
  }, 30_000);

  it('inserts a fresh card each time: a wrong PIN try on one does not follow the SIM to the next', async () => {
    const stack = openCardStack({ vpcd: endpoints(), readerNames: pcscd.readerNames });
    const triesLeft = async () => {
      await service.waitForCard({ reader: pcscd.readerNames[1]!, timeoutMs: 5000 });
      const transport = await openWhenFree(service, pcscd.readerNames[1]!);
      try {
        const usim = new Usim(transport);
        const before = (await usim.pinState()).triesLeft;
        await usim.verifyPin('9999').catch(() => undefined);
        return [before, (await usim.pinState()).triesLeft];
      } finally {
        await transport.close();
      }
    };
    try {
      await stack.insert(1, 'demo-pin');
      expect(await triesLeft()).toEqual([3, 2]);
      await stack.remove(1);
      await pcscShowsCardsIn([]);
      await stack.insert(1, 'demo-pin');
      // A re-used card would have kept the failed try (PIN counters survive power cycles).
      expect(await triesLeft()).toEqual([3, 2]);
    } finally {
      await stack.close();
    }
    await pcscShowsCardsIn([]);
  }, 30_000);

  it('deals SIMs across the readers on a timeline: SIM i into reader i mod 3, each in and out in order', async () => {
    const stack = openCardStack({ vpcd: endpoints(), readerNames: pcscd.readerNames });
    const events = record(stack);
    pcsc.length = 0;
    const sims = ['demo', 'demo-box-01', 'demo-pin', 'demo-box-02'];
    const started = Date.now();
    try {
      await stack.runTimeline({ sims, everyMs: 1000, holdMs: 1300 });
      const took = Date.now() - started;
      await pcscShowsCardsIn([]);

      const timeline = events.map((e) => `${e.type} ${e.reader} ${e.sim}`);
      // Each SIM goes in before it comes out, on its reader, and reader 0 gets SIM 3 after SIM 0 left it.
      expect(timeline.filter((l) => l.startsWith('inserted'))).toEqual([
        'inserted 0 demo',
        'inserted 1 demo-box-01',
        'inserted 2 demo-pin',
        'inserted 0 demo-box-02',
      ]);
      for (const [i, sim] of sims.entries()) {
        expect(timeline.indexOf(`inserted ${i % 3} ${sim}`)).toBeLessThan(timeline.indexOf(`removed ${i % 3} ${sim}`));
      }
      expect(timeline.indexOf('removed 0 demo')).toBeLessThan(timeline.indexOf('inserted 0 demo-box-02'));
      // Cards overlap: SIM 1 goes in while SIM 0 is still held.
      expect(timeline.indexOf('inserted 1 demo-box-01')).toBeLessThan(timeline.indexOf('removed 0 demo'));
      // Insertions follow the schedule (one a second), give or take pcscd's power-up.
      const insertedAt = events.filter((e) => e.type === 'inserted').map((e) => e.at.getTime() - started);
      insertedAt.slice(0, 3).forEach((t, i) => expect(Math.abs(t - i * 1000), `SIM ${i} at ${t} ms`).toBeLessThan(900));
      expect(took).toBeGreaterThanOrEqual(3000 + 1300);

      // PC/SC saw the same: per reader, in then out, in the order dealt.
      const seen = (reader: string) => pcsc.filter((e) => 'reader' in e && e.reader === reader).map((e) => e.type);
      expect(seen(pcscd.readerNames[0]!)).toEqual(['card-inserted', 'card-removed', 'card-inserted', 'card-removed']);
      expect(seen(pcscd.readerNames[1]!)).toEqual(['card-inserted', 'card-removed']);
      expect(seen(pcscd.readerNames[2]!)).toEqual(['card-inserted', 'card-removed']);
      const firstIn = pcscd.readerNames.map((n) => pcsc.findIndex((e) => e.type === 'card-inserted' && e.reader === n));
      expect([...firstIn].sort((a, b) => a - b)).toEqual(firstIn);
    } finally {
      await stack.close();
    }
  }, 30_000);

  it('stops a looping timeline on its signal and pulls every card out', async () => {
    const stack = openCardStack({ vpcd: endpoints(), readerNames: pcscd.readerNames });
    const events = record(stack);
    const stop = new AbortController();
    try {
      const run = stack.runTimeline({
        sims: ['demo-box-03', 'demo-box-04'],
        everyMs: 300,
        holdMs: 60_000,
        loop: true,
        signal: stop.signal,
      });
      await expect(stack.runTimeline({ sims: ['demo'], everyMs: 100 })).rejects.toMatchObject({ code: 'BUSY' });
      await pcscShowsCardsIn([pcscd.readerNames[0]!, pcscd.readerNames[1]!]);
      stop.abort();
      await run;
      expect([0, 1, 2].map((r) => stack.cardIn(r))).toEqual([undefined, undefined, undefined]);
      await pcscShowsCardsIn([]);
      expect(events.map((e) => `${e.type} ${e.reader} ${e.sim}`).sort()).toEqual(
        ['inserted 0 demo-box-03', 'inserted 1 demo-box-04', 'removed 0 demo-box-03', 'removed 1 demo-box-04'].sort(),
      );
    } finally {
      await stack.close();
    }
  }, 30_000);

  it('pulls the cards out on close', async () => {
    const stack = openCardStack({ vpcd: endpoints() });
    await stack.insert(0, 'demo-blocked');
    await stack.insert(1, 'demo-foreign');
    await pcscShowsCardsIn([pcscd.readerNames[0]!, pcscd.readerNames[1]!]);
    await stack.close();
    await stack.close();
    await pcscShowsCardsIn([]);
    await expect(stack.runTimeline({ sims: ['demo'], everyMs: 100 })).rejects.toMatchObject({ code: 'CLOSED' });
  }, 30_000);
});
