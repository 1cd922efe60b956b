import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { connectCardToVpcd, demoProfileSet, findSim, VirtualUsim, type VpcdConnection } from '@krypton-web/krypton-lab';
import { startPcscd, type PcscdHandle } from '@krypton-web/krypton-lab/rigs';
import { BridgeClient } from '@krypton-web/sim-transport';
import { PcscService, PcscTransport } from '@krypton-web/sim-transport/node';
import { Usim } from '@krypton-web/krypton-core';
import { Logger, startBridge, type RunningBridge } from '../src/index.ts';
import { eventually, wsFrom } from './support/harness.test-support.ts';

// Real readers have names of every kind (vendors' punctuation, a person's own label in any script):
// four vpcd readers under such names, each with a SIM of the lab's box, used at once — through the
// PC/SC link directly and through the bridge, whose JSON and WebSocket carry the names as they are.
vi.setConfig({ testTimeout: 45_000, hookTimeout: 180_000 });

const FRIENDLY = ["Lab Reader – 日本語 / #1 (ß) 'x' [A&B] <é>", 'ACS ACR39U ICC Reader'];
const BOX = ['demo-box-01', 'demo-box-02', 'demo-box-03', 'demo-box-04'];

let pcscd: PcscdHandle;
let service: PcscService;
let bridge: RunningBridge;
const cards: VpcdConnection[] = [];

beforeAll(async () => {
  delete process.env.PCSCLITE_CSOCK_NAME;
  pcscd = await startPcscd({ readers: 4, friendlyNames: FRIENDLY });
  service = await PcscService.open();
  for (const [i, name] of BOX.entries()) {
    const card = connectCardToVpcd({
      host: '127.0.0.1',
      port: pcscd.vpcdPorts[i]!,
      card: await VirtualUsim.create(findSim(demoProfileSet(), name)),
      backoff: { initialMs: 50, maxMs: 500 },
    });
    cards.push(card);
    await card.whenConnected();
  }
  for (const reader of pcscd.readerNames) await service.waitForCard({ reader, timeoutMs: 10_000 });
  bridge = await startBridge({ port: 0, pcsc: true, log: new Logger(() => undefined) });
});

afterAll(async () => {
  await bridge?.close();
  await Promise.all(cards.map((c) => c.close()));
  await service?.close();
  await pcscd?.stop();
});

const iccids = BOX.map((name) => findSim(demoProfileSet(), name).iccid);

describe('readers named with any characters, several at once', () => {
  it('pcscd lists them by those names, and each opens and answers by its name, all four at the same time', async () => {
    expect(pcscd.readerNames).toEqual([`${FRIENDLY[0]} 00 00`, `${FRIENDLY[0]} 00 01`, `${FRIENDLY[1]} 00 00`, `${FRIENDLY[1]} 00 01`]);
    expect((await service.listReaders()).map((r) => [r.name, r.card])).toEqual(pcscd.readerNames.map((n) => [n, 'present']));
    const transports = await Promise.all(pcscd.readerNames.map((name) => PcscTransport.open(name, { service })));
    try {
      expect(await Promise.all(transports.map((t) => new Usim(t).readIccid()))).toEqual(iccids);
    } finally {
      await Promise.all(transports.map((t) => t.close()));
    }
  });

  it('the bridge carries the names as they are: listed, opened by name, four sessions at once', async () => {
    const client = await BridgeClient.connect(`${bridge.url.replace('http:', 'ws:')}/ws`, { WebSocket: wsFrom(bridge.url) });
    try {
      await eventually(
        async () => (await client.readers()).filter((r) => r.card).length === 4,
        'the bridge lists the four readers with their cards',
        5000,
      );
      expect((await client.readers()).map((r) => r.name)).toEqual([...pcscd.readerNames]);
      const sessions = await Promise.all(pcscd.readerNames.map((name) => client.open(name)));
      expect(await Promise.all(sessions.map((s) => s.readIccid()))).toEqual(iccids);
      expect(await Promise.all(sessions.map((s) => s.readImsi()))).toEqual(BOX.map((name) => findSim(demoProfileSet(), name).imsi));
      await Promise.all(sessions.map((s) => s.close()));
    } finally {
      client.close();
    }
  });
});
