import {
  KryptonClient,
  MemoryKeyCache,
  simEndpoint,
  Tracer,
  Usim,
  type SimAuthenticator,
  type TraceEvent,
} from '@krypton-web/krypton-core';
import { connectCardToVpcd, findSim, VirtualUsim, type Lab } from '@krypton-web/krypton-lab';
import { emulatorChannel, HuaweiModemEmulator } from '@krypton-web/krypton-lab/modem';
import type { PcscdHandle } from '@krypton-web/krypton-lab/rigs';
import { AtModem, BridgeClient, MemoryCardTransport } from '@krypton-web/sim-transport';
import { PcscTransport } from '@krypton-web/sim-transport/node';
import { WebSocket } from 'ws';

/** A SIM reached one way, with the card's own APDU counter. */
export interface LinkRig {
  name: string;
  sim: SimAuthenticator;
  card: VirtualUsim;
  close(): Promise<void>;
}

/** The in-memory link: the virtual USIM in the same process. */
export async function memoryRig(lab: Lab, simName = 'demo'): Promise<LinkRig> {
  const card = await VirtualUsim.create(findSim(lab.profiles, simName));
  return { name: 'in-memory', card, sim: new Usim(new MemoryCardTransport(card)), close: async () => undefined };
}

/** The modem link: the AT engine over the lab's Huawei emulator (in process, URC noise on). */
export async function modemRig(lab: Lab, simName = 'demo'): Promise<LinkRig> {
  const card = await VirtualUsim.create(findSim(lab.profiles, simName));
  const emulator = new HuaweiModemEmulator(card, { urcNoise: { seed: 1, intervalMs: 200 } });
  await emulator.ready;
  const modem = await AtModem.open(emulatorChannel(emulator));
  return { name: 'modem (AT+CSIM)', card, sim: new Usim(modem.transport), close: () => modem.close() };
}

/** The PC/SC link: pcscd + vpcd with the virtual USIM as the card. */
export async function pcscRig(lab: Lab, pcscd: PcscdHandle, simName = 'demo', host = '127.0.0.1'): Promise<LinkRig> {
  const card = await VirtualUsim.create(findSim(lab.profiles, simName));
  const connection = connectCardToVpcd({ host, port: pcscd.vpcdPort, card });
  await connection.whenConnected();
  await waitForCard(pcscd.readerName);
  const transport = await PcscTransport.open(pcscd.readerName);
  return {
    name: 'PC/SC (pcscd + vpcd)',
    card,
    sim: new Usim(transport),
    close: async () => {
      await transport.close();
      await connection.close();
      await waitForEmpty(pcscd.readerName);
    },
  };
}

/** The bridge link: the page's bridge client, the bridge, pcscd, the card. */
export async function bridgeRig(lab: Lab, pcscd: PcscdHandle, bridgeUrl: string, simName = 'demo', host = '127.0.0.1'): Promise<LinkRig> {
  const card = await VirtualUsim.create(findSim(lab.profiles, simName));
  const connection = connectCardToVpcd({ host, port: pcscd.vpcdPort, card });
  await connection.whenConnected();
  await waitForCard(pcscd.readerName);
  const client = await BridgeClient.connect(`${bridgeUrl.replace('http', 'ws')}/ws`, { WebSocket: originWebSocket(bridgeUrl) });
  const session = await client.open(pcscd.readerName);
  return {
    name: 'bridge (WebSocket → PC/SC)',
    card,
    sim: session,
    close: async () => {
      await session.close();
      client.close();
      await connection.close();
      await waitForEmpty(pcscd.readerName);
    },
  };
}

/** A WebSocket constructor that sends the bridge's own Origin, as its page would. */
export function originWebSocket(bridgeUrl: string): new (url: string) => globalThis.WebSocket {
  return class extends WebSocket {
    constructor(url: string) {
      super(url, { origin: bridgeUrl });
    }
  } as unknown as new (url: string) => globalThis.WebSocket;
}

/** Waits until pcscd shows the reader empty, so the next rig's card is not mistaken for this one. */
async function waitForEmpty(reader: string): Promise<void> {
  const { PcscService } = await import('@krypton-web/sim-transport/node');
  const service = await PcscService.open();
  try {
    const deadline = Date.now() + 5000;
    while (Date.now() < deadline) {
      if ((await service.listReaders()).find((r) => r.name === reader)?.card === 'empty') return;
      await new Promise((r) => setTimeout(r, 50));
    }
  } finally {
    await service.close();
  }
}

async function waitForCard(reader: string): Promise<void> {
  const { PcscService } = await import('@krypton-web/sim-transport/node');
  const service = await PcscService.open();
  try {
    await service.waitForCard({ reader, timeoutMs: 10_000 });
  } finally {
    await service.close();
  }
}

/** A Krypton client for a rig against the lab, counting HTTP calls by step through its trace. */
export function clientFor(lab: Lab, sim: SimAuthenticator, cache = new MemoryKeyCache(), now?: () => number) {
  const events: TraceEvent[] = [];
  const tracer = new Tracer((e) => events.push(e));
  const client = new KryptonClient({ endpoint: simEndpoint(lab.urls.provisioning), sim, keyCache: cache, tracer, ...(now ? { now } : {}) });
  return { client, events, tracer, cache };
}
