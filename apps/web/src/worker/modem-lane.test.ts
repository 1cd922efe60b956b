import { cardKeyOfIccid } from '@krypton-web/krypton-core';
import { demoProfileSet, findSim, startLab, type Lab, type SimProfile } from '@krypton-web/krypton-lab';
import { emulatorChannel, HuaweiModemEmulator, type HuaweiModemOptions } from '@krypton-web/krypton-lab/modem';
import type { CheckResult } from '@krypton-web/sim-check';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { pipeSerialChannel } from '../lib/serial-pipe.ts';
import type { BatchEvent, LaneView } from './batch-api.ts';
import { Batch } from './batch.ts';
import { workerCardPaths } from './card-path-store.ts';
import { ModemPipes } from './modem-lane.ts';

// The batch worker's modem lanes on real pieces: the lab's Huawei emulator behind the same
// MessagePort pipe the page builds over Web Serial, and the lab's Krypton and Cognito over HTTP.

const LANE = 'Huawei modem (12d1:1506)';
let lab: Lab;
beforeAll(async () => {
  lab = await startLab();
  await lab.ready;
});
afterAll(async () => lab?.close());

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** A modem emulator with `sim` in its slot, and the pipe the page would hand the worker for it. */
async function modem(sim: string | SimProfile | undefined, options: HuaweiModemOptions = {}) {
  const emulator = await HuaweiModemEmulator.create(sim ?? 'demo', options);
  if (sim === undefined) emulator.removeSim();
  cleanups.push(() => emulator.dispose());
  return { emulator, pipe: () => pipeSerialChannel(emulatorChannel(emulator, { name: LANE })) };
}

/** A batch (results in memory) whose events the test reads, started with one modem lane. */
async function batchWithModem() {
  const batch = new Batch(() => Promise.reject(new Error('no IndexedDB here')));
  const events: BatchEvent[] = [];
  batch.subscribe((e) => events.push(e));
  cleanups.push(() => batch.stop());
  await batch.start({
    wsUrl: 'ws://127.0.0.1:9/ws',
    settings: {
      kryptonBase: lab.urls.provisioning,
      cellularBase: lab.urls.provisioning,
      cognitoEndpoint: lab.urls.cognito,
      origin: 'http://localhost',
    },
    checklist: { credentials: 'openid' },
    readers: [],
    modems: [LANE],
  });
  const lanes = () => events.flatMap((e) => (e.type === 'lane' ? [e.lane] : []));
  const results = () => events.flatMap((e) => (e.type === 'result' ? [e.result] : []));
  return { batch, events, lanes, results };
}

async function until<T>(what: string, find: () => T | undefined, ms = 15_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const found = find();
    if (found !== undefined && found !== false) return found;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const last = (lanes: LaneView[]) => lanes[lanes.length - 1];
const done = (lanes: LaneView[], iccid: string): CheckResult | undefined => {
  const l = last(lanes);
  return l?.status === 'done' && l.result.iccid === iccid ? l.result : undefined;
};

describe('a USB modem as a lane of the Check SIMs batch', () => {
  it('checks the SIM in the modem, then follows a swap: out clears the lane, the next SIM in is checked at once', async () => {
    const m = await modem('demo');
    const b = await batchWithModem();
    await b.batch.addModem(LANE, m.pipe());

    const first = await until('the first SIM checked', () => done(b.lanes(), '8981100000000000016'));
    expect(first).toMatchObject({ verdict: 'PASS', lane: LANE, imsi: '001010000000001' });
    expect(last(b.lanes())?.modem).toBe(true);
    expect(b.results().map((r) => r.iccid)).toEqual(['8981100000000000016']);

    m.emulator.removeSim();
    await until('the lane cleared', () => last(b.lanes())?.status === 'empty');

    await m.emulator.insertProfile('demo-box-01');
    const second = await until('the next SIM checked', () => done(b.lanes(), '8981100000000000119'));
    expect(second.verdict).toBe('PASS');
    expect(b.results().map((r) => r.iccid)).toEqual(['8981100000000000016', '8981100000000000119']);
  });

  it('remembers the path of a SIM that refuses the partial AID in the worker’s card paths (IndexedDB in a page)', async () => {
    const card: SimProfile = { ...findSim(demoProfileSet(), 'demo-box-03'), quirks: ['no-partial-aid'] };
    const key = cardKeyOfIccid(card.iccid);
    expect(await workerCardPaths().recall(key)).toBeUndefined();
    const m = await modem(card);
    const b = await batchWithModem();
    await b.batch.addModem(LANE, m.pipe());
    const r = await until('the SIM checked', () => done(b.lanes(), card.iccid));
    expect(r.verdict).toBe('PASS');
    // The full AID from EF_DIR: the session worker (or the next batch) goes straight on this card.
    expect(await workerCardPaths().recall(key)).toEqual({ usimAid: 'a0000000871002ff44ff1289000000ff', selectWithoutData: true });
  });

  it('a SIM pulled mid-check never shows a result: the lane clears, the check is kept as interrupted', async () => {
    const m = await modem('demo', { slowMs: 40 });
    const b = await batchWithModem();
    await b.batch.addModem(LANE, m.pipe());
    await until('the check under way past reading the SIM', () => {
      const l = last(b.lanes());
      return l?.status === 'checking' && l.step !== undefined && l.step !== 'sim' ? l : undefined;
    });
    m.emulator.removeSim();
    await until('the lane cleared', () => last(b.lanes())?.status === 'empty');
    await new Promise((r) => setTimeout(r, 500));
    expect(b.lanes().some((l) => l.status === 'done')).toBe(false);
    expect(b.results().map((r) => [r.iccid, r.interrupted, r.verdict])).toEqual([['8981100000000000016', true, 'FAIL']]);
  });

  it('an empty slot waits; a modem unplugged shows gone, and the lane goes on when the page hands over the re-plugged port', async () => {
    const m = await modem(undefined);
    const b = await batchWithModem();
    await b.batch.addModem(LANE, m.pipe());
    await until('the lane open on an empty slot', () => b.lanes().length > 0 && last(b.lanes())?.status === 'empty');
    await new Promise((r) => setTimeout(r, 300));
    expect(b.lanes().every((l) => l.status === 'empty')).toBe(true);

    m.emulator.unplug();
    await until('the lane gone', () => last(b.lanes())?.status === 'gone');
    expect(last(b.lanes())).toEqual({ reader: LANE, status: 'gone', modem: true });

    const again = await modem('demo-box-02');
    await b.batch.addModem(LANE, again.pipe());
    const r = await until('the SIM in the re-plugged modem checked', () => done(b.lanes(), '8981100000000000127'));
    expect(r.verdict).toBe('PASS');
  });

  it('refuses a port for a lane the batch does not have, closing it; Stop closes the modem', async () => {
    const m = await modem('demo');
    const b = await batchWithModem();
    let closed = false;
    const channel = emulatorChannel(m.emulator);
    const wrapped = {
      ...channel,
      name: channel.name,
      start: (h: Parameters<typeof channel.start>[0]) => channel.start({ ...h, onClose: (e) => ((closed = true), h.onClose(e)) }),
    };
    await expect(b.batch.addModem('Huawei modem (other)', pipeSerialChannel(wrapped))).rejects.toMatchObject({ code: 'NO_LANE' });
    await until('the refused port closed', () => closed);

    let laneClosed = false;
    const ours = emulatorChannel(m.emulator);
    await b.batch.addModem(
      LANE,
      pipeSerialChannel({
        ...ours,
        name: ours.name,
        start: (h) => ours.start({ ...h, onClose: (e) => ((laneClosed = true), h.onClose(e)) }),
      }),
    );
    await until('the SIM checked', () => done(b.lanes(), '8981100000000000016'));
    await b.batch.stop();
    await until('the modem port closed by Stop', () => laneClosed);
  });

  it('ModemPipes hands over ports in order, replaces one not taken yet, and refuses waits once ended', async () => {
    const pipes = new ModemPipes();
    const a = new MessageChannel();
    const b = new MessageChannel();
    const c = new MessageChannel();
    pipes.give(a.port1);
    pipes.give(b.port1);
    expect(await pipes.next()).toBe(b.port1);
    const waiting = pipes.next();
    pipes.give(c.port1);
    expect(await waiting).toBe(c.port1);
    const refused = pipes.next();
    pipes.end();
    await expect(refused).rejects.toMatchObject({ code: 'STOPPED' });
    for (const ch of [a, b, c]) {
      ch.port1.close();
      ch.port2.close();
    }
  });
});
