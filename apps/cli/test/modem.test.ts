import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { startLab, type Lab } from '@krypton-web/krypton-lab';
import { startModemPty as startModem, type ModemPty as ModemProcess } from '@krypton-web/krypton-lab/rigs';
import { startSilentPty } from './support/modem.test-support.ts';
import { NodeSerialChannel } from '@krypton-web/sim-transport/node';
import { runCli } from '../src/run.ts';
import { runBin, tempXdg } from './support/processes.test-support.ts';

// -interface comm through a real pty: socat + the lab's Huawei emulator (`pnpm lab modem --stdio`),
// krypton-cli as a process, the Krypton emulator in this process.
vi.setConfig({ testTimeout: 45_000 });

let lab: Lab;
let xdg: ReturnType<typeof tempXdg>;
const modems: ModemProcess[] = [];

beforeAll(async () => {
  lab = await startLab();
});
afterAll(async () => {
  await lab?.close();
});
beforeEach(() => {
  xdg = tempXdg();
});
afterEach(async () => {
  lab.faults.update({ latencyMs: 0 });
  await Promise.all(modems.splice(0).map((m) => m.stop()));
  xdg.dispose();
});

async function modem(args: string[] = []): Promise<ModemProcess> {
  const m = await startModem(args);
  modems.push(m);
  return m;
}

const endpoints = () => ['-keys-api-endpoint-url', lab.urls.keys, '-provisioning-api-endpoint-url', lab.urls.provisioning];
const comm = (port: string, args: string[], options: Parameters<typeof runBin>[1] = {}) =>
  runBin(['-interface', 'comm', '-port-name', port, ...endpoints(), ...args], { ...options, env: { ...xdg.env, ...options.env } });

describe('-interface comm through socat and the modem emulator', () => {
  it('authenticates over AT+CSIM with URC noise, prints the answer, and reuses the key on the next run', async () => {
    const m = await modem(['--urc-noise', '--urc-interval-ms', '50']);
    const before = lab.keys.size;
    const first = await comm(m.path, ['-operation', 'getSubscriberMetadata']);
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    expect((JSON.parse(first.stdout) as { imsi: string }).imsi).toBe('001010000000001');
    expect(lab.keys.size).toBe(before + 1);
    const second = await comm(m.path, ['-operation', 'generateAmazonCognitoOpenIdToken']);
    expect(second.code).toBe(0);
    expect(JSON.parse(second.stdout)).toHaveProperty('token');
    expect(lab.keys.size).toBe(before + 1);
  });

  it('works with firmware that answers data with 9000 directly, lowercase hex and spaces', async () => {
    const m = await modem(['--csim-9000', '--lowercase-hex', '--spaces']);
    const r = await comm(m.path, ['-operation', 'getUserData', '-disable-key-cache']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
  });

  it("-device-info prints SORACOM's four lines", async () => {
    const m = await modem();
    const r = await runBin(['-device-info', '-port-name', m.path]);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(/^Manufacturer: huawei\nModel: MS2131\nRevision: \S+\nS\/N: \d{15}\n\n$/);
  });

  it("autoDetect with -port-name uses that modem (SORACOM's CLI would probe every port instead)", async () => {
    const m = await modem();
    const r = await runBin([...endpoints(), '-port-name', m.path, '-operation', 'getUserData', '-debug'], { env: xdg.env });
    expect(r.code).toBe(0);
    expect(r.stderr).toContain(`using the modem there instead of auto-detecting`);
  });

  it('refuses a modem without AT+CSIM before any network call, saying what to use instead', async () => {
    const m = await modem(['--no-csim']);
    const before = lab.keys.size;
    const r = await comm(m.path, ['-operation', 'getUserData']);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/does not relay commands to the SIM \(it refused AT\+CSIM=\?\).*\. Use a modem that supports AT\+CSIM/);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(lab.keys.size).toBe(before);
  });

  it('says the SIM is missing when the modem has none', async () => {
    const m = await modem(['--sim-absent']);
    const r = await comm(m.path, ['-operation', 'getUserData']);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/SIM/);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('gives up on a port that does not answer AT within a few seconds, naming the likely cause', async () => {
    const silent = await startSilentPty();
    try {
      const r = await comm(silent.path, ['-operation', 'getUserData'], { timeoutMs: 20_000 });
      expect(r.code).toBe(1);
      expect(r.ms).toBeLessThan(8000);
      expect(r.stderr).toMatch(/does not answer AT commands/);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
    } finally {
      await silent.stop();
    }
  });

  it('pulling the modem out mid-authentication ends the run with an error within two seconds; the next run recovers', async () => {
    const m = await modem(['--slow-ms', '300']);
    let pulledAt = 0;
    const r = await comm(m.path, ['-operation', 'getSubscriberMetadata', '-debug', '-disable-key-cache'], {
      timeoutMs: 20_000,
      onStderr: (text) => {
        if (!pulledAt && /step authenticate: started/.test(text)) {
          pulledAt = performance.now();
          m.unplug();
        }
      },
    });
    const endedAt = performance.now();
    expect(pulledAt, 'the run reached AUTHENTICATE').toBeGreaterThan(0);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(endedAt - pulledAt).toBeLessThan(2500);
    const errorLines = r.stderr.split('\n').filter((l) => l && !l.startsWith('krypton-cli [debug'));
    expect(errorLines).toHaveLength(1);
    expect(errorLines[0]).toMatch(/SIM|modem|link/i);

    const again = await modem();
    const next = await comm(again.path, ['-operation', 'getSubscriberMetadata']);
    expect(next.stderr).toBe('');
    expect(next.code).toBe(0);
  });
});

describe('interrupting a run', () => {
  it('SIGINT mid-run releases the modem and exits 130 at once; the port is free for the next run', async () => {
    const m = await modem();
    // The Keys API answers slowly, so the run is surely in flight when the signal comes.
    lab.faults.update({ latencyMs: 3000 });
    let sentAt = 0;
    const r = await comm(m.path, ['-operation', 'getSubscriberMetadata', '-debug'], {
      onSpawn: (child) => {
        child.stderr!.on('data', (d: Buffer) => {
          if (!sentAt && d.toString().includes('step key-agreement: started')) {
            sentAt = performance.now();
            child.kill('SIGINT');
          }
        });
      },
    });
    expect(sentAt).toBeGreaterThan(0);
    expect(r.code).toBe(130);
    expect(r.stdout).toBe('');
    expect(performance.now() - sentAt).toBeLessThan(2500);
    expect(r.stderr).toMatch(/^interrupted by SIGINT\. Run again when ready\.$/m);
    lab.faults.update({ latencyMs: 0 });
    const next = await comm(m.path, ['-operation', 'getSubscriberMetadata']);
    expect(next.stderr).toBe('');
    expect(next.code).toBe(0);
  });

  it('an interrupt mid-run lets go of the modem port before the run returns (in this process, where no exit releases it)', async () => {
    const m = await modem();
    lab.faults.update({ latencyMs: 3000 });
    const controller = new AbortController();
    let stderr = '';
    const code = await runCli(
      ['-interface', 'comm', '-port-name', m.path, ...endpoints(), '-operation', 'getSubscriberMetadata', '-debug'],
      {
        stdout: () => undefined,
        stderr: (text) => {
          stderr += text;
          // The key agreement is under way, so the run holds the port.
          if (stderr.includes('step key-agreement: started') && !controller.signal.aborted) controller.abort('SIGINT');
        },
        env: xdg.env,
        home: '/nonexistent-home',
        signal: controller.signal,
      },
    );
    expect(controller.signal.aborted).toBe(true);
    expect(code).toBe(130);
    // The port's exclusive lock is free at once: the run closed it (a held lock refuses this open).
    const port = await NodeSerialChannel.open({ path: m.path });
    await port.close();
  });
});

describe('-list-com-ports', () => {
  it('lists serial devices one per line on stdout (USB first, then built-in UARTs; ptys are not devices)', async () => {
    const m = await modem();
    const r = await runBin(['-list-com-ports']);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    expect(r.stdout.endsWith('\n')).toBe(true);
    const lines = r.stdout.slice(0, -1).split('\n').filter(Boolean);
    for (const line of lines) expect(line).toMatch(/^\/dev\/tty[A-Za-z]+\d+$/);
    expect(r.stdout).not.toContain(m.path);
  });
});
