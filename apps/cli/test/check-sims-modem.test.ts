import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { startLab, type Lab } from '@krypton-web/krypton-lab';
import { startModemPty, type ModemPty } from '@krypton-web/krypton-lab/rigs';
import { killLeftoverCheckSims, resultLines, runCheckSimsBin, startCheckSims } from './support/check-sims.test-support.ts';

// check-sims' modem lane (--port): AT+CSIM through a real pty, socat and the lab's Huawei emulator.
vi.setConfig({ testTimeout: 60_000 });

let lab: Lab;
const modems: ModemPty[] = [];
beforeAll(async () => {
  lab = await startLab();
});
afterAll(async () => {
  await lab?.close();
});
afterEach(async () => {
  await killLeftoverCheckSims();
  await Promise.all(modems.splice(0).map((m) => m.stop()));
});

async function modem(args: string[]): Promise<ModemPty> {
  const m = await startModemPty(args);
  modems.push(m);
  return m;
}

const endpoints = () => [
  '-keys-api-endpoint-url',
  lab.urls.keys,
  '-provisioning-api-endpoint-url',
  lab.urls.provisioning,
  '--cognito-endpoint',
  lab.urls.cognito,
];

describe('check-sims --port: the SIM in a USB modem', () => {
  it('checks the PIN-enabled SIM in the modem through URC noise, with KRYPTON_SIM_PIN, and only that lane (no PC/SC)', async () => {
    const m = await modem(['--sim', 'demo-pin', '--urc-noise', '--urc-interval-ms', '50']);
    const r = await runCheckSimsBin(['--port', m.path, ...endpoints()], { env: { KRYPTON_SIM_PIN: '1234' } });
    expect(r.code, r.stderr).toBe(0);
    const lines = resultLines(r.stdout);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(new RegExp(`modem ${m.path} {2}8981100000000000024 +001010000000002 {2}PASS {2}\\d+\\.\\d s$`));
    expect(r.stderr).not.toMatch(/PC\/SC|pcscd/);
  });

  it('says so when the modem has no SIM, and exits 1 with nothing checked', async () => {
    const m = await modem(['--sim-absent']);
    const r = await runCheckSimsBin(['--port', m.path, ...endpoints()], { env: { KRYPTON_SIM_PIN: '' } });
    expect(r.code).toBe(1);
    expect(resultLines(r.stdout)).toEqual([]);
    expect(r.stderr).toMatch(/no SIM in the modem: insert one/);
    expect(r.stderr).toMatch(/no SIM was checked/);
  });

  it('--watch: a modem unplugged ends its lane with a notice; with no lane left, the batch ends with the SIM it checked', async () => {
    const m = await modem(['--sim', 'demo']);
    const run = startCheckSims(['--watch', '--port', m.path, ...endpoints()], { env: { KRYPTON_SIM_PIN: '' } });
    await run.waitFor('stdout', /8981100000000000016 +001010000000001 {2}PASS/);
    m.unplug();
    await run.waitFor('stderr', /the modem went away \(unplugged\?\): this lane has ended/);
    const r = await run.result;
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/summary: 1 SIM: 1 PASS/);
  });
});
