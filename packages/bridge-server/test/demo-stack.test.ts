import { afterEach, describe, expect, it } from 'vitest';
import { Usim } from '@krypton-web/krypton-core';
import { DEMO_BOX_SIMS, demoProfileSet, findSim, startLab } from '@krypton-web/krypton-lab';
import type { BridgeClient, BridgeEvent } from '@krypton-web/sim-transport';
import { DEMO_STACK_READER_NAME, Logger, startBridge, VIRTUAL_READER_NAME, type ReaderChange, type RunningBridge } from '../src/index.ts';
import { VirtualReaderBackend } from '../src/virtual-reader.ts';
import { connectClient, eventually } from './support/harness.test-support.ts';

// Demo mode's second reader: a box of virtual SIMs dealt into it on a timeline, so a batch screen
// sees cards arrive and leave with no hardware, while the steady demo reader stays as it was.

const imsiOf = (sim: string) => findSim(demoProfileSet(), sim).imsi;
const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function stackBackend(stack: ConstructorParameters<typeof VirtualReaderBackend>[0]): {
  backend: VirtualReaderBackend;
  changes: ReaderChange[];
} {
  const backend = new VirtualReaderBackend(stack);
  const changes: ReaderChange[] = [];
  backend.onChange((c) => changes.push(c));
  cleanups.push(() => backend.close());
  return { backend, changes };
}

/** Reads the IMSI of the card in a reader of the backend, as a session would. */
async function readImsi(backend: VirtualReaderBackend, reader: string): Promise<string> {
  const opened = await backend.open(reader);
  try {
    return await new Usim(opened.transport).readImsi();
  } finally {
    await opened.transport.close();
  }
}

const stackCard = async (backend: VirtualReaderBackend) => (await backend.readers()).find((r) => r.name === DEMO_STACK_READER_NAME)?.card;

describe('the demo stack reader', () => {
  it('deals its SIMs in turn: each comes in, is readable, leaves with card-removed, and the next follows', async () => {
    const { backend, changes } = stackBackend({ stack: { insertedMs: 400, removedMs: 200, sims: ['demo', 'demo-box-01'] } });
    await eventually(async () => (await stackCard(backend)) === true, 'the first card is in');
    const readers = await backend.readers();
    expect(readers.map((r) => r.name)).toEqual([VIRTUAL_READER_NAME, DEMO_STACK_READER_NAME]);
    expect(readers[1]).toEqual({ name: DEMO_STACK_READER_NAME, card: true, atr: expect.stringMatching(/^3b/) });
    expect(await readImsi(backend, DEMO_STACK_READER_NAME)).toBe(imsiOf('demo'));

    await eventually(async () => (await stackCard(backend)) === false, 'the first card is out');
    expect((await backend.readers())[1]).toEqual({ name: DEMO_STACK_READER_NAME, card: false });
    await expect(backend.open(DEMO_STACK_READER_NAME)).rejects.toMatchObject({
      code: 'NO_CARD',
      message: expect.stringMatching(/no card in/),
    });

    await eventually(async () => (await stackCard(backend)) === true, 'the second card is in');
    expect(await readImsi(backend, DEMO_STACK_READER_NAME)).toBe(imsiOf('demo-box-01'));
    // readers on each insertion; on removal, first card-removed (sessions end), then readers (lists refresh).
    expect(changes.slice(0, 4)).toEqual([
      { type: 'readers' },
      { type: 'card-removed', reader: DEMO_STACK_READER_NAME },
      { type: 'readers' },
      { type: 'readers' },
    ]);
    // The demo reader is untouched by all this.
    expect(await readImsi(backend, VIRTUAL_READER_NAME)).toBe(imsiOf('demo'));
  });

  it('deals the twelve-SIM demo box by default, starting with its first SIM', async () => {
    const { backend } = stackBackend({ stack: { insertedMs: 60_000 } });
    await eventually(async () => (await stackCard(backend)) === true, 'the first card is in');
    expect(await readImsi(backend, DEMO_STACK_READER_NAME)).toBe(imsiOf(DEMO_BOX_SIMS[0]!));
  });

  it('puts in a fresh card each time: a wrong PIN try does not follow the SIM to its next turn', async () => {
    const { backend } = stackBackend({ stack: { insertedMs: 400, removedMs: 100, sims: ['demo-pin'] } });
    const triesAfterOneWrong = async () => {
      await eventually(async () => (await stackCard(backend)) === true, 'a card is in');
      const opened = await backend.open(DEMO_STACK_READER_NAME);
      try {
        const usim = new Usim(opened.transport);
        const before = (await usim.pinState()).triesLeft;
        await usim.verifyPin('9999').catch(() => undefined);
        return [before, (await usim.pinState()).triesLeft];
      } finally {
        await opened.transport.close();
      }
    };
    expect(await triesAfterOneWrong()).toEqual([3, 2]);
    await eventually(async () => (await stackCard(backend)) === false, 'the card is out');
    expect(await triesAfterOneWrong()).toEqual([3, 2]);
  });

  it('fails a command still on its way when the card leaves, as a pulled card does', async () => {
    const { backend } = stackBackend({ stack: { insertedMs: 300, removedMs: 60_000, sims: ['demo'] } });
    await eventually(async () => (await stackCard(backend)) === true, 'the card is in');
    const opened = await backend.open(DEMO_STACK_READER_NAME);
    await eventually(async () => (await stackCard(backend)) === false, 'the card is out');
    await expect(new Usim(opened.transport).readImsi()).rejects.toMatchObject({ code: 'NO_CARD' });
    await opened.transport.close();
  });

  it('stops dealing on close(): no more changes, no timer left', async () => {
    const { backend, changes } = stackBackend({ stack: { insertedMs: 100, removedMs: 100, sims: ['demo'] } });
    await eventually(() => changes.length >= 1, 'the first card is in');
    await backend.close();
    const seen = changes.length;
    await new Promise((r) => setTimeout(r, 450));
    expect(changes).toHaveLength(seen);
  });

  it('refuses timings and SIMs it cannot deal, at once', () => {
    expect(() => new VirtualReaderBackend({ stack: { insertedMs: 0 } })).toThrow(/insertedMs must be a positive number/);
    expect(() => new VirtualReaderBackend({ stack: { removedMs: Number.NaN } })).toThrow(/removedMs must be a positive number/);
    expect(() => new VirtualReaderBackend({ stack: { sims: [] } })).toThrow(/at least one SIM/);
    expect(() => new VirtualReaderBackend({ stack: { sims: ['nope'] } })).toThrow(/no SIM named "nope"/);
  });

  it('leaves the demo reader exactly as before when no stack is asked for', async () => {
    const backend = new VirtualReaderBackend();
    const changes: ReaderChange[] = [];
    backend.onChange((c) => changes.push(c));
    expect((await backend.readers()).map((r) => r.name)).toEqual([VIRTUAL_READER_NAME]);
    await expect(backend.open(DEMO_STACK_READER_NAME)).rejects.toThrow(/no reader named/);
    await backend.close();
    expect(changes).toEqual([]);
  });
});

describe('the demo stack reader through the bridge', () => {
  async function bridgeWith(
    backend: VirtualReaderBackend,
  ): Promise<{ bridge: RunningBridge; client: BridgeClient; events: BridgeEvent[] }> {
    const bridge = await startBridge({ port: 0, pcsc: false, readers: [backend], log: new Logger(() => undefined) });
    cleanups.push(() => bridge.close());
    const events: BridgeEvent[] = [];
    const client = await connectClient({ url: bridge.url, port: bridge.port }, { onEvent: (e) => events.push(e) });
    cleanups.push(() => client.close());
    return { bridge, client, events };
  }

  it('pushes readers events as cards come and go, and ends a session on the stack reader with NO_CARD when its card leaves', async () => {
    const { backend } = stackBackend({ stack: { insertedMs: 1000, removedMs: 300, sims: ['demo-box-02', 'demo-box-03'] } });
    const { client, events } = await bridgeWith(backend);
    const stackShown = (card: boolean) => (e: BridgeEvent) =>
      e.event === 'readers' && e.readers.some((r) => r.name === DEMO_STACK_READER_NAME && r.card === card);
    // Wait for a card to arrive while we watch, so the session below has its full second.
    await eventually(() => events.some(stackShown(false)), 'a readers event with the stack reader empty', 5000);
    await eventually(() => events.some(stackShown(true)), 'a readers event with a card in the stack reader', 5000);
    const session = await client.open(DEMO_STACK_READER_NAME);
    expect([imsiOf('demo-box-02'), imsiOf('demo-box-03')]).toContain(await session.readImsi());

    await eventually(() => events.some((e) => e.event === 'session-lost'), 'the session is lost', 5000);
    expect(events.find((e) => e.event === 'session-lost')).toEqual({
      event: 'session-lost',
      session: session.session,
      error: expect.objectContaining({ code: 'NO_CARD', message: `The card was removed from "${DEMO_STACK_READER_NAME}"` }),
    });
    await expect(session.readImsi()).rejects.toMatchObject({ code: 'TRANSPORT_CLOSED' });
    // The demo reader is still there, with its card, and free.
    const demo = (await client.readers()).find((r) => r.name === VIRTUAL_READER_NAME);
    expect(demo).toMatchObject({ card: true, inUse: false });
  });

  it('is offered beside the demo reader when the bridge mounts the lab (demo mode, as `pnpm start`)', async () => {
    const lab = await startLab({ background: true });
    cleanups.push(() => lab.close());
    const bridge = await startBridge({ port: 0, pcsc: false, lab, log: new Logger(() => undefined) });
    cleanups.push(() => bridge.close());
    const client = await connectClient({ url: bridge.url, port: bridge.port });
    cleanups.push(() => client.close());
    expect((await client.readers()).map((r) => r.name)).toEqual([VIRTUAL_READER_NAME, DEMO_STACK_READER_NAME]);
  });
});
