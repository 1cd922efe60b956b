/**
 * PcscService against a real pcscd (the lab harness) with vpcd readers: listing, card events,
 * surviving a pcscd restart, and leaving nothing behind that keeps the process alive.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { DEFAULT_PCSCD_LOCK, acquireMachineLock, type PcscdHandle } from '@krypton-web/krypton-lab/rigs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { PcscError } from '@krypton-web/sim-transport/node';
import { PcscService } from '@krypton-web/sim-transport/node';
import {
  HeldCard,
  PCSCD_HOOK_TIMEOUT,
  SELECT_USIM,
  demoUsim,
  hex,
  insert,
  nextEvent,
  readerShows,
  recordEvents,
  startTestPcscd,
} from './pcsc-test-kit.test-support.ts';
import { PcscTransport } from '@krypton-web/sim-transport/node';

describe('PcscService with pcscd running', () => {
  let pcscd: PcscdHandle;
  let first: string;
  let second: string;

  beforeAll(async () => {
    pcscd = await startTestPcscd();
    [first, second] = pcscd.readerNames as [string, string];
  }, PCSCD_HOOK_TIMEOUT);

  afterAll(async () => {
    await pcscd?.stop();
  });

  afterEach(async () => {
    // pcscd notices a card pulled by the test on its next poll: the next test must not see it still there.
    const service = await PcscService.open();
    try {
      await readerShows(service, first, 'empty');
      await readerShows(service, second, 'empty');
    } finally {
      await service.close();
    }
  });

  it('lists both vpcd readers, empty, in pcscd order', async () => {
    const service = await PcscService.open();
    try {
      expect(service.state).toBe('ready');
      const readers = await service.listReaders();
      expect(readers.map((r) => r.name)).toEqual(['Virtual PCD 00 00', 'Virtual PCD 00 01']);
      expect(readers.map((r) => r.card)).toEqual(['empty', 'empty']);
      expect(readers.every((r) => r.atr.length === 0)).toBe(true);
    } finally {
      await service.close();
    }
  });

  it('reports a card inserted (with its ATR) and removed, per reader, and shows it in listReaders', async () => {
    const service = await PcscService.open();
    const card = await demoUsim();
    const record = recordEvents(service);
    const conn = insert(card, pcscd.vpcdPort + 1);
    try {
      const inserted = await nextEvent(service, 'card-inserted', (e) => e.reader === second);
      expect(hex(inserted.atr)).toBe(hex(card.atr));
      expect(inserted.mute).toBe(false);
      const listed = await service.listReaders();
      expect(listed.find((r) => r.name === second)).toMatchObject({ card: 'present' });
      expect(hex(listed.find((r) => r.name === second)!.atr)).toBe(hex(card.atr));
      expect(listed.find((r) => r.name === first)?.card).toBe('empty');

      const removed = nextEvent(service, 'card-removed', (e) => e.reader === second);
      await conn.remove();
      await removed;
      expect((await service.listReaders()).find((r) => r.name === second)?.card).toBe('empty');

      const again = nextEvent(service, 'card-inserted', (e) => e.reader === second);
      conn.insert();
      await again;
      expect(record.events.map((e) => `${e.type} ${'reader' in e ? e.reader : ''}`.trim())).toEqual([
        `card-inserted ${second}`,
        `card-removed ${second}`,
        `card-inserted ${second}`,
      ]);
    } finally {
      await conn.close();
      await service.close();
    }
  });

  it('waits for a card, and stops waiting with NO_CARD naming the readers', async () => {
    const service = await PcscService.open();
    const conn = insert(await demoUsim(), pcscd.vpcdPort);
    try {
      const found = await service.waitForCard({ timeoutMs: 10_000 });
      expect(found.name).toBe(first);
      await conn.remove();
      await readerShows(service, first, 'empty');
      const started = performance.now();
      await expect(service.waitForCard({ reader: second, timeoutMs: 300 })).rejects.toMatchObject({
        code: 'NO_CARD',
        message: expect.stringContaining(second),
      });
      expect(performance.now() - started).toBeGreaterThanOrEqual(250);
    } finally {
      await conn.close();
      await service.close();
    }
  });

  it('survives a pcscd restart: service-lost, then service-restored, the readers and card again, and a new open works', async () => {
    const service = await PcscService.open();
    const card = new HeldCard(await demoUsim());
    const conn = insert(card, pcscd.vpcdPort);
    let restarting: Promise<void> | undefined;
    try {
      await nextEvent(service, 'card-inserted', (e) => e.reader === first);
      const transport = await PcscTransport.open(first, { service });
      expect(hex(await transport.transmit(SELECT_USIM))).toBe('9000');
      const record = recordEvents(service);

      // A command in flight when pcscd stops ends at once with TRANSPORT_FAILED, not at its timeout.
      card.holdNext();
      const pending = transport.transmit(SELECT_USIM).then(
        () => undefined,
        (e: unknown) => e,
      );
      const lost = nextEvent(service, 'service-lost');
      const restored = nextEvent(service, 'service-restored', undefined, 20_000);
      const started = performance.now();
      restarting = pcscd.restart();
      const failure = await pending;
      expect(performance.now() - started).toBeLessThan(2000);
      expect(failure).toBeInstanceOf(PcscError);
      expect(failure).toMatchObject({ code: 'TRANSPORT_FAILED', problem: 'no-service' });
      card.release();
      expect((await lost).error).toMatchObject({ code: 'TRANSPORT_FAILED', problem: 'no-service' });
      expect(service.state).not.toBe('ready');
      await expect(service.listReaders()).rejects.toMatchObject({ code: 'TRANSPORT_FAILED', problem: 'no-service' });
      expect(transport.state).toBe('lost');
      await restarting;
      await restored;
      expect(service.state).toBe('ready');
      // The card dials the new vpcd by itself; pcscd reports it shortly after.
      await nextEvent(service, 'card-inserted', (e) => e.reader === first, 15_000);

      const kinds = record.events.map((e) => `${e.type}${'reader' in e ? ` ${e.reader}` : ''}`);
      expect(kinds).toEqual([
        'service-lost',
        `card-removed ${first}`,
        `reader-removed ${first}`,
        `reader-removed ${second}`,
        'service-restored',
        `reader-added ${first}`,
        `reader-added ${second}`,
        `card-inserted ${first}`,
      ]);
      expect((await service.listReaders()).map((r) => r.name)).toEqual([first, second]);

      // The old connection comes back with reconnect(); a fresh open works too.
      await expect(transport.transmit(SELECT_USIM)).rejects.toMatchObject({ code: 'TRANSPORT_FAILED' });
      await transport.reconnect();
      expect(hex(await transport.transmit(SELECT_USIM))).toBe('9000');
      await transport.close();
      const fresh = await PcscTransport.open(first, { service });
      expect(hex(await fresh.transmit(SELECT_USIM))).toBe('9000');
      await fresh.close();
    } finally {
      card.release();
      // Never leave a restart running: it would start a pcscd after this file's stop().
      await restarting?.catch(() => undefined);
      await conn.close();
      await service.close();
    }
  }, 60_000);

  it('closes its transports with itself, stops reporting, and refuses use after close', async () => {
    const service = await PcscService.open();
    const conn = insert(await demoUsim(), pcscd.vpcdPort);
    try {
      await service.waitForCard({ timeoutMs: 10_000 });
      const transport = await PcscTransport.open(first, { service });
      const record = recordEvents(service);
      await service.close();
      await service.close();
      expect(service.state).toBe('closed');
      expect(transport.state).toBe('closed');
      await expect(service.listReaders()).rejects.toMatchObject({ code: 'TRANSPORT_CLOSED' });
      await expect(PcscTransport.open(first, { service })).rejects.toMatchObject({ code: 'TRANSPORT_CLOSED' });
      await conn.remove();
      await new Promise((r) => setTimeout(r, 800));
      expect(record.events).toEqual([]);
    } finally {
      await conn.close();
    }
  });

  it('leaves nothing that keeps the process alive once closed (a child process exits by itself)', async () => {
    const conn = insert(await demoUsim(), pcscd.vpcdPort);
    const service = await PcscService.open();
    try {
      await service.waitForCard({ timeoutMs: 10_000 });
      await service.close();
      for (const mode of ['closed', 'first-reader'] as const) {
        const run = await runChild(first, mode, 5000);
        expect(run, `${mode}: ${run.output}`).toMatchObject({ exited: true, code: 0 });
        expect(run.output).toContain('sw 9000');
        console.log(`[pcsc] child (${mode}) exited ${run.afterDoneMs.toFixed(0)} ms after closing`);
      }
      // The control: the same child that does not close stays alive, so the check above can fail.
      const open = await runChild(first, 'leave-open', 3000);
      expect(open.output).toContain('done');
      expect(open.exited).toBe(false);
    } finally {
      await conn.close();
    }
  }, 60_000);
});

describe('PcscService without pcscd', () => {
  it(
    'says pcscd is not running, and how to start it',
    async () => {
      // While the harness lock is held no test pcscd runs (and the harness refuses to run beside another one).
      const lock = await acquireMachineLock(DEFAULT_PCSCD_LOCK, { timeoutMs: 120_000, purpose: 'sim-transport: PC/SC without pcscd' });
      try {
        delete process.env.PCSCLITE_CSOCK_NAME;
        const error = await PcscService.open().then(
          () => undefined,
          (e: unknown) => e,
        );
        expect(error).toBeInstanceOf(PcscError);
        expect(error).toMatchObject({ name: 'TransportError', code: 'TRANSPORT_FAILED', problem: 'no-service' });
        expect((error as Error).message).toContain('sudo systemctl start pcscd');
      } finally {
        lock.release();
      }
    },
    PCSCD_HOOK_TIMEOUT,
  );
});

/** Runs exit-check.test-support.ts; reports whether it exited within `graceMs` of printing "done". */
async function runChild(
  reader: string,
  mode: string,
  graceMs: number,
): Promise<{ exited: boolean; code: number | null; output: string; afterDoneMs: number }> {
  const script = fileURLToPath(new URL('./exit-check.test-support.ts', import.meta.url));
  const env = { ...process.env };
  delete env.PCSCLITE_CSOCK_NAME;
  const child = spawn(process.execPath, ['--import', 'tsx', script, reader, mode], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  let doneAt: number | undefined;
  child.stdout.on('data', (chunk: Buffer) => {
    output += chunk.toString();
    if (doneAt === undefined && output.includes('done')) doneAt = performance.now();
  });
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const startDeadline = Date.now() + 20_000;
  while (doneAt === undefined && child.exitCode === null && Date.now() < startDeadline) await new Promise((r) => setTimeout(r, 20));
  if (doneAt === undefined) {
    child.kill('SIGKILL');
    await exit;
    return { exited: false, code: null, output, afterDoneMs: NaN };
  }
  const result = await Promise.race([
    exit.then((code) => ({ exited: true, code })),
    new Promise<{ exited: false; code: null }>((r) => setTimeout(() => r({ exited: false, code: null }), graceMs)),
  ]);
  const afterDoneMs = performance.now() - doneAt;
  if (!result.exited) {
    child.kill('SIGKILL');
    await exit;
  }
  return { ...result, output, afterDoneMs };
}
