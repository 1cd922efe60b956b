import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startPcscd, type PcscdHandle } from '@krypton-web/krypton-lab/rigs';
import { Logger, startBridge, type RunningBridge } from '../src/index.ts';
import { PCSCD_GONE } from '../src/readers/pcsc-backend.ts';
import { eventually } from './support/harness.test-support.ts';

// Issue 15 §1: the bridge's availability report (`/api/config` pcsc) follows pcscd going away and
// coming back, over a real pcscd, so the page can say "start the smart-card service" rather than
// "no reader found".
vi.setConfig({ testTimeout: 60_000, hookTimeout: 180_000 });

let pcscd: PcscdHandle;
let bridge: RunningBridge;
beforeAll(async () => {
  // libpcsclite dials the default socket, which this pcscd serves.
  delete process.env.PCSCLITE_CSOCK_NAME;
  pcscd = await startPcscd();
  bridge = await startBridge({ port: 0, pcsc: true, readers: [], log: new Logger(() => undefined) });
});
afterAll(async () => {
  await bridge?.close();
  await pcscd?.stop();
});

/** The bridge's pcsc availability, as the page reads it. */
async function pcscReport(): Promise<{ available: boolean; reason?: string }> {
  const r = await fetch(`${bridge.url}/api/config`, { headers: { Origin: bridge.url }, cache: 'no-store' });
  expect(r.status).toBe(200);
  return ((await r.json()) as { pcsc: { available: boolean; reason?: string } }).pcsc;
}

describe('the availability report over a real pcscd', () => {
  it('says available, then not (pcscd stopped) while pcscd is away, then available again once it is back', async () => {
    await eventually(async () => (await pcscReport()).available, 'the bridge reports pcscd available', 10_000);
    const restarting = pcscd.restart({ pauseMs: 4000 });
    await eventually(async () => !(await pcscReport()).available, 'the bridge reports pcscd gone', 3500);
    expect(await pcscReport()).toEqual({ available: false, reason: PCSCD_GONE });
    await restarting;
    await eventually(async () => (await pcscReport()).available, 'the bridge reports pcscd back', 10_000);
    expect(await pcscReport()).toEqual({ available: true });
  });
});
