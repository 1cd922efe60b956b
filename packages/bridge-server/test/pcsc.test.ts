import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  connectCardToVpcd,
  demoProfileSet,
  findSim,
  Hss,
  VirtualUsim,
  type VirtualCard,
  type VpcdConnection,
} from '@krypton-web/krypton-lab';
import { startPcscd, type PcscdHandle } from '@krypton-web/krypton-lab/rigs';
import { BridgeClient, BridgeRemoteError, type BridgeEvent } from '@krypton-web/sim-transport';
import { toHex } from '@krypton-web/krypton-core';
import { FileCardPaths, readCardPathsFile } from '@krypton-web/sim-transport/card-paths-file';
import { PcscService, PcscTransport } from '@krypton-web/sim-transport/node';
import { Logger, startBridge, type RunningBridge } from '../src/index.ts';
import { bridgeSession, describeSimCommandConformance, isBridgeError } from './support/conformance.test-support.ts';
import { eventually, isAuthenticate, WatchedCard, wsFrom } from './support/harness.test-support.ts';

// The bridge over a real pcscd with the vpcd driver and the lab's virtual USIM as the card: the
// shared SIM conformance suite through the page's client, the card pulled or pcscd stopped in the
// middle of AUTHENTICATE, and a clean shutdown (close()) that frees the reader for another program
// (the `bridge` command's SIGTERM and SIGINT are tested in apps/bridge).
vi.setConfig({ testTimeout: 45_000, hookTimeout: 180_000 });

const bridgeDir = fileURLToPath(new URL('..', import.meta.url));

let pcscd: PcscdHandle;
let service: PcscService;
beforeAll(async () => {
  // libpcsclite dials the default socket, which this pcscd serves.
  delete process.env.PCSCLITE_CSOCK_NAME;
  pcscd = await startPcscd();
  service = await PcscService.open();
});
afterAll(async () => {
  await service?.close();
  await pcscd?.stop();
});

const cards: VpcdConnection[] = [];
const bridges: RunningBridge[] = [];
const clients: BridgeClient[] = [];
const children: ChildProcess[] = [];
afterEach(async () => {
  clients.splice(0).forEach((c) => c.close());
  await Promise.all(bridges.splice(0).map((b) => b.close()));
  for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  await Promise.all(cards.splice(0).map((c) => pull(c)));
});

/** Puts a card in the first vpcd reader and waits until pcscd shows it. */
async function insert(card: VirtualCard): Promise<VpcdConnection> {
  const c = connectCardToVpcd({ host: '127.0.0.1', port: pcscd.vpcdPort, card, backoff: { initialMs: 50, maxMs: 500 } });
  cards.push(c);
  await c.whenConnected();
  await service.waitForCard({ reader: pcscd.readerName, timeoutMs: 10_000 });
  return c;
}

/** Pulls the card out and waits until pcscd shows the reader empty (the next test inserts a new card). */
async function pull(c: VpcdConnection): Promise<void> {
  await c.close();
  await eventually(
    async () => (await service.listReaders()).find((r) => r.name === pcscd.readerName)?.card === 'empty',
    'pcscd shows the reader empty',
    5000,
  );
}

async function bridge(): Promise<RunningBridge> {
  const b = await startBridge({ port: 0, pcsc: true, log: new Logger(() => undefined) });
  bridges.push(b);
  return b;
}

async function client(
  b: { url: string },
  onEvent?: (e: BridgeEvent) => void,
  onClose?: (e: BridgeRemoteError) => void,
): Promise<BridgeClient> {
  const c = await BridgeClient.connect(`${b.url.replace('http:', 'ws:')}/ws`, {
    WebSocket: wsFrom(b.url),
    ...(onEvent ? { onEvent } : {}),
    ...(onClose ? { onClose } : {}),
  });
  clients.push(c);
  await eventually(
    async () => (await c.readers()).some((r) => r.name === pcscd.readerName && r.card),
    'the bridge lists the reader with its card',
    5000,
  );
  return c;
}

const demo = () => VirtualUsim.create(findSim(demoProfileSet(), 'demo'));

describeSimCommandConformance(
  'bridge client → bridge → pcscd → vpcd → virtual USIM',
  async (sim) => {
    const connection = await insert(await VirtualUsim.create(sim));
    const b = await startBridge({ port: 0, pcsc: true, log: new Logger(() => undefined) });
    const waiter = await client(b);
    waiter.close();
    return bridgeSession(b.url, pcscd.readerName, async () => {
      await b.close();
      await pull(connection);
    });
  },
  { isError: isBridgeError, timeoutMs: 30_000 },
);

describe('the card or pcscd going away mid-AUTHENTICATE', () => {
  it('pulling the card: the pending AUTHENTICATE fails NO_CARD and session-lost arrives, both within 2 s; a new card then works', async () => {
    const card = new WatchedCard(await demo());
    const connection = await insert(card);
    const b = await bridge();
    const events: { event: BridgeEvent; at: number }[] = [];
    const c = await client(b, (event) => events.push({ event, at: performance.now() }));
    const session = await c.open(pcscd.readerName);
    expect(await session.readImsi()).toBe('001010000000001');

    const hss = await Hss.create({ sims: [findSim(demoProfileSet(), 'demo')], groups: [] });
    const vector = await hss.generateVector('001010000000001');
    const held = card.holdNext(isAuthenticate);
    const pending = session.authenticate(vector.rand, vector.autn).then(
      () => ({ ok: true as const, at: performance.now() }),
      (e: unknown) => ({ ok: false as const, e, at: performance.now() }),
    );
    await held;
    const pulledAt = performance.now();
    const pulling = connection.close(); // the card leaves the reader now; its held answer never arrives
    const outcome = await pending;
    expect(outcome.ok).toBe(false);
    if (outcome.ok) return;
    expect(outcome.e).toBeInstanceOf(BridgeRemoteError);
    expect((outcome.e as BridgeRemoteError).code).toBe('NO_CARD');
    expect(outcome.at - pulledAt).toBeLessThan(2000);
    await eventually(() => events.some((e) => e.event.event === 'session-lost'), 'session-lost arrived', 2000);
    const lost = events.find((e) => e.event.event === 'session-lost')!;
    expect(lost.event).toMatchObject({ event: 'session-lost', session: session.session, error: { code: 'NO_CARD' } });
    expect(lost.at - pulledAt).toBeLessThan(2000);
    card.release();
    await pulling;
    cards.splice(cards.indexOf(connection), 1);
    await eventually(
      async () => (await service.listReaders()).find((r) => r.name === pcscd.readerName)?.card === 'empty',
      'pcscd shows the reader empty',
      5000,
    );

    // The session is gone; a new card in the same reader opens on the same connection.
    await expect(session.readImsi()).rejects.toMatchObject({ code: 'TRANSPORT_CLOSED' });
    await insert(await demo());
    await eventually(
      async () => (await c.readers()).some((r) => r.name === pcscd.readerName && r.card && !r.inUse),
      'the reader shows the new card, free',
      5000,
    );
    const again = await c.open(pcscd.readerName);
    expect(await again.readIccid()).toMatch(/^89/);
  });

  it('pcscd stopping (away 3 s): the pending AUTHENTICATE fails with a typed transport error and session-lost says pcscd stopped, both within 2 s; once pcscd is back, the reader works again', async () => {
    const card = new WatchedCard(await demo());
    await insert(card);
    const b = await bridge();
    const events: { event: BridgeEvent; at: number }[] = [];
    const c = await client(b, (event) => events.push({ event, at: performance.now() }));
    const session = await c.open(pcscd.readerName);
    const hss = await Hss.create({ sims: [findSim(demoProfileSet(), 'demo')], groups: [] });
    const vector = await hss.generateVector('001010000000001');
    const held = card.holdNext(isAuthenticate);
    const pending = session.authenticate(vector.rand, vector.autn).then(
      () => ({ ok: true as const, at: performance.now() }),
      (e: unknown) => ({ ok: false as const, e, at: performance.now() }),
    );
    await held;
    const stoppedAt = performance.now();
    const restarting = pcscd.restart({ pauseMs: 3000 });
    const outcome = await pending;
    card.release();
    expect(outcome.ok).toBe(false);
    if (outcome.ok) return;
    expect(outcome.e).toBeInstanceOf(BridgeRemoteError);
    expect(['NO_CARD', 'TRANSPORT_FAILED', 'TRANSPORT_CLOSED']).toContain((outcome.e as BridgeRemoteError).code);
    expect(outcome.at - stoppedAt).toBeLessThan(2000);
    // The session is over (pcscd's handles died with it), and the page is told why, not that a card was pulled.
    await eventually(() => events.some((e) => e.event.event === 'session-lost'), 'session-lost arrived', 2000);
    const lost = events.find((e) => e.event.event === 'session-lost')!;
    expect(lost.event).toMatchObject({
      event: 'session-lost',
      session: session.session,
      error: { code: 'TRANSPORT_FAILED', message: 'The PC/SC service (pcscd) stopped' },
    });
    expect(lost.at - stoppedAt).toBeLessThan(2000);
    await restarting;

    // pcscd is back and the card redialled: the bridge serves the reader again without a restart.
    await eventually(
      async () => {
        const s = await c.open(pcscd.readerName).catch(() => undefined);
        if (!s) return false;
        expect(await s.readImsi()).toBe('001010000000001');
        await s.close();
        return true;
      },
      'the reader opens again after pcscd came back',
      15_000,
    );
  });
});

/** Runs test/support/take-reader.ts as another program: takes the reader exclusively and reads the IMSI. */
async function anotherProgramTakesTheReader(): Promise<{
  code: number | null;
  out: { imsi?: string; error?: string; problem?: string; message?: string };
}> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'test/support/take-reader.test-support.ts', pcscd.readerName], {
    cwd: bridgeDir,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const [code] = (await once(child, 'close')) as [number | null];
  if (!out.trim()) throw new Error(`take-reader printed nothing: ${err}`);
  return { code, out: JSON.parse(out.trim().split('\n').pop()!) as { imsi?: string; error?: string } };
}

describe('another program', () => {
  it('holding the reader: the page is told it is in use by another program, and opens it once that program lets go', async () => {
    await insert(await demo());
    const b = await bridge();
    const c = await client(b);
    const other = await PcscTransport.open(pcscd.readerName, { service, share: 'exclusive' });
    const refused = await c.open(pcscd.readerName).catch((x: unknown) => x);
    expect(refused).toBeInstanceOf(BridgeRemoteError);
    expect((refused as BridgeRemoteError).message).toMatch(/Another program is using the reader/);
    await other.close();
    const session = await c.open(pcscd.readerName);
    expect(await session.readImsi()).toBe('001010000000001');
  });
});

describe('a shared reader (PC/SC transactions around each of the page’s commands)', () => {
  it('another program uses the card between the page’s commands: a selection it leaves behind and a reset it causes do not disturb the page', async () => {
    const sim = findSim(demoProfileSet(), 'demo');
    await insert(await VirtualUsim.create(sim));
    const hss = await Hss.create({ sims: [sim], groups: [] });
    const b = await bridge();
    const c = await client(b);
    const session = await c.open(pcscd.readerName);
    expect(await session.readIccid()).toBe(sim.iccid);

    // Another program shares the card and selects the MF between the page's commands.
    const other = await PcscTransport.open(pcscd.readerName, { service });
    expect(other.share).toBe('shared');
    const answer = await other.transmit(Uint8Array.from([0x00, 0xa4, 0x00, 0x0c, 0x02, 0x3f, 0x00]));
    expect(answer.slice(-2)).toEqual(Uint8Array.of(0x90, 0x00));
    let vector = await hss.generateVector(sim.imsi);
    expect((await session.authenticate(vector.rand, vector.autn)).kind).toBe('success');
    await other.close();

    // Another program resets the card (SCARD_W_RESET_CARD for the bridge's handle): the next command still answers.
    const resetter = await PcscTransport.open(pcscd.readerName, { service, disposition: 'reset' });
    await resetter.close();
    expect(await session.readIccid()).toBe(sim.iccid);
    vector = await hss.generateVector(sim.imsi);
    expect((await session.authenticate(vector.rand, vector.autn)).kind).toBe('success');
  });
});

describe('card paths remembered on disk', () => {
  it('a card refusing the partial AID: the first bridge learns its path, a new bridge on the same file sends no refused command', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bridge-card-paths-'));
    const file = join(dir, 'card-paths.json');
    try {
      const card = await VirtualUsim.create({ ...findSim(demoProfileSet(), 'demo'), quirks: ['no-partial-aid'] });
      await insert(card);
      const hss = await Hss.create({ sims: [findSim(demoProfileSet(), 'demo')], groups: [] });
      /** One run as the page makes it: open, IMSI, AUTHENTICATE, close; the APDUs the card received. */
      const run = async (): Promise<number> => {
        const b = await startBridge({ port: 0, pcsc: true, log: new Logger(() => undefined), cardPaths: new FileCardPaths(file) });
        bridges.push(b);
        const c = await client(b);
        const before = card.apduCount;
        const session = await c.open(pcscd.readerName);
        expect(await session.readImsi()).toBe('001010000000001');
        const vector = await hss.generateVector('001010000000001');
        await session.authenticate(vector.rand, vector.autn);
        await session.close();
        const sent = card.apduCount - before;
        c.close();
        await b.close();
        return sent;
      };
      const first = await run();
      const stored = (await readCardPathsFile(file)).entries();
      expect(stored).toHaveLength(1);
      expect(stored[0]![0]).toBe(`atr:${toHex(card.atr)}`);
      expect(stored[0]![1].usimAid).toMatch(/^A0000000871002/i);
      const second = await run();
      // The refused partial-AID SELECT and the EF_DIR read that found the full AID are not sent again.
      expect(second).toBeLessThan(first);
      expect({ first, second }).toEqual({ first: 8, second: 4 });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('clean shutdown', () => {
  it('close() ends the sessions and releases pcscd: another program, refused while the bridge held the reader, then takes it exclusively', async () => {
    await insert(await demo());
    const b = await bridge();
    let ended: BridgeRemoteError | undefined;
    const c = await client(b, undefined, (e) => (ended = e));
    const session = await c.open(pcscd.readerName);
    expect(await session.readImsi()).toBe('001010000000001');

    const refused = await anotherProgramTakesTheReader();
    expect(refused.code).toBe(1);
    expect(refused.out).toMatchObject({ error: 'TRANSPORT_FAILED', problem: 'sharing-violation' });

    const startedAt = performance.now();
    await b.close();
    bridges.splice(bridges.indexOf(b), 1);
    expect(performance.now() - startedAt).toBeLessThan(3000);
    await eventually(() => ended !== undefined, 'the page was told the bridge went away', 2000);
    expect(ended!.code).toBe('TRANSPORT_FAILED');

    const taken = await anotherProgramTakesTheReader();
    expect(taken).toEqual({ code: 0, out: { imsi: '001010000000001' } });
  });
});
