import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { closeSync, constants, existsSync, mkdtempSync, openSync, readdirSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { ReadStream } from 'node:tty';
import { fileURLToPath } from 'node:url';
import { fromHex } from '@krypton-web/krypton-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runLab } from '../cli/main.ts';
import { readProcess, type ProcessInfo } from '../rigs/proc.ts';
import { csimCommand } from './csim-codec.ts';
import { modemCommand, parseModemArgs } from './modem-command.ts';

const repoRoot = fileURLToPath(new URL('../../../..', import.meta.url));
const labBin = fileURLToPath(new URL('../../bin/lab.js', import.meta.url));
const SELECT_USIM_FCP = csimCommand(fromHex('00a4040410a0000000871002ff44ff1289000000ff'));
const FINAL = /^(OK|ERROR|COMMAND NOT SUPPORT|\+CME ERROR: .*)$/;
const URC = /^(\^[A-Z]+:.*|\+C(G|E)?REG: .*|RING)$/;

function silentIo() {
  const out: string[] = [];
  const err: string[] = [];
  return {
    io: { stdout: (l: string) => out.push(l), stderr: (l: string) => err.push(l), stopSignal: new Promise<string>(() => undefined) },
    out,
    err,
  };
}

describe('modem arguments', () => {
  it.each<[string[], object]>([
    [['--stdio'], { sim: 'demo', options: { echo: true } }],
    [
      ['--stdio', '--sim', 'demo-pin', '--urc-noise', '--slow-ms', '25'],
      { sim: 'demo-pin', options: { echo: true, urcNoise: {}, slowMs: 25 } },
    ],
    [['--stdio', '--urc-noise', '--seed', '7', '--urc-interval-ms', '0'], { options: { urcNoise: { seed: 7, intervalMs: 0 } } }],
    [
      ['--stdio', '--no-csim', '--csim-9000', '--echo-off', '--sim-absent'],
      { options: { noCsim: true, csimDirect9000: true, echo: false, simAbsent: true } },
    ],
    [['--stdio', '--lowercase-hex', '--spaces', '--iccid-swapped'], { options: { lowercaseHex: true, spaces: true, iccidSwapped: true } }],
    [['--stdio', '--personality', 'logical-channels', '--slow-ms', '5'], { options: { echo: true, logicalChannels: true, slowMs: 5 } }],
    [['--stdio', '--personality', 'echo-off'], { options: { echo: false } }],
    [['--help'], { help: true }],
  ])('reads %j', (argv, expected) => {
    expect(parseModemArgs(argv)).toMatchObject(expected);
  });

  it.each<[string[], RegExp]>([
    [[], /--stdio is required/],
    [['--stdio', '--slow-ms', 'soon'], /--slow-ms must be a whole number/],
    [['--stdio', '--slow-ms', '999999'], /--slow-ms must be from 0 to 60000/],
    [['--stdio', '--seed', '3'], /need --urc-noise/],
    [['--stdio', '--sim', ''], /--sim needs/],
    [['--stdio', '--bogus'], /Unknown option '--bogus'/],
    [['--stdio', 'extra'], /Unexpected argument 'extra'/],
    [['--stdio', '--personality', 'nokia'], /--personality nokia: not one of huawei, /],
  ])('rejects %j', (argv, message) => {
    expect(() => parseModemArgs(argv)).toThrow(message);
  });

  it.each<[string[], RegExp]>([
    [['modem'], /^lab modem: --stdio is required/],
    [['modem', '--stdio', '--sim', 'no-such-sim'], /^lab modem: --sim no-such-sim: .*no-such-sim/],
    [['modem', '--stdio', '--sim', '/nonexistent/sims.json'], /^lab modem: --sim \/nonexistent\/sims.json: /],
    [['modem', '--stdio', '--slow-ms', '-1'], /^lab modem: /],
  ])('lab %j exits 2 with one line on stderr and nothing on stdout', async (argv, message) => {
    const { io, out, err } = silentIo();
    expect(await runLab(argv, io)).toBe(2);
    expect(out).toEqual([]);
    expect(err).toHaveLength(1);
    expect(err[0]).toMatch(message);
  });

  it('prints its help with --help, and the lab help lists the command', async () => {
    const help = silentIo();
    expect(await runLab(['modem', '--help'], help.io)).toBe(0);
    expect(help.out.join('\n')).toMatch(/socat -d pty,raw,echo=0,link=\/tmp\/krypton-modem0 EXEC:"pnpm lab modem --stdio --urc-noise"/);
    const lab = silentIo();
    await runLab(['--help'], lab.io);
    expect(lab.out.join('\n')).toMatch(/\n {2}modem {6}/);
  });
});

describe('modem on streams, in process', () => {
  it('answers on its output stream only, and returns 0 when the input ends', async () => {
    const input = new PassThrough();
    const output = new PassThrough();
    const chunks: Buffer[] = [];
    output.on('data', (c: Buffer) => chunks.push(c));
    const { io, out, err } = silentIo();
    const done = modemCommand(['--stdio', '--echo-off'], io, { input, output });
    input.write('AT+CIMI\r');
    input.write(`${csimCommand(fromHex('00a4080c022fe2'))}\r`);
    await waitFor(() => Buffer.concat(chunks).toString('latin1').split('OK').length === 3);
    input.end();
    expect(await done).toBe(0);
    expect(Buffer.concat(chunks).toString('latin1')).toBe('\r\n001010000000001\r\n\r\nOK\r\n\r\n+CSIM: 4,"9000"\r\n\r\nOK\r\n');
    expect(out).toEqual([]);
    expect(err[0]).toMatch(/^modem: Huawei \(echo off\) MS2131 emulator on stdio, SIM "demo" \(IMSI 001010000000001\)$/);
    expect(err.at(-1)).toBe('modem: stopped (stdin closed)');
  });

  it('stops on the stop signal', async () => {
    const input = new PassThrough();
    let stop!: (s: string) => void;
    const err: string[] = [];
    const io = { stdout: () => undefined, stderr: (l: string) => err.push(l), stopSignal: new Promise<string>((r) => (stop = r)) };
    const done = modemCommand(['--stdio'], io, { input, output: new PassThrough() });
    await waitFor(() => err.length > 0);
    stop('SIGTERM');
    expect(await done).toBe(0);
    expect(err.at(-1)).toBe('modem: stopped (SIGTERM)');
  });
});

describe('modem as a process', () => {
  const started: ChildProcess[] = [];
  afterAll(() => {
    for (const child of started) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });

  it('pnpm lab modem --stdio: raw modem bytes on stdout, nothing else; exits 0 when stdin closes', async () => {
    const child = spawn('pnpm', ['lab', 'modem', '--stdio'], { cwd: repoRoot, stdio: ['pipe', 'pipe', 'pipe'] });
    started.push(child);
    const stdout: Buffer[] = [];
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => stdout.push(c));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.stdin.write('ATE0\rAT+CGMM\r');
    await waitFor(() => Buffer.concat(stdout).toString('latin1').endsWith('MS2131\r\n\r\nOK\r\n'), 20_000);
    child.stdin.end();
    const [code] = await exited(child);
    expect(code).toBe(0);
    expect(Buffer.concat(stdout).toString('latin1')).toBe('ATE0\r\r\nOK\r\n\r\nMS2131\r\n\r\nOK\r\n');
    expect(stderr).toMatch(/modem: stopped \(stdin closed\)/);
  }, 40_000);

  it('exits 0 on SIGTERM', async () => {
    const child = spawn(process.execPath, [labBin, 'modem', '--stdio'], { cwd: repoRoot, stdio: ['pipe', 'pipe', 'pipe'] });
    started.push(child);
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    await waitFor(() => stderr.includes('emulator on stdio'), 20_000);
    child.kill('SIGTERM');
    const [code] = await exited(child);
    expect(code).toBe(0);
    expect(stderr).toMatch(/modem: stopped \(SIGTERM\)/);
  }, 40_000);
});

/** A client of the pseudo-terminal socat made: non-blocking reads through a tty stream, plain writes. */
class PtyClient {
  private received = '';
  private constructor(
    private readonly fd: number,
    private readonly stream: ReadStream,
  ) {
    stream.on('data', (chunk: Buffer) => (this.received += chunk.toString('latin1')));
    // EIO when the other side goes away; the tests look at processes, not at this stream.
    stream.on('error', () => undefined);
  }

  static open(path: string): PtyClient {
    const fd = openSync(path, constants.O_RDWR | constants.O_NOCTTY);
    return new PtyClient(fd, new ReadStream(fd));
  }

  /** Sends a command line and returns its answer's lines (URCs left out) once a final result arrives. */
  async command(line: string, timeoutMs = 10_000): Promise<string[]> {
    this.received = '';
    writeSync(this.fd, `${line}\r`);
    await waitFor(
      () => this.lines().some((l) => FINAL.test(l)),
      timeoutMs,
      () => JSON.stringify(this.received),
    );
    return this.lines().filter((l) => !URC.test(l));
  }

  private lines(): string[] {
    return this.received.split(/\r\n|\r/).filter((l) => l.length > 0);
  }

  async close(): Promise<void> {
    const closed = new Promise((resolve) => this.stream.once('close', resolve));
    this.stream.destroy();
    await closed;
    // libuv reads through its own reopened descriptor of the tty and closes only that one.
    closeSync(this.fd);
  }
}

/** socat and everything below it (pnpm, node, tsx's esbuild), with start times to tell a reused pid apart. */
function processTree(root: number): ProcessInfo[] {
  const all = readdirSync('/proc')
    .filter((e) => /^[0-9]+$/.test(e))
    .map((e) => readProcess(Number(e)))
    .filter((p): p is ProcessInfo => p !== undefined);
  const tree = all.filter((p) => p.pid === root);
  for (let grew = true; grew;) {
    grew = false;
    for (const p of all) {
      if (!tree.includes(p) && tree.some((t) => t.pid === p.ppid)) {
        tree.push(p);
        grew = true;
      }
    }
  }
  return tree;
}

function alive(p: ProcessInfo): boolean {
  const now = readProcess(p.pid);
  return now !== undefined && now.startTime === p.startTime;
}

describe('behind a real pseudo-terminal with socat', () => {
  const hasSocat = spawnSync('socat', ['-V']).status === 0;
  let dir: string;
  const socats: ChildProcess[] = [];

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'krypton-modem-'));
  });
  afterAll(() => {
    for (const socat of socats) {
      // Detached: socat leads its own process group, so pnpm and node below it go too.
      if (socat.pid !== undefined) {
        try {
          process.kill(-socat.pid, 'SIGKILL');
        } catch {
          // Already gone.
        }
      }
    }
    rmSync(dir, { recursive: true, force: true });
  });

  function startSocat(link: string, ptyOptions: string, modemFlags: string) {
    let stderr = '';
    // The documented command line, without the shell quoting: socat gets these exact arguments.
    const socat = spawn('socat', ['-d', `pty,${ptyOptions},link=${link}`, `EXEC:pnpm lab modem --stdio ${modemFlags}`], {
      cwd: repoRoot,
      stdio: ['ignore', 'ignore', 'pipe'],
      detached: true,
    });
    socats.push(socat);
    socat.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    return { socat, stderr: () => stderr };
  }

  it.skipIf(!hasSocat)(
    'socat -d pty,raw,echo=0,link=... EXEC:"pnpm lab modem --stdio --urc-noise": ATE0, AT+CIMI and a SELECT through AT+CSIM, then everything ends with socat',
    async () => {
      const link = join(dir, 'krypton-modem0');
      const { socat, stderr } = startSocat(link, 'raw,echo=0', '--urc-noise');
      await waitFor(() => existsSync(link), 10_000);
      const client = PtyClient.open(link);
      // The first answer waits for pnpm and the lab to start.
      expect(await client.command('ATE0', 30_000)).toEqual(['ATE0', 'OK']);
      expect(await client.command('AT+CIMI')).toEqual(['001010000000001', 'OK']);
      const select = await client.command(SELECT_USIM_FCP);
      expect(select).toHaveLength(2);
      expect(select[0]).toMatch(/^\+CSIM: 4,"61[0-9A-F]{2}"$/);
      expect(select[1]).toBe('OK');
      const length = select[0]!.slice(-3, -1);
      const fcp = await client.command(`AT+CSIM=10,"00C00000${length}"`);
      expect(fcp[0]).toMatch(new RegExp(`^\\+CSIM: ${2 * parseInt(length, 16) + 4},"62[0-9A-F]+9000"$`));
      expect(fcp[1]).toBe('OK');
      expect(stderr()).toMatch(/modem: Huawei MS2131 emulator on stdio, SIM "demo"/);

      const tree = processTree(socat.pid!);
      expect(tree.map((p) => p.comm)).toEqual(expect.arrayContaining(['socat', 'node']));
      expect(tree.length).toBeGreaterThanOrEqual(3);
      await client.close();
      // socat keeps the pty's slave side open itself (the link outlives one client, as a device
      // node does), so closing it is not the end: stopping socat is, and closes the modem's stdin.
      socat.kill('SIGTERM');
      await exited(socat);
      await waitFor(
        () => tree.every((p) => !alive(p)),
        10_000,
        () =>
          tree
            .filter(alive)
            .map((p) => `${p.pid} ${p.argv.join(' ')}`)
            .join('; '),
      );
      expect(stderr()).toMatch(/modem: stopped \(stdin closed\)/);
    },
    90_000,
  );

  it.skipIf(!hasSocat)(
    'on a terminal stdin (a cooked pty), it switches to raw mode: \\r ends lines, no tty echo, Ctrl-D stops it',
    async () => {
      // socat gives the modem a fresh pty in the kernel's default cooked mode (icrnl, echo, onlcr).
      const socat = spawn('socat', ['-', 'EXEC:pnpm lab modem --stdio,pty,setsid,ctty'], {
        cwd: repoRoot,
        stdio: ['pipe', 'pipe', 'pipe'],
        detached: true,
      });
      socats.push(socat);
      let stdout = '';
      let stderr = '';
      socat.stdout.on('data', (c: Buffer) => (stdout += c.toString('latin1')));
      socat.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
      // Typing before the modem has set raw mode would be cooked by the tty: wait for its start line.
      await waitFor(
        () => stderr.includes('emulator on stdio'),
        30_000,
        () => JSON.stringify(stdout + stderr),
      );
      await new Promise((resolve) => setTimeout(resolve, 100));
      stdout = '';
      socat.stdin.write('AT+CGMM\r');
      await waitFor(
        () => /OK\r\r?\n/.test(stdout),
        10_000,
        () => JSON.stringify(stdout),
      );
      // Node's raw mode leaves the tty's output translation (ONLCR) on: "\n" leaves as "\r\n". Harmless
      // for a person at a terminal; machines use socat's pty,raw. What matters is the input side: the
      // modem saw "\r" (not "\n") and the tty echoed nothing (the one echo is the modem's).
      expect(stdout.replace(/\r\r\n/g, '\r\n')).toBe('AT+CGMM\r\r\nMS2131\r\n\r\nOK\r\n');
      socat.stdin.write('\x04');
      await waitFor(
        () => stderr.includes('stopped (Ctrl-D)'),
        10_000,
        () => JSON.stringify(stderr),
      );
      socat.stdin.end();
      await exited(socat);
    },
    90_000,
  );

  it.skipIf(!hasSocat)(
    'with wait-slave, closing the pty ends socat and the modem',
    async () => {
      const link = join(dir, 'krypton-modem1');
      const { socat, stderr } = startSocat(link, 'raw,echo=0,wait-slave', '--csim-9000');
      await waitFor(() => existsSync(link), 10_000);
      const client = PtyClient.open(link);
      expect(await client.command('ATE0', 30_000)).toEqual(['ATE0', 'OK']);
      const select = await client.command(SELECT_USIM_FCP);
      expect(select[0]).toMatch(/^\+CSIM: \d+,"62[0-9A-F]+9000"$/);
      const tree = processTree(socat.pid!);
      await client.close();
      const [, signal] = await exited(socat, 15_000);
      expect(signal).toBeNull();
      await waitFor(
        () => tree.every((p) => !alive(p)),
        10_000,
        () =>
          tree
            .filter(alive)
            .map((p) => `${p.pid} ${p.argv.join(' ')}`)
            .join('; '),
      );
      expect(stderr()).toMatch(/modem: stopped \(stdin closed\)/);
      expect(existsSync(link)).toBe(false);
    },
    90_000,
  );
});

/** Polls `condition` every 20 ms; rejects after `timeoutMs` with `describe()` in the message. */
async function waitFor(condition: () => boolean, timeoutMs = 5000, describe: () => string = () => ''): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms ${describe()}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Resolves with [exit code, signal] when the child exits; rejects after `timeoutMs`. */
function exited(child: ChildProcess, timeoutMs = 15_000): Promise<[number | null, NodeJS.Signals | null]> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve([child.exitCode, child.signalCode]);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`pid ${child.pid} still running after ${timeoutMs} ms`)), timeoutMs);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      resolve([code, signal]);
    });
  });
}
