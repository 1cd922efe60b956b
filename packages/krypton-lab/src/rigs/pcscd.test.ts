import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { toHex } from '@krypton-web/krypton-core';
import { PcscService } from '@krypton-web/sim-transport/node';
import { describe, expect, it } from 'vitest';
import { VirtualUsim } from '../card/index.ts';
import { demoProfileSet, findSim } from '../profiles/index.ts';
import { connectCardToVpcd } from '../vpcd/index.ts';
import { DEFAULT_PCSCD_LOCK, acquireMachineLock } from './machine-lock.ts';
import { DEFAULT_VPCD_DRIVER, startPcscd } from './pcscd.ts';
import { findFreePortPair, isPortFree } from './ports.ts';
import { listeningTcpPorts, readProcess } from './proc.ts';

// Each test here starts pcscd and waits its turn for the machine-wide lock, hence the long timeouts.
const SLOW = 150_000;

/** A port P such that P … P + count - 1 are all free now. */
async function freeRun(count: number): Promise<number> {
  for (;;) {
    const first = await findFreePortPair();
    if (first + count > 65536) continue;
    let free = true;
    for (let p = first + 2; p < first + count && free; p++) free = await isPortFree(p);
    if (free) return first;
  }
}

describe('startPcscd', () => {
  it('says which packages to install when pcscd is missing', async () => {
    await expect(startPcscd({ pcscdPath: '/nonexistent/pcscd' })).rejects.toMatchObject({
      code: 'PCSCD_NOT_INSTALLED',
      message: expect.stringContaining('apt-get install pcscd vsmartcard-vpcd'),
    });
  });

  it('says which package to install when the vpcd driver is missing', async () => {
    await expect(startPcscd({ driverPath: '/nonexistent/libifdvpcd.so' })).rejects.toMatchObject({
      code: 'VPCD_DRIVER_MISSING',
      message: expect.stringContaining('vsmartcard-vpcd'),
    });
  });

  it.each([0, 65535, 1.5])('refuses vpcd port %s before touching anything', async (port) => {
    await expect(startPcscd({ port })).rejects.toMatchObject({ code: 'BAD_OPTION', message: expect.stringContaining('port + 1') });
  });

  it.each([0, 17, 2.5, -1])('refuses %s readers before touching anything', async (readers) => {
    await expect(startPcscd({ readers })).rejects.toMatchObject({ code: 'BAD_OPTION', message: expect.stringContaining('from 1 to 16') });
  });

  it('refuses a first port that leaves no room for the readers after it', async () => {
    // Four readers take two entries, ports P to P + 3: 65533 would need 65536.
    await expect(startPcscd({ readers: 4, port: 65533 })).rejects.toMatchObject({
      code: 'BAD_OPTION',
      message: expect.stringContaining('from 1 to 65532'),
    });
  });

  it.each([
    [3, ['Virtual PCD 00 00', 'Virtual PCD 00 01', 'Virtual PCD 2 00 00']],
    [4, ['Virtual PCD 00 00', 'Virtual PCD 00 01', 'Virtual PCD 2 00 00', 'Virtual PCD 2 00 01']],
  ])(
    'offers %i vpcd readers, each on its own port, and a card put into reader 3 shows there alone',
    async (count, names) => {
      // Four readers on ports chosen by the test: consecutive, as the option promises.
      const port = count === 4 ? await freeRun(4) : undefined;
      const pcscd = await startPcscd({ readers: count, ...(port ? { port } : {}) });
      const service = await PcscService.open();
      const card = await VirtualUsim.create(findSim(demoProfileSet(), 'demo'));
      const connection = connectCardToVpcd({ host: '127.0.0.1', port: pcscd.vpcdPorts[2]!, card, backoff: { initialMs: 50, maxMs: 500 } });
      try {
        expect(pcscd.readerNames).toEqual(names);
        expect(pcscd.readerName).toBe(names[0]);
        expect(pcscd.vpcdPorts).toHaveLength(count);
        expect(pcscd.vpcdPort).toBe(pcscd.vpcdPorts[0]);
        // Two readers per entry, on a port and the next; the entries' ports apart from each other.
        expect(pcscd.vpcdPorts[1]).toBe(pcscd.vpcdPorts[0]! + 1);
        expect(new Set(pcscd.vpcdPorts).size).toBe(count);
        if (port) expect(pcscd.vpcdPorts).toEqual([port, port + 1, port + 2, port + 3]);
        const listening = listeningTcpPorts();
        expect(pcscd.vpcdPorts.filter((p) => !listening.has(p))).toEqual([]);

        const listed = (await service.listReaders()).map((r) => r.name);
        expect(names.filter((n) => !listed.includes(n))).toEqual([]);
        // Every reader name is unique: a client can address each one.
        expect(new Set(listed).size).toBe(listed.length);

        await connection.whenConnected();
        const inThree = await service.waitForCard({ reader: names[2], timeoutMs: 10_000 });
        expect(toHex(inThree.atr)).toBe(toHex(card.atr));
        // pcscd polls each vpcd reader about every 400 ms: after a second every reader has been asked. A
        // driver shared between entries would show this card in reader 1 as well.
        await new Promise((r) => setTimeout(r, 1000));
        const others = service.readers.filter((r) => r.name !== names[2]);
        expect(others.map((r) => [r.name, r.card])).toEqual(others.map((r) => [r.name, 'empty']));
      } finally {
        await connection.close();
        await service.close();
        await pcscd.stop();
      }
    },
    SLOW,
  );

  it(
    'starts a pcscd with two vpcd readers on a private port, then removes every trace of it',
    async () => {
      // Clients honour PCSCLITE_CSOCK_NAME but the daemon does not: the harness must unset it for
      // this process's clients (before their first PC/SC call, as libpcsclite reads it once).
      process.env.PCSCLITE_CSOCK_NAME = '/nonexistent/pcscd.comm';
      const pcscd = await startPcscd();
      let stopped = false;
      try {
        expect(process.env.PCSCLITE_CSOCK_NAME).toBeUndefined();
        expect(readProcess(pcscd.pid)?.comm).toBe('pcscd');
        expect(parseInt(readFileSync('/run/pcscd/pcscd.pid', 'utf8'), 10)).toBe(pcscd.pid);
        const ports = listeningTcpPorts();
        expect(ports.has(pcscd.vpcdPort) && ports.has(pcscd.vpcdPort + 1)).toBe(true);
        expect(pcscd.readerName).toBe('Virtual PCD 00 00');
        const service = await PcscService.open();
        try {
          const readers = await service.listReaders();
          expect(readers.map((r) => r.name)).toEqual(['Virtual PCD 00 00', 'Virtual PCD 00 01']);
          expect(readers[0]).toMatchObject({ name: pcscd.readerName, card: 'empty' });
          expect(readers[0]!.atr).toHaveLength(0);
        } finally {
          await service.close();
        }
        expect(JSON.parse(readFileSync(DEFAULT_PCSCD_LOCK, 'utf8'))).toMatchObject({ pid: process.pid });
        expect(pcscd.logs()).toMatch(/vpcd|Virtual PCD/);

        const pid = pcscd.pid;
        await pcscd.stop();
        stopped = true;
        expect(readProcess(pid)).toBeUndefined();
        expect(existsSync(pcscd.configDir)).toBe(false);
        // The lock is ours no longer (another worker may hold it already).
        const holder = existsSync(DEFAULT_PCSCD_LOCK)
          ? (JSON.parse(readFileSync(DEFAULT_PCSCD_LOCK, 'utf8')) as { pid: number })
          : undefined;
        expect(holder?.pid).not.toBe(process.pid);
        await pcscd.stop();
      } finally {
        if (!stopped) await pcscd.stop();
      }
    },
    SLOW,
  );

  it(
    'restarts on the same port with a new process',
    async () => {
      const pcscd = await startPcscd();
      try {
        const before = pcscd.pid;
        await pcscd.restart();
        expect(pcscd.pid).not.toBe(before);
        expect(readProcess(before)).toBeUndefined();
        const service = await PcscService.open();
        try {
          expect((await service.listReaders()).map((r) => r.name)).toContain(pcscd.readerName);
        } finally {
          await service.close();
        }
      } finally {
        await pcscd.stop();
      }
    },
    SLOW,
  );

  it(
    'refuses to run beside a pcscd it did not start, and leaves that one alone',
    async () => {
      const first = await startPcscd();
      const otherLock = join(mkdtempSync(join(tmpdir(), 'krypton-lock-')), 'other.lock');
      try {
        // A second harness with its own lock file stands for "someone else's pcscd is running".
        await expect(startPcscd({ lockPath: otherLock })).rejects.toMatchObject({
          code: 'PCSCD_ALREADY_RUNNING',
          message: expect.stringContaining(`pid ${first.pid}`),
        });
        expect(readProcess(first.pid)?.comm).toBe('pcscd');
        expect(existsSync(otherLock)).toBe(false);
      } finally {
        await first.stop();
        rmSync(join(otherLock, '..'), { recursive: true, force: true });
      }
    },
    SLOW,
  );

  it(
    'kills a pcscd left behind by a harness whose process died',
    async () => {
      // While holding the machine lock nobody else runs pcscd, so a hand-made orphan is safe to start.
      const lock = await acquireMachineLock(DEFAULT_PCSCD_LOCK, { timeoutMs: 120_000, purpose: 'orphan test' });
      const dead = spawn('true');
      await new Promise((r) => dead.once('exit', r));
      const dir = mkdtempSync(join(tmpdir(), `krypton-lab-pcscd-${dead.pid}-`));
      let orphanPid: number | undefined;
      try {
        const readers = join(dir, 'reader.conf.d');
        mkdirSync(readers);
        const port = await findFreePortPair();
        writeFileSync(
          join(readers, 'vpcd'),
          `FRIENDLYNAME "Virtual PCD"\nDEVICENAME /dev/null:0x${port.toString(16)}\nLIBPATH ${DEFAULT_VPCD_DRIVER}\nCHANNELID 0x${port.toString(16)}\n`,
        );
        const orphan = spawn('pcscd', ['--foreground', '--config', readers], { stdio: 'ignore' });
        orphanPid = orphan.pid!;
        const deadline = Date.now() + 10_000;
        while (!listeningTcpPorts().has(port) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 25));
        expect(readProcess(orphanPid)?.comm).toBe('pcscd');
      } finally {
        lock.release();
      }
      const pcscd = await startPcscd();
      try {
        expect(readProcess(orphanPid)).toBeUndefined();
        expect(existsSync(dir)).toBe(false);
        expect(readProcess(pcscd.pid)?.comm).toBe('pcscd');
      } finally {
        await pcscd.stop();
        rmSync(dir, { recursive: true, force: true });
      }
    },
    SLOW,
  );

  it(
    'refuses a vpcd port that is taken',
    async () => {
      const port = await findFreePortPair();
      const blocker = net.createServer().listen(port + 1, '0.0.0.0');
      await new Promise((r) => blocker.once('listening', r));
      try {
        await expect(startPcscd({ port })).rejects.toMatchObject({
          code: 'PORT_IN_USE',
          message: expect.stringContaining(String(port + 1)),
        });
      } finally {
        blocker.close();
      }
    },
    SLOW,
  );
});
