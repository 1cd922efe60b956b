/**
 * What the bridge adds to a SIM command: the same USIM commands on the same card in the same run,
 * once through krypton-core's Usim directly over PcscTransport in Node, once through the page's
 * BridgeClient → loopback WebSocket → bridge → the same PcscTransport. Reports p50/p99 of each and
 * the difference, with the APDUs each command costs.
 * `pnpm bench --only "Bridge overhead"` runs it.
 *
 * The card is the lab's virtual USIM behind vpcd in a pcscd of the bench's own (root, pcscd and
 * vsmartcard-vpcd installed). Plain vpcd stalls every APDU by ~40 ms (Nagle + delayed ACK, see
 * krypton-protocol.md §11), which would swamp a sub-millisecond difference, so the card connects
 * through the lab's quick-ACK loopback route when it can be set (root), and the output says which
 * route it used (`plain` forces plain 127.0.0.1). A second section measures the same commands
 * against the demo's in-memory virtual reader, where the bridge's own cost is all there is.
 * The PC/SC bridge runs as its own process (the `bridge` command, as `pnpm bridge` does), as it
 * does beside a browser.
 * Rounds alternate direct and bridge blocks so drift (CPU frequency, GC) hits both alike.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import net from 'node:net';
import { join } from 'node:path';
import { Usim } from '@krypton-web/krypton-core';
import { connectCardToVpcd, demoProfileSet, findSim, VirtualUsim } from '@krypton-web/krypton-lab';
import { enableLoopbackQuickAck, startPcscd, type LoopbackQuickAck, type PcscdHandle } from '@krypton-web/krypton-lab/rigs';
import { BridgeClient, MemoryCardTransport, type BridgeSimSession, type WebSocketLike } from '@krypton-web/sim-transport';
import { PcscService, PcscTransport } from '@krypton-web/sim-transport/node';
import WebSocket from 'ws';
import { Logger, startBridge, VIRTUAL_READER_NAME } from '@krypton-web/bridge-server';
import { VirtualReaderBackend } from '@krypton-web/bridge-server/virtual-reader';
import { ROOT } from '@krypton-web/build/workspace';

/** How much to measure. */
export interface BridgeLatencyOptions {
  /** Timed calls per command and path (a multiple of rounds). */
  n: number;
  /** Alternating direct/bridge blocks per command. */
  rounds: number;
  /** Untimed calls before each block. */
  warmup: number;
  /** Card on plain 127.0.0.1 even when the quick-ACK route could be set. */
  plain?: boolean;
}

/** The measurements, per card route. */
export interface BridgeLatencyReport {
  sections: Section[];
  notes: string[];
}

/** The commands measured, as both a Usim and a bridge session offer them. */
type Commands = { readImsi(): Promise<string>; pinState(): Promise<unknown> };
const COMMANDS = { imsi: (s: Commands) => s.readImsi(), 'pin-state': (s: Commands) => s.pinState() } as const;
type CommandName = keyof typeof COMMANDS;

export interface Stats {
  n: number;
  p50: number;
  p99: number;
  mean: number;
}
export interface Row {
  command: CommandName;
  apdusPerCommand: number;
  direct: Stats;
  bridge: Stats;
  addedP50: number;
  addedP99: number;
}
export interface Section {
  name: string;
  route: string;
  rows: Row[];
}

function stats(samples: number[]): Stats {
  const s = [...samples].sort((a, b) => a - b);
  const at = (q: number) => s[Math.min(s.length - 1, Math.ceil(q * s.length) - 1)]!;
  return { n: s.length, p50: at(0.5), p99: at(0.99), mean: s.reduce((a, b) => a + b, 0) / s.length };
}

async function time(run: () => Promise<unknown>, n: number, into: number[]): Promise<void> {
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    await run();
    into.push(performance.now() - t0);
  }
}

/** `ws`'s WebSocket with the bridge's own Origin, as the bridge's page sends it. */
const wsFrom = (origin: string): WebSocketLike =>
  class extends WebSocket {
    constructor(url: string) {
      super(url, { origin });
    }
  } as unknown as WebSocketLike;

/**
 * Measures each command directly and through the bridge, alternating blocks. `direct()` opens the
 * card for direct use (and closes it: the reader is exclusive), `viaBridge()` opens a bridge session.
 */
async function measure(
  opts: BridgeLatencyOptions,
  name: string,
  route: string,
  apdus: () => number,
  direct: () => Promise<{ usim: Commands; close(): Promise<void> }>,
  viaBridge: () => Promise<{ session: BridgeSimSession; close(): Promise<void> }>,
): Promise<Section> {
  const rows: Row[] = [];
  for (const command of Object.keys(COMMANDS) as CommandName[]) {
    const run = COMMANDS[command];
    const d: number[] = [];
    const b: number[] = [];
    let apduTotal = 0;
    for (let round = 0; round < opts.rounds; round++) {
      const direct1 = await direct();
      await time(() => run(direct1.usim), opts.warmup, []);
      const before = apdus();
      await time(() => run(direct1.usim), opts.n / opts.rounds, d);
      apduTotal += apdus() - before;
      await direct1.close();

      const bridge1 = await viaBridge();
      await time(() => run(bridge1.session), opts.warmup, []);
      await time(() => run(bridge1.session), opts.n / opts.rounds, b);
      await bridge1.close();
    }
    const ds = stats(d);
    const bs = stats(b);
    rows.push({
      command,
      apdusPerCommand: apduTotal / opts.n,
      direct: ds,
      bridge: bs,
      addedP50: bs.p50 - ds.p50,
      addedP99: bs.p99 - ds.p99,
    });
  }
  return { name, route, rows };
}

async function bridgeOpener(
  bridge: { port: number; url: string },
  reader: string,
): Promise<{ session: BridgeSimSession; close(): Promise<void> }> {
  const client = await BridgeClient.connect(`ws://127.0.0.1:${bridge.port}/ws`, { WebSocket: wsFrom(bridge.url) });
  // A bridge that just started may not have listed the card yet.
  const deadline = Date.now() + 10_000;
  while (!(await client.readers()).some((r) => r.name === reader && r.card)) {
    if (Date.now() > deadline) throw new Error(`the bridge does not show a card in "${reader}"`);
    await new Promise((r) => setTimeout(r, 50));
  }
  const session = await client.open(reader);
  return {
    session,
    close: async () => {
      await session.close();
      client.close();
    },
  };
}

const silent = new Logger(() => undefined);

/** `pnpm bridge` as its own process on a free port; resolves once it serves. */
async function bridgeProcess(): Promise<{ port: number; url: string; close(): Promise<void> }> {
  const probe = net.createServer();
  await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
  const port = (probe.address() as net.AddressInfo).port;
  await new Promise<void>((r) => probe.close(() => r()));
  const child: ChildProcess = spawn(process.execPath, [join(ROOT, 'apps', 'bridge', 'bin', 'bridge.js'), '--port', String(port)], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = once(child, 'exit');
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const deadline = Date.now() + 20_000;
  while (!out.includes(`localhost:${port}/`)) {
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`the bridge process did not start: ${out}`);
    await new Promise((r) => setTimeout(r, 20));
  }
  return {
    port,
    url: `http://127.0.0.1:${port}`,
    close: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}

/** Measures the bridge's cost per SIM command over PC/SC (when pcscd and vpcd are here) and over the demo's in-memory reader. */
export async function measureBridgeLatency(opts: BridgeLatencyOptions): Promise<BridgeLatencyReport> {
  if (!(opts.n > 0 && opts.rounds > 0 && opts.n % opts.rounds === 0 && opts.warmup >= 0))
    throw new Error('n must be a positive multiple of rounds');
  const demo = findSim(demoProfileSet(), 'demo');
  const sections: Section[] = [];
  const notes: string[] = [];
  // 1. PC/SC through pcscd and vpcd.
  let pcscd: PcscdHandle | undefined;
  let quickAck: LoopbackQuickAck | undefined;
  let service: PcscService | undefined;
  let bridge: { port: number; url: string; close(): Promise<void> } | undefined;
  let connection: ReturnType<typeof connectCardToVpcd> | undefined;
  const cleanup = async () => {
    await bridge?.close().catch(() => undefined);
    await service?.close().catch(() => undefined);
    await connection?.close().catch(() => undefined);
    await pcscd?.stop().catch(() => undefined);
    await quickAck?.disable().catch(() => undefined);
  };
  try {
    delete process.env.PCSCLITE_CSOCK_NAME;
    pcscd = await startPcscd();
    let host = '127.0.0.1';
    let route = 'plain 127.0.0.1 (vpcd adds ~40 ms of delayed-ACK stall per APDU)';
    if (!opts.plain) {
      try {
        quickAck = await enableLoopbackQuickAck();
        host = quickAck.address;
        route = `quick-ACK loopback route to ${quickAck.address} (no delayed-ACK stall)`;
      } catch (e) {
        notes.push(`quick-ACK route not set (${(e as Error).message}); plain vpcd timings are dominated by its ~40 ms stall`);
      }
    }
    const card = await VirtualUsim.create(demo);
    connection = connectCardToVpcd({ host, port: pcscd.vpcdPort, card });
    await connection.whenConnected();
    service = await PcscService.open();
    await service.waitForCard({ reader: pcscd.readerName, timeoutMs: 10_000 });
    bridge = await bridgeProcess();
    const reader = pcscd.readerName;
    const svc = service;
    const running = bridge;
    sections.push(
      await measure(
        opts,
        `PC/SC: pcscd + vpcd + virtual USIM ("${reader}"), bridge in its own process`,
        route,
        () => card.apduCount,
        async () => {
          const transport = await PcscTransport.open(reader, { service: svc });
          return { usim: new Usim(transport), close: () => transport.close() };
        },
        () => bridgeOpener(running, reader),
      ),
    );
  } catch (e) {
    notes.push(`PC/SC section skipped: ${(e as Error).message}`);
  } finally {
    await cleanup();
    bridge = undefined;
  }

  // 2. The demo's in-memory virtual reader: no pcscd, nothing but the bridge's own cost.
  {
    const card = await VirtualUsim.create(demo);
    const running = await startBridge({ port: 0, pcsc: false, readers: [new VirtualReaderBackend({ card })], log: silent });
    try {
      sections.push(
        await measure(
          opts,
          'demo virtual reader (in memory, no pcscd)',
          'in process',
          () => card.apduCount,
          async () => {
            const transport = new MemoryCardTransport(card, VIRTUAL_READER_NAME);
            return { usim: new Usim(transport), close: () => transport.close() };
          },
          () => bridgeOpener(running, VIRTUAL_READER_NAME),
        ),
      );
    } finally {
      await running.close();
    }
  }
  return { sections, notes };
}
