import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { connectCardToVpcd, demoProfileSet, findSim, Hss, VirtualUsim, type VpcdConnection } from '@krypton-web/krypton-lab';
import { startPcscd, type PcscdHandle } from '@krypton-web/krypton-lab/rigs';
import { BridgeClient, BridgeRemoteError, type BridgeEvent, type BridgeSimSession } from '@krypton-web/sim-transport';
import { Logger, startBridge, type RunningBridge } from '../src/index.ts';
import { eventually, wsFrom } from './support/harness.test-support.ts';

// Readers attached and removed while the bridge runs, with real pcscd and vpcd. pcscd 1.9.9 reads its
// reader configuration only at start (SIGUSR1 does not re-read it), so a reader is attached or removed
// the way pcscd allows it: restarted with one vpcd entry more or fewer. Each entry is two readers.
vi.setConfig({ testTimeout: 60_000, hookTimeout: 660_000 });

const STEADY = 'Steady Reader';
const ATTACHED = 'Attached Reader';
const SIMS = { steady: findSim(demoProfileSet(), 'demo-box-01'), attached: findSim(demoProfileSet(), 'demo-box-02') };

let pcscd: PcscdHandle;
let bridge: RunningBridge;
let client: BridgeClient;
const events: { event: BridgeEvent; at: number }[] = [];
const cards: VpcdConnection[] = [];
let hss: Hss;

beforeAll(async () => {
  delete process.env.PCSCLITE_CSOCK_NAME;
  hss = await Hss.create({ sims: [SIMS.steady, SIMS.attached], groups: [] });
  pcscd = await startPcscd({ readers: 2, friendlyNames: [STEADY, ATTACHED], lockTimeoutMs: 600_000 });
  await insert(0, SIMS.steady);
  bridge = await startBridge({ port: 0, pcsc: true, log: new Logger(() => undefined) });
  client = await BridgeClient.connect(`${bridge.url.replace('http:', 'ws:')}/ws`, {
    WebSocket: wsFrom(bridge.url),
    onEvent: (event) => events.push({ event, at: performance.now() }),
  });
});

afterAll(async () => {
  client?.close();
  await bridge?.close();
  await Promise.all(cards.map((c) => c.close()));
  await pcscd?.stop();
});

/** Puts a fresh card of `sim` in the vpcd reader `index` (it redials across pcscd restarts). */
async function insert(index: number, sim: typeof SIMS.steady): Promise<void> {
  const card = connectCardToVpcd({
    host: '127.0.0.1',
    port: pcscd.vpcdPorts[index]!,
    card: await VirtualUsim.create(sim),
    backoff: { initialMs: 50, maxMs: 300 },
  });
  cards.push(card);
  await card.whenConnected();
}

/** The reader names the page sees: the /ws `readers` request. */
async function listed(): Promise<string[]> {
  return (await client.readers()).map((r) => r.name);
}

/** The names of the latest `readers` event pushed to the page. */
function pushed(): string[] | undefined {
  const last = events.filter((e) => e.event.event === 'readers').at(-1)?.event;
  return last && last.event === 'readers' ? last.readers.map((r) => r.name) : undefined;
}

/** Reads the IMSI and runs AUTHENTICATE on a session: the card answers, and its RES is the one the HSS expects. */
async function authenticates(session: BridgeSimSession, sim: typeof SIMS.steady): Promise<void> {
  expect(await session.readImsi()).toBe(sim.imsi);
  const vector = await hss.generateVector(sim.imsi);
  const answer = await session.authenticate(vector.rand, vector.autn);
  expect(answer.kind).toBe('success');
  if (answer.kind === 'success') expect(answer.res).toEqual(vector.xres);
}

describe('readers attached and removed while the bridge runs (pcscd + vpcd)', () => {
  it('a reader attached shows up in the page’s list within 2 s of pcscd offering it and authenticates; removed, it leaves the list, its session ends with a typed error, and the remaining reader works', async () => {
    const steadyName = `${STEADY} 00 00`;
    const attachedName = `${ATTACHED} 00 00`;
    await eventually(
      async () => (await client.readers()).some((r) => r.name === steadyName && r.card),
      'the steady reader with its card',
      10_000,
    );
    expect(await listed()).toEqual([`${STEADY} 00 00`, `${STEADY} 00 01`]);

    // Attached: pcscd comes back with a second entry; a card goes into its first reader.
    await pcscd.restart({ readers: 4 });
    const offeredAt = performance.now();
    await eventually(async () => (await listed()).includes(attachedName), 'the bridge lists the attached reader', 2000);
    const listedAfterMs = performance.now() - offeredAt;
    expect(await listed()).toEqual([...pcscd.readerNames]);
    await eventually(() => pushed()?.includes(attachedName) ?? false, 'a readers event names the attached reader', 2000);
    await insert(2, SIMS.attached);
    await eventually(
      async () => (await client.readers()).some((r) => r.name === attachedName && r.card),
      'the attached reader’s card',
      5000,
    );
    const onAttached = await client.open(attachedName);
    await authenticates(onAttached, SIMS.attached);
    // The steady reader's card redialled the restarted pcscd: it opens and authenticates too.
    await eventually(
      async () => (await client.readers()).some((r) => r.name === steadyName && r.card),
      'the steady reader’s card is back',
      5000,
    );
    const onSteady = await client.open(steadyName);
    await authenticates(onSteady, SIMS.steady);

    // Removed: pcscd comes back with the first entry only.
    const lostBefore = events.filter((e) => e.event.event === 'session-lost').length;
    await pcscd.restart({ readers: 2 });
    const removedAt = performance.now();
    // The list follows pcscd (empty while it restarts), then holds the remaining entry alone.
    await eventually(
      async () => JSON.stringify(await listed()) === JSON.stringify([`${STEADY} 00 00`, `${STEADY} 00 01`]),
      'the bridge lists the remaining readers without the removed one',
      2000,
    );
    const droppedAfterMs = performance.now() - removedAt;
    await eventually(
      () => pushed()?.includes(steadyName) === true && !pushed()!.includes(attachedName),
      'a readers event without the removed reader',
      2000,
    );
    // pcscd's restart ended both sessions; the page learns which reader is gone and which is merely reset.
    await eventually(
      () => events.filter((e) => e.event.event === 'session-lost').length === lostBefore + 2,
      'both sessions reported lost',
      3000,
    );
    const lost = events.slice(lostBefore).flatMap((e) => (e.event.event === 'session-lost' ? [e] : []));
    const lostOf = (session: BridgeSimSession) => lost.find((e) => e.event.event === 'session-lost' && e.event.session === session.session);
    expect(lostOf(onAttached)?.event).toMatchObject({
      error: {
        code: 'NO_CARD',
        message: `The reader "${attachedName}" is gone: it was unplugged, or the PC/SC service (pcscd) restarted without it`,
        action: 'Plug the reader back in (or pick another one), then open it again',
      },
    });
    expect(lostOf(onAttached)!.at - removedAt).toBeLessThan(2000);
    expect(lostOf(onSteady)?.event).toMatchObject({
      error: { code: 'TRANSPORT_FAILED', message: 'The PC/SC service (pcscd) restarted, which ended the session with the card' },
    });
    await expect(onAttached.readImsi()).rejects.toMatchObject({ code: 'TRANSPORT_CLOSED' });
    const reopened = await client.open(attachedName).catch((e: unknown) => e);
    expect(reopened).toBeInstanceOf(BridgeRemoteError);
    expect(reopened).toMatchObject({ code: 'NO_CARD', message: `There is no reader named "${attachedName}"` });

    // The remaining reader still works.
    await eventually(
      async () => (await client.readers()).some((r) => r.name === steadyName && r.card && !r.inUse),
      'the steady reader free with its card',
      5000,
    );
    const again = await client.open(steadyName);
    await authenticates(again, SIMS.steady);
    await again.close();
    console.log(
      `the attached reader listed ${Math.round(listedAfterMs)} ms after pcscd offered it; the removed one dropped ${Math.round(droppedAfterMs)} ms after pcscd came back without it`,
    );
  });
});
