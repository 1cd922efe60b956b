import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Usim } from '@krypton-web/krypton-core';
import type { SimProfile } from '@krypton-web/krypton-lab/browser';
import { startModemPty } from '@krypton-web/krypton-lab/rigs';
import { AtModem } from '@krypton-web/sim-transport';
import { openNodeSerialChannel } from '@krypton-web/sim-transport/node';
import { describeLinkConformance, unreachableThroughModem } from '../../../src/link-conformance.test-support.ts';

let profileDir: string | undefined;
afterAll(async () => {
  if (profileDir) await import('node:fs/promises').then((fs) => fs.rm(profileDir!, { recursive: true, force: true }));
});

// A demo SIM goes by name; a card personality (a profile with quirks) through a profile file.
async function simArgument(sim: SimProfile): Promise<string> {
  if (sim.quirks === undefined) return sim.name;
  profileDir ??= await mkdtemp(join(tmpdir(), 'krypton-personality-'));
  const file = join(profileDir, `${sim.name}.json`);
  await writeFile(file, JSON.stringify(sim));
  return file;
}

// The CLI's modem path for real: serialport on a pty that socat connects to `pnpm lab modem --stdio`.
describeLinkConformance(
  'Node serial link through a real pty (socat + lab modem, URC noise on)',
  async (sim) => {
    const modem = await startModemPty(['--sim', await simArgument(sim), '--urc-noise']);
    try {
      const opened = await AtModem.open(await openNodeSerialChannel({ path: modem.path }));
      return { transport: opened.transport, dispose: () => modem.stop() };
    } catch (e) {
      await modem.stop();
      throw e;
    }
  },
  { timeoutMs: 30_000 },
);

// A representative subset of the firmware personalities through the pty (each costs a socat and a process per
// case): logical channels, SELECT refused on the basic channel, loose +CSIM answers, no Huawei extensions.
for (const personality of ['logical-channels', 'select-refused', 'loose-csim', 'no-huawei-extras'] as const) {
  describeLinkConformance(
    `Node serial link through a real pty, personality ${personality}`,
    async (sim) => {
      const modem = await startModemPty(['--sim', await simArgument(sim), '--personality', personality]);
      try {
        const opened = await AtModem.open(await openNodeSerialChannel({ path: modem.path }));
        return {
          transport: opened.transport,
          imsiSource: opened.transport,
          simInfoSource: opened.transport,
          dispose: () => modem.stop(),
        };
      } catch (e) {
        await modem.stop();
        throw e;
      }
    },
    {
      timeoutMs: 30_000,
      ...(unreachableThroughModem(personality) ? { unreachableCardPersonalities: unreachableThroughModem(personality)! } : {}),
    },
  );
}

describe('Node serial link: the modem pulled out', () => {
  it('fails the exchange in flight within two seconds, and a new modem works', { timeout: 40_000 }, async () => {
    const modem = await startModemPty(['--sim', 'demo', '--slow-ms', '500']);
    const opened = await AtModem.open(await openNodeSerialChannel({ path: modem.path }));
    try {
      const pending = opened.transport.transmit(new Uint8Array([0x00, 0xa4, 0x04, 0x0c, 0x07, 0xa0, 0, 0, 0, 0x87, 0x10, 0x02]));
      const started = Date.now();
      modem.unplug();
      await expect(pending).rejects.toMatchObject({ code: expect.stringMatching(/^(NO_CARD|TRANSPORT_FAILED)$/) });
      expect(Date.now() - started).toBeLessThan(2000);
    } finally {
      await opened.close();
      await modem.stop();
    }
    const again = await startModemPty(['--sim', 'demo']);
    try {
      const reopened = await AtModem.open(await openNodeSerialChannel({ path: again.path }));
      expect(await new Usim(reopened.transport).readImsi()).toBe('001010000000001');
      await reopened.close();
    } finally {
      await again.stop();
    }
  });
});
