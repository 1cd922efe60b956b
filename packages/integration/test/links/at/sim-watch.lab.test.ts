import { describe, expect, it } from 'vitest';
import { emulatorChannel, HuaweiModemEmulator, type HuaweiModemOptions } from '@krypton-web/krypton-lab/modem';
import { askSimPresence, AtModem, SimWatch, simPresenceOfCpin, simPresenceOfUrc, type SimPresence } from '@krypton-web/sim-transport';

/** A modem over the emulator, and a SimWatch on it recording every change. */
async function watched(options: HuaweiModemOptions & { pollMs?: number; sim?: string } = {}) {
  const emulator = await HuaweiModemEmulator.create(options.sim ?? 'demo', options);
  const modem = await AtModem.open(emulatorChannel(emulator));
  const changes: SimPresence[] = [];
  const watch = new SimWatch(modem, { pollMs: options.pollMs ?? 50, onChange: (p) => changes.push(p) });
  return { emulator, modem, watch, changes, close: async () => (watch.stop(), await modem.close(), emulator.dispose()) };
}

async function until(condition: () => boolean, what: string, ms = 3000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe("SimWatch: the SIM in a modem's slot, followed by AT+CPIN? and the modem's own reports", () => {
  it('reads ^SIMST and +CPIN as SIM in, SIM out, or nothing that tells', () => {
    expect(simPresenceOfUrc({ kind: 'sim-state', raw: '^SIMST: 255', state: 255, lockState: undefined })).toBe('absent');
    expect(simPresenceOfUrc({ kind: 'sim-state', raw: '^SIMST: 1', state: 1, lockState: undefined })).toBe('present');
    expect(simPresenceOfUrc({ kind: 'sim-state', raw: '^SIMST: 4', state: 4, lockState: undefined })).toBeUndefined();
    expect(simPresenceOfUrc({ kind: 'other', raw: '+CPIN: NOT INSERTED', name: '+CPIN', params: ['NOT INSERTED'] })).toBe('absent');
    expect(simPresenceOfUrc({ kind: 'other', raw: '+CPIN: SIM PIN', name: '+CPIN', params: ['SIM PIN'] })).toBe('present');
    expect(simPresenceOfUrc({ kind: 'rssi', raw: '^RSSI: 20', rssi: 20, rssiDbm: -73 })).toBeUndefined();
    expect(simPresenceOfCpin('"READY"')).toBe('present');
    expect(simPresenceOfCpin('SIM PUK')).toBe('present');
    expect(simPresenceOfCpin('PH-NET PIN')).toBeUndefined();
    expect(simPresenceOfCpin('')).toBeUndefined();
  });

  it('AT+CPIN? tells a SIM in (READY, SIM PIN) from an empty slot (+CME ERROR: 10)', async () => {
    const w = await watched({ sim: 'demo-pin' });
    try {
      expect(await askSimPresence(w.modem)).toBe('present');
      w.emulator.removeSim();
      expect(await askSimPresence(w.modem)).toBe('absent');
    } finally {
      await w.close();
    }
  });

  it('sees a swap with the URCs off (the link sends AT^CURC=0): out, then in, each reported once', async () => {
    const w = await watched();
    try {
      expect(await w.watch.start()).toBe('present');
      expect(w.emulator.settings.curc).toBe(false);
      w.emulator.removeSim();
      await until(() => w.changes.length === 1, 'SIM out');
      expect(w.watch.presence).toBe('absent');
      await w.emulator.insertProfile('demo-box-01');
      await until(() => w.changes.length === 2, 'SIM in');
      await new Promise((r) => setTimeout(r, 200));
      expect(w.changes).toEqual(['absent', 'present']);
      expect(await w.modem.readImsi()).toBe('001010000000011');
    } finally {
      await w.close();
    }
  });

  it('with polling off, a modem that reports ^SIMST (it refuses AT^CURC) is followed through its reports alone', async () => {
    const w = await watched({ curcUnsupported: true, pollMs: 0 });
    try {
      expect(await w.watch.start()).toBe('present');
      w.emulator.removeSim();
      await until(() => w.changes.length === 1, 'SIM out from ^SIMST: 255');
      await w.emulator.insertProfile('demo');
      await until(() => w.changes.length === 2, 'SIM in from ^SIMST: 1');
      expect(w.changes).toEqual(['absent', 'present']);
    } finally {
      await w.close();
    }
  });

  it('does not poll while the lane says it is busy, and stops asking once stopped', async () => {
    let busy = true;
    const commands: string[] = [];
    const w = await watched({ onCommand: (line) => commands.push(line) });
    try {
      const watch = new SimWatch(w.modem, { pollMs: 20, busy: () => busy, onChange: () => undefined });
      await watch.start();
      const after = commands.length;
      await new Promise((r) => setTimeout(r, 150));
      expect(commands.slice(after)).toEqual([]);
      busy = false;
      await until(() => commands.length > after + 2, 'polls once not busy');
      expect(new Set(commands.slice(after))).toEqual(new Set(['AT+CPIN?']));
      watch.stop();
      const stoppedAt = commands.length;
      await new Promise((r) => setTimeout(r, 100));
      expect(commands.length).toBe(stoppedAt);
    } finally {
      await w.close();
    }
  });
});
