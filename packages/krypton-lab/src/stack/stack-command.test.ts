import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { PcscService, type PcscServiceEvent } from '@krypton-web/sim-transport/node';
import { describe, expect, it } from 'vitest';
import { runLab } from '../cli/main.ts';
import { DEMO_BOX_SIMS, demoProfileSet, findSim } from '../profiles/index.ts';
import { findFreePortPair, startPcscd } from '../rigs/index.ts';
import { debianReaders, parseDuration, parseStackArgs, readerConfHint } from './stack-command.ts';
import { startVpcdPeer } from './vpcd-peer.test-support.ts';

const repoRoot = fileURLToPath(new URL('../../../..', import.meta.url));

/** Runs `lab stack` in-process with collected output and a stop switch. */
function inProcess(argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  let stop!: (signal: string) => void;
  const stopSignal = new Promise<string>((resolve) => (stop = resolve));
  const done = runLab(['stack', ...argv], { stdout: (l) => out.push(l), stderr: (l) => err.push(l), stopSignal });
  return { done, out, err, stop };
}

describe('lab stack arguments', () => {
  it.each<[string[], Partial<ReturnType<typeof parseStackArgs>>]>([
    [[], { readers: 2, sims: [...DEMO_BOX_SIMS], everyMs: 2000, holdMs: undefined, vpcd: undefined, loop: false, trace: false }],
    [['--sims', 'box', '--readers', '3', '--every', '1.5s'], { readers: 3, sims: [...DEMO_BOX_SIMS], everyMs: 1500 }],
    [
      ['--readers', '3', '--sims', 'demo,demo-pin, demo-foreign', '--every', '2s', '--hold', '500ms', '--loop', '--trace'],
      { readers: 3, sims: ['demo', 'demo-pin', 'demo-foreign'], everyMs: 2000, holdMs: 500, loop: true, trace: true },
    ],
    [
      ['--vpcd', '127.0.0.1:40000,[::1]:0x9C41', '--every=1m'],
      {
        readers: 2,
        vpcd: [
          { host: '127.0.0.1', port: 40000 },
          { host: '::1', port: 0x9c41 },
        ],
        everyMs: 60_000,
      },
    ],
    [['--readers', '1', '--vpcd', 'localhost:35963'], { readers: 1, vpcd: [{ host: 'localhost', port: 35963 }] }],
  ])('reads %j', (argv, expected) => {
    expect(parseStackArgs(argv)).toMatchObject(expected);
  });

  it.each<[string[], RegExp]>([
    [['--readers', '0'], /--readers must be from 1 to 16, got 0/],
    [['--readers', 'three'], /--readers must be a whole number/],
    [['--readers', '3', '--vpcd', '127.0.0.1:1,127.0.0.1:2'], /--readers 3 needs 3 vpcd endpoints, but --vpcd lists 2/],
    [['--vpcd', 'nowhere'], /--vpcd must be HOST:PORT/],
    [['--sims', 'demo,no-such-sim'], /--sims: no SIM named "no-such-sim"; known: demo/],
    [['--sims', 'demo,,demo-pin'], /--sims has an empty name/],
    [['--every', '2'], /--every must be a duration such as 500ms, 2s or 1m, got "2"/],
    [['--every', '0s'], /--every must be longer than 0/],
    [['--hold', 'soon'], /--hold must be a duration/],
    [['--every', '2h'], /--every must be a duration/],
    [['--bogus'], /Unknown option '--bogus'/],
    [['extra'], /Unexpected argument 'extra'/],
  ])('refuses %j with one line on stderr and exit code 2', async (argv, message) => {
    expect(() => parseStackArgs(argv)).toThrow(message);
    const r = inProcess(argv);
    expect(await r.done).toBe(2);
    expect(r.out).toEqual([]);
    expect(r.err).toHaveLength(1);
    expect(r.err[0]).toMatch(/^lab stack: /);
    expect(r.err[0]).toMatch(message);
  });

  it('parses durations', () => {
    expect([parseDuration('x', '250ms'), parseDuration('x', '0.5s'), parseDuration('x', '2m')]).toEqual([250, 500, 120_000]);
    expect(() => parseDuration('x', '61m')).toThrow(/at most an hour/);
  });

  it('prints its help on --help, naming the reader.conf.d entries more readers need', async () => {
    const r = inProcess(['--help']);
    expect(await r.done).toBe(0);
    const help = r.out.join('\n');
    expect(help).toMatch(/^usage: pnpm lab stack \[--readers N\] \[--sims box\|NAME,NAME...\] \[--every DURATION\] \[--hold DURATION\]/);
    expect(help).toContain('--vpcd HOST:PORT[,HOST:PORT...]');
    expect(help).toMatch(/More readers need more entries in \/etc\/reader.conf.d\//);
  });

  it('is listed by `pnpm lab --help`', async () => {
    const out: string[] = [];
    expect(
      await runLab(['--help'], { stdout: (l) => out.push(l), stderr: () => undefined, stopSignal: new Promise(() => undefined) }),
    ).toBe(0);
    expect(out.join('\n')).toMatch(/^\s+stack\s+deal a box of virtual SIMs/m);
  });
});

describe("lab stack and Debian's system vpcd", () => {
  it('names the readers of Debian ports in order, two per entry', () => {
    expect(debianReaders(5)).toEqual([
      { endpoint: { host: '127.0.0.1', port: 35963 }, name: 'Virtual PCD 00 00' },
      { endpoint: { host: '127.0.0.1', port: 35964 }, name: 'Virtual PCD 00 01' },
      { endpoint: { host: '127.0.0.1', port: 35965 }, name: 'Virtual PCD 2 00 00' },
      { endpoint: { host: '127.0.0.1', port: 35966 }, name: 'Virtual PCD 2 00 01' },
      { endpoint: { host: '127.0.0.1', port: 35967 }, name: 'Virtual PCD 3 00 00' },
    ]);
  });

  it('says exactly which reader.conf.d entries to add for the readers that do not answer', () => {
    expect(readerConfHint(3, new Set([35963, 35964]))).toBe(
      [
        '# /etc/reader.conf.d/vpcd-2 (readers "Virtual PCD 2 00 00" and "Virtual PCD 2 00 01"), after',
        '#   cp /usr/lib/pcsc/drivers/serial/libifdvpcd.so /usr/lib/pcsc/drivers/serial/libifdvpcd-2.so',
        'FRIENDLYNAME "Virtual PCD 2"',
        'DEVICENAME   /dev/null:0x8C7D',
        'LIBPATH      /usr/lib/pcsc/drivers/serial/libifdvpcd-2.so',
        'CHANNELID    0x8C7D',
        '# then: systemctl restart pcscd',
      ].join('\n'),
    );
    // Nothing answers: Debian's own entry first, then the others.
    const all = readerConfHint(6, new Set());
    expect(all.match(/^FRIENDLYNAME .*$/gm)).toEqual([
      'FRIENDLYNAME "Virtual PCD"',
      'FRIENDLYNAME "Virtual PCD 2"',
      'FRIENDLYNAME "Virtual PCD 3"',
    ]);
    expect(all.match(/^CHANNELID .*$/gm)).toEqual(['CHANNELID    0x8C7B', 'CHANNELID    0x8C7D', 'CHANNELID    0x8C7F']);
    expect(readerConfHint(2, new Set([35963, 35964]))).toBe('');
  });
});

describe('lab stack feeding a pcscd started by the test', () => {
  it('stops with one line when a vpcd endpoint does not answer', async () => {
    const port = await findFreePortPair();
    const r = inProcess(['--vpcd', `127.0.0.1:${port}`, '--sims', 'demo']);
    expect(await r.done).toBe(1);
    expect(r.out).toEqual([]);
    expect(r.err).toEqual([
      `stack: 1 of 1 vpcd readers do not answer (127.0.0.1:${port}); is pcscd running with vsmartcard-vpcd readers there?`,
    ]);
  });

  it('deals the SIMs to three readers, one line per card in and out, and PC/SC sees them come and go', async () => {
    delete process.env.PCSCLITE_CSOCK_NAME;
    const pcscd = await startPcscd({ readers: 3 });
    const service = await PcscService.open();
    const seen: PcscServiceEvent[] = [];
    for (const type of ['card-inserted', 'card-removed'] as const) service.on(type, (e) => seen.push(e));
    try {
      const vpcd = pcscd.vpcdPorts.map((p) => `127.0.0.1:${p}`).join(',');
      const r = inProcess([
        '--readers',
        '3',
        '--vpcd',
        vpcd,
        '--sims',
        'demo,demo-pin,demo-foreign,demo-box-08',
        '--every',
        '1200ms',
        '--hold',
        '1500ms',
      ]);
      expect(await r.done).toBe(0);
      expect(r.err[0]).toMatch(/^stack: 4 SIMs to 3 readers, one every 1200 ms, each held 1500 ms; Ctrl-C removes the cards$/);
      expect(r.err.at(-1)).toBe('stack: done; every card removed');
      const iccid = (name: string) => findSim(demoProfileSet(), name).iccid;
      const at = (port: number, i: number) => `reader ${i} \\(127\\.0\\.0\\.1:${port}\\)`;
      const [p1, p2, p3] = pcscd.vpcdPorts as [number, number, number];
      const expectIn = (reader: string, sim: string) => new RegExp(`^\\d\\d:\\d\\d:\\d\\d ${reader} ← ${sim} \\(ICCID ${iccid(sim)}\\)$`);
      const expectOut = (reader: string, sim: string) => new RegExp(`^\\d\\d:\\d\\d:\\d\\d ${reader} → removed \\(${sim}\\)$`);
      expect(r.out).toHaveLength(8);
      const line = (re: RegExp) => r.out.findIndex((l) => re.test(l));
      const order = [
        expectIn(at(p1, 1), 'demo'),
        expectIn(at(p2, 2), 'demo-pin'),
        expectIn(at(p3, 3), 'demo-foreign'),
        expectIn(at(p1, 1), 'demo-box-08'),
      ].map(line);
      expect(order).not.toContain(-1);
      expect([...order].sort((a, b) => a - b)).toEqual(order);
      expect(line(expectOut(at(p1, 1), 'demo'))).toBeGreaterThan(order[0]!);
      expect(line(expectOut(at(p1, 1), 'demo'))).toBeLessThan(order[3]!);
      expect(line(expectOut(at(p3, 3), 'demo-foreign'))).toBeGreaterThan(order[2]!);
      expect(line(expectOut(at(p1, 1), 'demo-box-08'))).toBe(7);

      // Cards go in 1.2 s apart and pcscd takes up to ~0.5 s to power one: the lines keep the dealing order.
      // PC/SC saw each reader get its cards and lose them, in that order.
      const deadline = Date.now() + 3000;
      while (seen.filter((e) => e.type === 'card-removed').length < 4 && Date.now() < deadline) await new Promise((x) => setTimeout(x, 20));
      const of = (name: string) => seen.filter((e) => 'reader' in e && e.reader === name).map((e) => e.type);
      expect(of(pcscd.readerNames[0]!)).toEqual(['card-inserted', 'card-removed', 'card-inserted', 'card-removed']);
      expect(of(pcscd.readerNames[1]!)).toEqual(['card-inserted', 'card-removed']);
      expect(of(pcscd.readerNames[2]!)).toEqual(['card-inserted', 'card-removed']);
    } finally {
      await service.close();
      await pcscd.stop();
    }
  }, 150_000);

  it('loops until the stop signal, then pulls the cards out', async () => {
    delete process.env.PCSCLITE_CSOCK_NAME;
    const pcscd = await startPcscd();
    const service = await PcscService.open();
    try {
      const vpcd = pcscd.vpcdPorts.map((p) => `127.0.0.1:${p}`).join(',');
      const r = inProcess(['--vpcd', vpcd, '--sims', 'demo-blocked', '--every', '300ms', '--hold', '10s', '--loop']);
      await service.waitForCard({ reader: pcscd.readerNames[1]!, timeoutMs: 10_000 });
      r.stop('SIGINT');
      expect(await r.done).toBe(0);
      expect(r.out).toHaveLength(4);
      expect(r.out.filter((l) => l.includes('← demo-blocked'))).toHaveLength(2);
      expect(r.err.at(-1)).toBe('stack: stopped; every card removed');
      const deadline = Date.now() + 3000;
      while (service.readers.some((x) => x.card === 'present') && Date.now() < deadline) await new Promise((x) => setTimeout(x, 20));
      expect(service.readers.map((x) => x.card)).toEqual(['empty', 'empty']);
    } finally {
      await service.close();
      await pcscd.stop();
    }
  }, 150_000);
});

describe('lab stack --trace', () => {
  it('prints each exchange on stderr, labelled with its reader', async () => {
    const peer = await startVpcdPeer({ autoPower: true });
    try {
      const r = inProcess(['--vpcd', `127.0.0.1:${peer.port}`, '--sims', 'demo', '--every', '100ms', '--hold', '1s', '--trace']);
      // The command first checks that the reader answers (a connection closed at once), then deals the card.
      await (
        await peer.nextCard()
      ).closed;
      const card = await peer.nextCard();
      expect(await card.transmit('00a4040c07a0000000871002')).toBe('9000');
      expect(await r.done).toBe(0);
      const reader = `[reader 1 (127.0.0.1:${peer.port})]`;
      expect(r.err).toContain(`${reader} => 00a4040c07a0000000871002`);
      expect(r.err).toContain(`${reader} <= 9000`);
      expect(r.out).toHaveLength(2);
    } finally {
      await peer.close();
    }
  });
});

describe('pnpm lab stack as a process', () => {
  it('answers --help through the bin, and a bad flag as one line with exit code 2', async () => {
    const run = promisify(execFile);
    const { stdout } = await run('pnpm', ['lab', 'stack', '--help'], { cwd: repoRoot });
    expect(stdout).toMatch(/^usage: pnpm lab stack/);
    const failure = await run('pnpm', ['lab', 'stack', '--every', 'never'], { cwd: repoRoot }).catch(
      (e: { code: number; stderr: string; stdout: string }) => e,
    );
    expect(failure).toMatchObject({ code: 2, stdout: '' });
    expect((failure as { stderr: string }).stderr.trim().split('\n')).toEqual([
      'lab stack: --every must be a duration such as 500ms, 2s or 1m, got "never"',
    ]);
  }, 60_000);
});
