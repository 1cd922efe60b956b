/**
 * Every firmware personality of the lab modem (MODEM_PERSONALITIES) through AtModem in process
 * (emulator channel): the shared link suite with the modem's own sources (AT+CIMI, AT^ICCID?/AT+CRSM,
 * AT^CPIN?/AT+CPIN?), as the product's links use them; then a whole run per personality, counting the
 * commands the modem received and checking it is left as found.
 */
import { describe, expect, it } from 'vitest';
import { Usim, type PinState } from '@krypton-web/krypton-core';
import { Hss } from '@krypton-web/krypton-lab';
import { demoProfileSet, findSim } from '@krypton-web/krypton-lab/browser';
import {
  emulatorChannel,
  HuaweiModemEmulator,
  MODEM_PERSONALITY_NAMES,
  personalityOptions,
  type HuaweiModemOptions,
  type ModemPersonality,
} from '@krypton-web/krypton-lab/modem';
import { AtModem } from '@krypton-web/sim-transport';
import { describeLinkConformance, unreachableThroughModem } from '../../../src/link-conformance.test-support.ts';

const SLOW: readonly ModemPersonality[] = ['slow', 'urc-storm'];

/** The card personalities this modem personality can reach (see unreachableThroughModem). */
function withUnreachable(name: string): { unreachableCardPersonalities?: { names: readonly string[]; why: string } } {
  const unreachable = unreachableThroughModem(name);
  return unreachable ? { unreachableCardPersonalities: unreachable } : {};
}

for (const name of MODEM_PERSONALITY_NAMES) {
  describeLinkConformance(
    `AtModem over the lab modem, personality ${name}`,
    async (sim) => {
      const emulator = await HuaweiModemEmulator.create(sim, personalityOptions(name));
      const modem = await AtModem.open(emulatorChannel(emulator)).catch((e: unknown) => {
        emulator.dispose();
        throw e;
      });
      return {
        transport: modem.transport,
        imsiSource: modem.transport,
        simInfoSource: modem.transport,
        dispose: async () => {
          await modem.close();
          emulator.dispose();
        },
      };
    },
    { timeoutMs: SLOW.includes(name) ? 30_000 : 15_000, ...withUnreachable(name) },
  );
}

/** One run as the product does it: open, IMSI, ICCID, PIN state, AUTHENTICATE, close. Returns the commands the modem ran. */
async function oneRun(options: HuaweiModemOptions, simName = 'demo') {
  const sim = findSim(demoProfileSet(), simName);
  const commands: string[] = [];
  const emulator = await HuaweiModemEmulator.create(sim, { ...options, onCommand: (line) => commands.push(line) });
  const before = emulator.settings;
  const modem = await AtModem.open(emulatorChannel(emulator));
  let pin: PinState;
  try {
    const usim = new Usim(modem.transport, { imsiSource: modem.transport, simInfoSource: modem.transport });
    expect(await usim.readImsi()).toBe(sim.imsi);
    expect(await usim.readIccid()).toBe(sim.iccid);
    pin = await usim.pinState();
    const hss = await Hss.create({ sims: [sim], groups: [] });
    const vector = await hss.generateVector(sim.imsi);
    expect((await usim.authenticate(vector.rand, vector.autn)).kind).toBe('success');
    // The session asks again, as the key agreement does: answered from what the modem already said.
    expect(await usim.readImsi()).toBe(sim.imsi);
    expect(await usim.readIccid()).toBe(sim.iccid);
  } finally {
    await modem.close();
  }
  await emulator.whenIdle();
  const after = emulator.settings;
  const openChannels = emulator.openChannels;
  const forbidden = [...emulator.forbiddenCommands];
  emulator.dispose();
  return { commands, before, after, openChannels, forbidden, pin };
}

/** The command without arguments of an APDU carrier; the rest as sent. */
function kind(command: string): string {
  const m = /^AT\+(CSIM|CGLA)=\d/i.exec(command);
  return m ? `AT+${m[1]!.toUpperCase()}=…` : command;
}

describe('a run leaves the modem as found and asks each question once', () => {
  it.each(MODEM_PERSONALITY_NAMES)('%s', { timeout: 30_000 }, async (name) => {
    const run = await oneRun(personalityOptions(name));
    expect(run.after, 'echo, AT+CMEE and AT^CURC as they were before the run').toEqual(run.before);
    expect(run.openChannels, 'no logical channel left open').toBe(0);
    expect(run.forbidden).toEqual([]);
    expect(run.commands.filter((c) => c === 'AT+CIMI')).toHaveLength(1);
    // Every command other than the APDUs themselves went once.
    const queries = run.commands.filter((c) => !/^AT\+(CSIM|CGLA)=\d/i.test(c));
    expect(queries).toEqual([...new Set(queries)]);
    expect(run.commands.filter((c) => c.startsWith('AT+CCHO=')).length).toBeLessThanOrEqual(1);
    expect(run.commands.filter((c) => c.startsWith('AT+CCHC=')).length).toBe(
      name === 'logical-channels' || name === 'select-refused-channels' ? 1 : 0,
    );
  });

  it('the default Huawei run: the exact command list (no APDU for IMSI, ICCID or PIN state)', async () => {
    const run = await oneRun({});
    expect(run.commands.map(kind)).toEqual([
      'AT',
      'ATE0',
      'AT+CMEE?',
      'AT+CMEE=1',
      'AT^CURC?',
      'AT^CURC=0',
      'AT+CSIM=?',
      'AT+CIMI',
      'AT^ICCID?',
      'AT^CPIN?',
      'AT+CLCK="SC",2',
      'AT+CCHO="A0000000871002"',
      'AT+CSIM=…',
      'AT+CSIM=…',
      'AT+CSIM=…',
      'AT^CURC=1',
      'AT+CMEE=0',
      'ATE1',
    ]);
    expect(run.pin).toEqual({ enabled: false, verified: false, triesLeft: undefined });
  });

  it('logical channels: AUTHENTICATE goes on the channel, which is closed before the settings are put back', async () => {
    const run = await oneRun({ logicalChannels: true });
    expect(run.commands.slice(11).map(kind)).toEqual([
      'AT+CCHO="A0000000871002"',
      'AT+CGLA=…',
      'AT+CGLA=…',
      'AT+CGLA=…',
      'AT+CCHC=1',
      'AT^CURC=1',
      'AT+CMEE=0',
      'ATE1',
    ]);
  });

  it('a PIN-locked SIM: PIN state from AT^CPIN? with the tries left', async () => {
    const sim = findSim(demoProfileSet(), 'demo-pin');
    const emulator = await HuaweiModemEmulator.create(sim, {});
    const modem = await AtModem.open(emulatorChannel(emulator));
    try {
      const usim = new Usim(modem.transport, { imsiSource: modem.transport, simInfoSource: modem.transport });
      expect(await usim.pinState()).toEqual({ enabled: true, verified: false, triesLeft: 3 });
    } finally {
      await modem.close();
      emulator.dispose();
    }
  });

  it("the next client finds echo on and plain errors, as the stick was (SORACOM's Go client reads AT+CIMI then)", async () => {
    const sim = findSim(demoProfileSet(), 'demo');
    const emulator = await HuaweiModemEmulator.create(sim, {});
    const first = await AtModem.open(emulatorChannel(emulator));
    await first.close();
    const lines: string[] = [];
    emulator.attach((bytes) => lines.push(String.fromCharCode(...bytes)));
    emulator.receive('AT+CIMI\r');
    await emulator.whenIdle();
    expect(lines.join('')).toBe(`AT+CIMI\r\r\n${sim.imsi}\r\n\r\nOK\r\n`);
    emulator.dispose();
  });
});
