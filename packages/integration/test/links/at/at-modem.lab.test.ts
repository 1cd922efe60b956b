import { Hss } from '@krypton-web/krypton-lab';
import { demoProfileSet, findSim } from '@krypton-web/krypton-lab/browser';
import { toHex, Usim } from '@krypton-web/krypton-core';
import { describe, expect, it } from 'vitest';
import { emulatorChannel, HuaweiModemEmulator } from '@krypton-web/krypton-lab/modem';
import { AtModem } from '@krypton-web/sim-transport';
import type { AtUrc } from '@krypton-web/sim-transport';

describe("AtModem against the lab's Huawei modem emulator", () => {
  for (const variant of [
    {
      name: 'echo, URC noise inside answers, chunked output, swapped ICCID',
      options: { urcNoise: { seed: 7, intervalMs: 50, midResponseRate: 0.5 }, chunking: true, iccidSwapped: true },
    },
    {
      name: 'lowercase hex and spaces in +CSIM',
      options: { lowercaseHex: true, spaces: true, urcNoise: { seed: 3, intervalMs: 0, midResponseRate: 0.3 } },
    },
  ]) {
    it(`reads the IMSI and runs AUTHENTICATE through krypton-core (${variant.name})`, async () => {
      const sim = findSim(demoProfileSet(), 'demo');
      const emulator = await HuaweiModemEmulator.create(sim, { curcUnsupported: true, ...variant.options });
      const modem = await AtModem.open(emulatorChannel(emulator));
      const urcs: AtUrc[] = [];
      modem.on('urc', (u) => urcs.push(u));
      try {
        expect(modem.csimSupported).toBe(true);
        expect(modem.imsiAtOpen).toBe(sim.imsi);
        const usim = new Usim(modem.transport);
        expect(await usim.readImsi()).toBe(sim.imsi);
        expect(await new Usim(modem.transport, { imsiSource: modem }).readImsi()).toBe(sim.imsi);
        const hss = await Hss.create({ sims: [sim], groups: [] });
        const vector = await hss.generateVector(sim.imsi);
        const result = await usim.authenticate(vector.rand, vector.autn);
        expect(result.kind).toBe('success');
        if (result.kind === 'success') {
          expect(toHex(result.res)).toBe(toHex(vector.xres));
          expect(toHex(result.ck)).toBe(toHex(vector.ck));
        }
        const info = await modem.deviceInfo();
        expect(info).toMatchObject({ manufacturer: 'huawei', model: 'MS2131', iccid: sim.iccid });
        expect(emulator.forbiddenCommands).toEqual([]);
        // The noise reached us as typed events, never inside an answer.
        expect(urcs.length).toBeGreaterThan(0);
        expect(urcs.every((u) => u.raw.length > 0)).toBe(true);
      } finally {
        await modem.close();
        emulator.dispose();
      }
    });
  }

  it('falls back to AT+CIMI on firmware without AT+CSIM', async () => {
    const sim = findSim(demoProfileSet(), 'demo');
    const emulator = await HuaweiModemEmulator.create(sim, { noCsim: true });
    const modem = await AtModem.open(emulatorChannel(emulator));
    try {
      expect(modem.csimSupported).toBe(false);
      expect(await new Usim(modem.transport, { imsiSource: modem }).readImsi()).toBe(sim.imsi);
    } finally {
      await modem.close();
      emulator.dispose();
    }
  });

  it('reports an unplug as a disconnect', async () => {
    const emulator = await HuaweiModemEmulator.create('demo');
    const modem = await AtModem.open(emulatorChannel(emulator));
    const events: Error[] = [];
    modem.on('disconnect', (e) => events.push(e));
    emulator.unplug();
    await expect(modem.readImsi()).rejects.toMatchObject({ name: 'TransportError' });
    expect(events).toHaveLength(1);
    await modem.close();
  });
});
