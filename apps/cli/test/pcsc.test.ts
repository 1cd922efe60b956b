import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { startLab, type Lab } from '@krypton-web/krypton-lab';
import { startPcscd, type PcscdHandle } from '@krypton-web/krypton-lab/rigs';
import { PcscService } from '@krypton-web/sim-transport/node';
import { killGroup, repoRoot, runBin, tempXdg } from './support/processes.test-support.ts';

// -interface iso7816 through a real pcscd of the test's own, its vpcd reader, and the lab's virtual
// USIM put in it by `pnpm lab vcard` (a process, so pulling the card is killing it).
vi.setConfig({ testTimeout: 45_000, hookTimeout: 180_000 });

let pcscd: PcscdHandle;
let lab: Lab;
/** What pcscd shows, watched from the test: a run starts only once pcscd reports the card in or out. */
let service: PcscService;
let xdg: ReturnType<typeof tempXdg>;
const cards: ChildProcess[] = [];

beforeAll(async () => {
  // libpcsclite (in the CLI processes) dials the default socket: the one this pcscd serves.
  delete process.env.PCSCLITE_CSOCK_NAME;
  [pcscd, lab] = await Promise.all([startPcscd(), startLab()]);
  service = await PcscService.open();
});
afterAll(async () => {
  await service?.close();
  await Promise.all([pcscd?.stop(), lab?.close()]);
});
beforeEach(() => {
  xdg = tempXdg();
});
afterEach(async () => {
  await Promise.all(cards.splice(0).map(pullCard));
  lab.faults.update({ latencyMs: 0 });
  xdg.dispose();
});

/** `pnpm lab vcard` into the test pcscd's first reader; resolves once the card is in. */
async function insertCard(sim = 'demo', extra: string[] = []): Promise<ChildProcess> {
  const child = spawn('pnpm', ['lab', 'vcard', '--vpcd', `127.0.0.1:${pcscd.vpcdPort}`, '--sim', sim, ...extra], {
    cwd: repoRoot,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  cards.push(child);
  let out = '';
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`vcard did not connect: ${out}`)), 20_000);
    const onData = (d: Buffer) => {
      out += d.toString();
      if (out.includes('is in the vpcd reader')) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('exit', () => reject(new Error(`vcard exited: ${out}`)));
  });
  // pcscd polls vpcd for the card: a run must not start before pcscd reports it.
  await service.waitForCard({ reader: pcscd.readerName, timeoutMs: 10_000 });
  return child;
}

/** Pulls the card out: the vcard process group dies, the vpcd connection drops. */
async function pullCard(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  killGroup(child, 'SIGKILL');
  await exited;
  // pcscd notices the card gone on its next poll; the next test starts from an empty reader.
  const deadline = Date.now() + 5000;
  while ((await service.listReaders()).find((r) => r.name === pcscd.readerName)?.card !== 'empty') {
    if (Date.now() > deadline) throw new Error('pcscd still shows a card after the card was pulled');
    await new Promise((r) => setTimeout(r, 20));
  }
}

const endpoints = () => ['-keys-api-endpoint-url', lab.urls.keys, '-provisioning-api-endpoint-url', lab.urls.provisioning];
const iso = (args: string[], options: Parameters<typeof runBin>[1] = {}) =>
  runBin(['-interface', 'iso7816', ...endpoints(), ...args], { ...options, env: { ...xdg.env, ...options.env } });

describe('-interface iso7816 through pcscd and vpcd', () => {
  it('authenticates the card in the first reader, prints the answer, and reuses the key next time', async () => {
    await insertCard();
    const before = lab.keys.size;
    const first = await iso(['-operation', 'getSubscriberMetadata']);
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    expect((JSON.parse(first.stdout) as { imsi: string }).imsi).toBe('001010000000001');
    expect(lab.keys.size).toBe(before + 1);
    const second = await iso(['-operation', 'generateAmazonCognitoOpenIdToken', '-debug']);
    expect(second.code).toBe(0);
    expect(second.stderr).toContain('PC/SC reader "Virtual PCD 00 00"');
    expect(second.stderr).toContain('signed with the cached key');
    expect(lab.keys.size).toBe(before + 1);
  });

  it('spends no more APDUs on a first authentication than the core count test (4), as vcard --trace shows', async () => {
    const card = await insertCard('demo', ['--trace']);
    let trace = '';
    card.stderr!.on('data', (d: Buffer) => (trace += d.toString()));
    const run = await iso(['-operation', 'getSubscriberMetadata', '-disable-key-cache']);
    expect(run.code).toBe(0);
    await new Promise((r) => setTimeout(r, 200));
    const commands = trace.split('\n').filter((l) => l.startsWith('=> '));
    const responses = trace.split('\n').filter((l) => l.startsWith('<= '));
    expect(commands.length).toBeGreaterThan(0);
    expect(commands.length).toBeLessThanOrEqual(4);
    expect(responses).toHaveLength(commands.length);
    // The AUTHENTICATE answer is masked in the trace: no RES or CK leaves the card's process in clear.
    expect(commands.some((l) => l.startsWith('=> 00880081'))).toBe(true);
  });

  it('a card that refuses the partial AID: 8 APDUs on the first run, then its path is remembered on disk and the next run sends 4', async () => {
    const card = await insertCard('demo', ['--trace', '--quirks', 'no-partial-aid']);
    let trace = '';
    card.stderr!.on('data', (d: Buffer) => (trace += d.toString()));
    const commands = () => trace.split('\n').filter((l) => l.startsWith('=> '));
    const first = await iso(['-operation', 'getSubscriberMetadata']);
    expect(first.code, first.stderr).toBe(0);
    await new Promise((r) => setTimeout(r, 200));
    const firstRun = commands().length;
    // The refused partial-AID SELECT is sent once, then EF_DIR gives the full AID.
    expect(commands().filter((l) => l.startsWith('=> 00a4040c07a0000000871002')).length, commands().join('\n')).toBe(1);
    expect(firstRun).toBe(8);
    const file = JSON.parse(readFileSync(join(xdg.root, 'cache', 'krypton-web', 'card-paths.json'), 'utf8')) as {
      cards: [string, { usimAid?: string }][];
    };
    expect(file.cards).toHaveLength(1);
    expect(file.cards[0]![0]).toMatch(/^atr:/);
    expect(file.cards[0]![1].usimAid).toMatch(/^A0000000871002/i);

    // A fresh key agreement (the cached key forgotten), so the card is asked again.
    const second = await iso(['-operation', 'getSubscriberMetadata', '-clear-key-cache']);
    expect(second.code, second.stderr).toBe(0);
    await new Promise((r) => setTimeout(r, 200));
    const secondRun = commands().slice(firstRun);
    expect(secondRun).toHaveLength(4);
    expect(secondRun.some((l) => l.startsWith('=> 00a4040c07a0000000871002'))).toBe(false);
  });

  it('takes a named reader, and names the problem when it does not exist', async () => {
    await insertCard();
    const named = await iso(['-reader-name', pcscd.readerName, '-operation', 'getUserData', '-disable-key-cache']);
    expect(named.stderr).toBe('');
    expect(named.code).toBe(0);
    const unknown = await iso(['-reader-name', 'No Such Reader 00 00', '-operation', 'getUserData']);
    expect(unknown.code).toBe(1);
    expect(unknown.stdout).toBe('');
    expect(unknown.stderr.trim().split('\n')).toHaveLength(1);
    expect(unknown.stderr).toMatch(/No Such Reader/);
  });

  it('autoDetect finds the card in the reader (and probes no /dev/ttyS*)', async () => {
    await insertCard();
    const r = await runBin([...endpoints(), '-operation', 'getUserData', '-debug'], { env: xdg.env });
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/autoDetect: using PC\/SC reader "Virtual PCD 00 00"/);
    expect(r.stderr).not.toMatch(/ttyS\d/);
  });

  it('says there is no card, in one line, when the reader is empty', async () => {
    const r = await iso(['-operation', 'getUserData']);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/[Nn]o card/);
    expect(r.stderr).toMatch(/insert the SIM/i);
  });

  it('pulling the card out mid-authentication ends the run with an error within two seconds; the next run recovers', async () => {
    const card = await insertCard();
    // The Keys API answers slowly, so the card is out before AUTHENTICATE reaches it.
    lab.faults.update({ latencyMs: 600 });
    let pulledAt = 0;
    const r = await iso(['-operation', 'getSubscriberMetadata', '-debug', '-disable-key-cache'], {
      timeoutMs: 20_000,
      onStderr: (text) => {
        if (!pulledAt && /step key-agreement: started/.test(text)) {
          pulledAt = performance.now();
          killGroup(card, 'SIGKILL');
        }
      },
    });
    const endedAt = performance.now();
    expect(pulledAt, 'the run reached key agreement').toBeGreaterThan(0);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(endedAt - pulledAt).toBeLessThan(2600);
    const errorLines = r.stderr.split('\n').filter((l) => l && !l.startsWith('krypton-cli [debug'));
    expect(errorLines).toHaveLength(1);
    expect(errorLines[0]).toMatch(/card|SIM|reader/i);

    lab.faults.update({ latencyMs: 0 });
    await insertCard();
    const next = await iso(['-operation', 'getSubscriberMetadata']);
    expect(next.stderr).toBe('');
    expect(next.code).toBe(0);
  });
});
