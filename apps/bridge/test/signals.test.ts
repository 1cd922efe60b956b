import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import net from 'node:net';
import { fileURLToPath } from 'node:url';
import WebSocket from 'ws';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { Usim } from '@krypton-web/krypton-core';
import { connectCardToVpcd, demoProfileSet, findSim, VirtualUsim, type VpcdConnection } from '@krypton-web/krypton-lab';
import { startPcscd, type PcscdHandle } from '@krypton-web/krypton-lab/rigs';
import { BridgeClient, type BridgeRemoteError, type WebSocketLike } from '@krypton-web/sim-transport';
import { PcscService, PcscTransport } from '@krypton-web/sim-transport/node';

// The `bridge` command as a person runs it: a real process on a real pcscd with the lab's virtual
// USIM in a vpcd reader. SIGTERM and SIGINT end it with exit code 0, after it closed the SIM session
// a page held, so another program can take the reader at once.
vi.setConfig({ testTimeout: 45_000, hookTimeout: 180_000 });

const appDir = fileURLToPath(new URL('..', import.meta.url));
const DEMO_IMSI = findSim(demoProfileSet(), 'demo').imsi;

let pcscd: PcscdHandle;
let service: PcscService;
let card: VpcdConnection | undefined;
beforeAll(async () => {
  delete process.env.PCSCLITE_CSOCK_NAME;
  pcscd = await startPcscd();
  service = await PcscService.open();
  card = connectCardToVpcd({ host: '127.0.0.1', port: pcscd.vpcdPort, card: await VirtualUsim.create(findSim(demoProfileSet(), 'demo')) });
  await card.whenConnected();
  await service.waitForCard({ reader: pcscd.readerName, timeoutMs: 10_000 });
});
afterAll(async () => {
  await card?.close();
  await service?.close();
  await pcscd?.stop();
});

const children: ChildProcess[] = [];
afterEach(() => {
  for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
});

/** A free TCP port on loopback. */
async function freePort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

/** Waits until `check` holds, or fails naming `what`. */
async function eventually(check: () => boolean | Promise<boolean>, what: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** `ws`'s WebSocket, sending the bridge's own origin as its page would. */
function wsFrom(origin: string): WebSocketLike {
  return class extends WebSocket {
    constructor(url: string) {
      super(url, { origin });
    }
  } as unknown as WebSocketLike;
}

describe('the bridge command', () => {
  it.each([
    ['SIGTERM', []],
    ['SIGINT', ['--lab']],
  ] as const)('exits 0 on %s, closing the session it held and freeing the reader', async (signal, extra) => {
    const port = await freePort();
    const child = spawn(process.execPath, ['bin/bridge.js', '--port', String(port), ...extra], {
      cwd: appDir,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.push(child);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
    await eventually(() => stdout.includes(`open http://localhost:${port}/`), `the bridge started (${stderr})`, 20_000);

    const url = `http://127.0.0.1:${port}`;
    let ended: BridgeRemoteError | undefined;
    const page = await BridgeClient.connect(`ws://127.0.0.1:${port}/ws`, { WebSocket: wsFrom(url), onClose: (e) => (ended = e) });
    try {
      await eventually(
        async () => (await page.readers()).some((r) => r.name === pcscd.readerName && r.card),
        'the bridge lists the reader with its card',
        5000,
      );
      const session = await page.open(pcscd.readerName);
      expect(await session.readImsi()).toBe(DEMO_IMSI);

      const signalledAt = performance.now();
      child.kill(signal);
      const [code, bySignal] = await exited;
      expect({ code, bySignal }).toEqual({ code: 0, bySignal: null });
      expect(performance.now() - signalledAt).toBeLessThan(5000);
      expect(stderr).toContain(`${signal}: closing card sessions and stopping`);
      await eventually(() => ended !== undefined, 'the page was told the bridge went away', 2000);
    } finally {
      page.close();
    }

    // Another program now takes the reader for itself.
    const other = await PcscTransport.open(pcscd.readerName, { service, share: 'exclusive', timeoutMs: 3000 });
    try {
      expect(await new Usim(other).readImsi()).toBe(DEMO_IMSI);
    } finally {
      await other.close();
    }
  });
});
