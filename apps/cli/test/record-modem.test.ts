import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { fromHex, parseTranscript, toBase64, toHex } from '@krypton-web/krypton-core';
import { demoProfileSet, Milenage, startLab, type Lab } from '@krypton-web/krypton-lab';
import { startModemPty, type ModemPty } from '@krypton-web/krypton-lab/rigs';
import { repoRoot, runBin, tempXdg } from './support/processes.test-support.ts';

// krypton-cli -interface comm -record FILE through a real pty and the lab's Huawei emulator: AT lines recorded, secrets masked.
vi.setConfig({ testTimeout: 45_000 });

let lab: Lab;
let modem: ModemPty;
let dir: string;
beforeAll(async () => {
  lab = await startLab();
  modem = await startModemPty(['--sim', 'demo-pin']);
  dir = mkdtempSync(join(tmpdir(), 'krypton-record-modem-'));
});
afterAll(async () => {
  await modem?.stop();
  await lab?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('krypton-cli -record over a modem', () => {
  it('records the AT conversation with the PIN and the AUTHENTICATE answer masked, RAND and AUTN kept', async () => {
    const xdg = tempXdg();
    const file = join(dir, 'modem.jsonl');
    const sim = demoProfileSet().sims.find((s) => s.name === 'demo-pin')!;
    const r = await runBin(
      [
        '-interface',
        'comm',
        '-port-name',
        modem.path,
        '-keys-api-endpoint-url',
        lab.urls.keys,
        '-provisioning-api-endpoint-url',
        lab.urls.provisioning,
        '-disable-key-cache',
        '-operation',
        'getUserData',
        '-record',
        file,
      ],
      { env: { ...xdg.env, KRYPTON_SIM_PIN: sim.pin1.code } },
    );
    xdg.dispose();
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const text = readFileSync(file, 'utf8');
    const t = parseTranscript(text);
    expect(t.header.identity).toMatchObject({ link: 'comm', description: expect.stringContaining(modem.path) as unknown });
    expect(t.header.identity.modem).toMatchObject({ manufacturer: expect.any(String) as unknown, model: expect.any(String) as unknown });
    const at = t.events.flatMap((e) => (e.type === 'at' ? [e] : []));
    expect(at.some((l) => l.dir === 'send' && /^AT\+CSIM=/.test(l.line))).toBe(true);
    expect(at.some((l) => l.dir === 'recv' && /^\+CSIM: /.test(l.line))).toBe(true);
    const auth = at.find((l) => l.dir === 'send' && /^AT\+CSIM=\d+,"00880081/.test(l.line))!;
    const rand = fromHex(/"0088008122 ?10([0-9A-F]{32})/.exec(auth.line.replace(/ /g, ''))![1]!);
    const milenage = await Milenage.withOpc(fromHex(sim.k), fromHex(sim.opc));
    const { res, ck, ik } = await milenage.f2345(rand);
    for (const secret of [res, ck, ik]) {
      for (const shown of [toHex(secret).toUpperCase(), toHex(secret), toBase64(secret)]) expect(text).not.toContain(shown);
    }
    expect(text).not.toContain(toHex(new TextEncoder().encode(sim.pin1.code)).toUpperCase());
    expect(text).not.toContain(`"${sim.pin1.code}"`);
    expect(at.some((l) => l.line.includes('‹redacted›'))).toBe(true);
  });

  it('replays the recorded modem (pnpm lab replay FILE --stdio behind socat): krypton-cli authenticates through it again', async () => {
    const file = join(dir, 'modem.jsonl');
    const replayed = await startModemPty([file], { labCommand: ['replay', '--stdio'] });
    const xdg = tempXdg();
    const again = join(dir, 'again.jsonl');
    try {
      const args = (port: string, record: string) => [
        '-interface',
        'comm',
        '-port-name',
        port,
        '-keys-api-endpoint-url',
        lab.urls.keys,
        '-provisioning-api-endpoint-url',
        lab.urls.provisioning,
        '-disable-key-cache',
        '-operation',
        'getUserData',
        '-record',
        record,
      ];
      const r = await runBin(args(replayed.path, again), { env: { ...xdg.env, KRYPTON_SIM_PIN: '1234' } });
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      const sent = (f: string) =>
        parseTranscript(readFileSync(f, 'utf8')).events.flatMap((e) =>
          e.type === 'at' && e.dir === 'send' ? [e.line.replace(/^(AT\+CSIM=\d+,"00880081).*/, '$1')] : [],
        );
      expect(sent(again)).toEqual(sent(file));
    } finally {
      xdg.dispose();
      await replayed.stop();
    }
  });

  it('replays the shipped modem transcript (packages/krypton-lab/transcripts/modem-huawei.jsonl) to credentials', async () => {
    const file = join(repoRoot, 'packages/krypton-lab/transcripts/modem-huawei.jsonl');
    const replayed = await startModemPty([file], { labCommand: ['replay', '--stdio'] });
    const xdg = tempXdg();
    const again = join(dir, 'shipped-again.jsonl');
    try {
      const r = await runBin(
        [
          '-interface',
          'comm',
          '-port-name',
          replayed.path,
          '-keys-api-endpoint-url',
          lab.urls.keys,
          '-provisioning-api-endpoint-url',
          lab.urls.provisioning,
          '-disable-key-cache',
          '-operation',
          'generateAmazonCognitoSessionCredentials',
          '-record',
          again,
        ],
        { env: { ...xdg.env, KRYPTON_SIM_PIN: '1234' } },
      );
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      expect(JSON.parse(r.stdout)).toMatchObject({ credentials: { accessKeyId: expect.any(String) as unknown } });
      const sent = (f: string) =>
        parseTranscript(readFileSync(f, 'utf8')).events.flatMap((e) =>
          e.type === 'at' && e.dir === 'send' ? [e.line.replace(/^(AT\+CSIM=\d+,"00880081).*/, '$1')] : [],
        );
      expect(sent(again)).toEqual(sent(file));
    } finally {
      xdg.dispose();
      await replayed.stop();
    }
  });
});
