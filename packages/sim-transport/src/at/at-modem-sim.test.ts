/** AtModem's SIM-facing side: settings put back on close, logical channels, AUTHENTICATE retries, ICCID and PIN state by AT. */
import { describe, expect, it } from 'vitest';
import { AtModem } from './at-modem.ts';
import { fromHex, hex } from './at.test-support.ts';
import { scriptedModem, type ScriptedModem, type ScriptedReply } from './memory-channel.ts';

const IMSI = '440103123456789';
const SELECT_USIM = '00A4040C07A0000000871002';
const AUTH = `008800812210${'11'.repeat(16)}10${'22'.repeat(16)}`;
const CCHO = 'AT+CCHO="A0000000871002"';

type Script = Record<string, ScriptedReply | ((m: ScriptedModem) => ScriptedReply)>;

/** A stick as found: echo on, CMEE 0, CURC 1; `card` answers APDUs sent through AT+CSIM or AT+CGLA. */
async function open(overrides: Script = {}, card: (apdu: string) => string | undefined = () => '9000', echo = true) {
  const device = scriptedModem(
    (command, m) => {
      const key = command.toUpperCase();
      const o = overrides[key];
      if (o !== undefined) return typeof o === 'function' ? o(m) : o;
      const apdu = /^AT\+(CSIM|CGLA)=(?:\d+,)?\d+,"([0-9A-F]+)"$/.exec(key);
      if (apdu) {
        const response = card(apdu[2]!);
        return response === undefined ? ['ERROR'] : [`+${apdu[1]}: ${response.length},"${response}"`, 'OK'];
      }
      const answers: Record<string, string[]> = {
        AT: ['OK'],
        ATE0: ['OK'],
        ATE1: ['OK'],
        'AT+CMEE?': ['+CMEE: 0', 'OK'],
        'AT+CMEE=0': ['OK'],
        'AT+CMEE=1': ['OK'],
        'AT^CURC?': ['^CURC: 1', 'OK'],
        'AT^CURC=0': ['OK'],
        'AT^CURC=1': ['OK'],
        'AT+CSIM=?': ['OK'],
        'AT+CIMI': [IMSI, 'OK'],
      };
      return answers[key] ?? ['COMMAND NOT SUPPORT'];
    },
    { echo },
  );
  const modem = await AtModem.open(device.channel);
  return { device, modem };
}

describe('AtModem leaves the modem as found', () => {
  it('reads each setting before changing it and puts back what it changed on close', async () => {
    const { device, modem } = await open();
    expect(device.commands).toEqual(['AT', 'ATE0', 'AT+CMEE?', 'AT+CMEE=1', 'AT^CURC?', 'AT^CURC=0', 'AT+CSIM=?', 'AT+CIMI']);
    expect(await modem.readImsi()).toBe(IMSI);
    const opened = device.commands.length;
    await modem.close();
    expect(device.commands.slice(opened)).toEqual(['AT^CURC=1', 'AT+CMEE=0', 'ATE1']);
    expect(device.echo).toBe(true);
  });

  it('changes nothing, and so restores nothing, on a modem already set as the link wants', async () => {
    const { device, modem } = await open({ 'AT+CMEE?': ['+CMEE: 1', 'OK'], 'AT^CURC?': ['^CURC: 0', 'OK'] }, undefined, false);
    await modem.close();
    expect(device.commands).toEqual(['AT', 'AT+CMEE?', 'AT^CURC?', 'AT+CSIM=?', 'AT+CIMI']);
  });

  it('puts back what it had changed when opening is cancelled half-way', async () => {
    const controller = new AbortController();
    const device = scriptedModem(
      (c) => {
        if (c === 'AT+CSIM=?') {
          controller.abort();
          return undefined;
        }
        return c === 'AT+CMEE?' ? ['+CMEE: 2', 'OK'] : c === 'AT^CURC?' ? ['^CURC: 1', 'OK'] : ['OK'];
      },
      { echo: true },
    );
    await expect(AtModem.open(device.channel, { signal: controller.signal })).rejects.toMatchObject({ code: 'ABORTED' });
    // The engine resynchronises after the cancelled command (AT+CMEE?) before putting the settings back.
    expect(device.commands.slice(6)).toEqual(['AT+CSIM=?', 'AT+CMEE?', 'AT^CURC=1', 'AT+CMEE=2', 'ATE1']);
    expect(device.channel.closed).toBe(true);
  });

  it('leaves alone a setting it cannot read (AT+CMEE? and AT^CURC? refused)', async () => {
    const { device, modem } = await open({ 'AT+CMEE?': ['ERROR'], 'AT^CURC?': ['ERROR'] });
    await modem.close();
    expect(device.commands).toEqual(['AT', 'ATE0', 'AT+CMEE?', 'AT^CURC?', 'AT+CSIM=?', 'AT+CIMI', 'ATE1']);
  });
});

describe('AtModem APDUs on a logical channel', () => {
  it('opens one for the USIM on the first APDU, sends every APDU with AT+CGLA, and closes it before restoring', async () => {
    const { device, modem } = await open({ [CCHO]: ['3', 'OK'] });
    expect(hex(await modem.transport.transmit(fromHex(SELECT_USIM)))).toBe('9000');
    expect(hex(await modem.transport.transmit(fromHex('00B0000009')))).toBe('9000');
    const at = device.commands.length;
    await modem.close();
    expect(device.commands.slice(8, at)).toEqual([CCHO, `AT+CGLA=3,24,"${SELECT_USIM}"`, 'AT+CGLA=3,10,"00B0000009"']);
    expect(device.commands.slice(at)).toEqual(['AT+CCHC=3', 'AT^CURC=1', 'AT+CMEE=0', 'ATE1']);
  });

  it('accepts +CCHO: <n>, and goes back to the basic channel (AT+CSIM) when AT+CCHO is refused, asking it once', async () => {
    const prefixed = await open({ [CCHO]: ['+CCHO: 1', 'OK'] });
    await prefixed.modem.transport.transmit(fromHex(SELECT_USIM));
    expect(prefixed.device.commands.at(-1)).toBe(`AT+CGLA=1,24,"${SELECT_USIM}"`);
    await prefixed.modem.close();
    const refused = await open({ [CCHO]: ['+CME ERROR: 4'] });
    await refused.modem.transport.transmit(fromHex(SELECT_USIM));
    await refused.modem.transport.transmit(fromHex('00B0000009'));
    expect(refused.device.commands.slice(8)).toEqual([CCHO, `AT+CSIM=24,"${SELECT_USIM}"`, 'AT+CSIM=10,"00B0000009"']);
    await refused.modem.close();
  });
});

describe('AtModem logical channel after a SIM change', () => {
  it('tries AT+CCHO again for the next SIM when it failed for want of a SIM, not when the command was refused', async () => {
    let sim = false;
    const { device, modem } = await open({ [CCHO]: () => (sim ? ['2', 'OK'] : ['+CME ERROR: 10']) });
    await modem.transport.transmit(fromHex(SELECT_USIM));
    sim = true;
    modem.forgetSim();
    await modem.transport.transmit(fromHex(SELECT_USIM));
    expect(device.commands.slice(8)).toEqual([CCHO, `AT+CSIM=24,"${SELECT_USIM}"`, CCHO, `AT+CGLA=2,24,"${SELECT_USIM}"`]);
    await modem.close();
  });
});

describe('AtModem AUTHENTICATE retries', () => {
  it('sends a refused AUTHENTICATE again with Le=00, then after re-selecting the USIM', async () => {
    let selected = false;
    const { device, modem } = await open({}, (apdu) => {
      if (apdu.startsWith('00A4')) {
        selected = true;
        return '9000';
      }
      if (apdu.startsWith('0088')) return selected ? '6135' : undefined;
      return '9000';
    });
    expect(hex(await modem.transport.transmit(fromHex(AUTH)))).toBe('6135');
    expect(device.commands.slice(9)).toEqual([
      `AT+CSIM=78,"${AUTH}"`,
      `AT+CSIM=80,"${AUTH}00"`,
      `AT+CSIM=24,"${SELECT_USIM}"`,
      `AT+CSIM=78,"${AUTH}"`,
    ]);
    await modem.close();
  });

  it('without Le when the refused one carried it; does not retry a SIM error (PIN required)', async () => {
    const { device, modem } = await open({}, (apdu) => (apdu.endsWith('00') && apdu.startsWith('0088') ? undefined : '6135'));
    expect(hex(await modem.transport.transmit(fromHex(`${AUTH}00`)))).toBe('6135');
    expect(device.commands.slice(9)).toEqual([`AT+CSIM=80,"${AUTH}00"`, `AT+CSIM=78,"${AUTH}"`]);
    await modem.close();
    const pin = await open({ [`AT+CSIM=78,"${AUTH}"`]: ['+CME ERROR: 11'] });
    await expect(pin.modem.transport.transmit(fromHex(AUTH))).rejects.toMatchObject({ message: expect.stringContaining('SIM PIN') });
    expect(pin.device.commands.filter((c) => c.startsWith('AT+CSIM=') && c !== 'AT+CSIM=?')).toHaveLength(1);
    await pin.modem.close();
  });

  it('answers 9000 for a USIM SELECT the firmware refuses on the basic channel (it keeps the USIM active there)', async () => {
    const { modem } = await open({ [`AT+CSIM=24,"${SELECT_USIM}"`]: ['+CME ERROR: 3'] });
    expect(hex(await modem.transport.transmit(fromHex(SELECT_USIM)))).toBe('9000');
    await expect(modem.transport.transmit(fromHex('00A4000C023F00'))).resolves.toBeDefined();
    await modem.close();
  });
});

describe('AtModem ICCID and PIN state without APDUs', () => {
  it('ICCID by AT^ICCID?, asked once per SIM; by AT+CRSM when ^ICCID is refused (then not asked again)', async () => {
    const { device, modem } = await open({ 'AT^ICCID?': ['^ICCID: 8981100012345678901', 'OK'] });
    expect(await modem.readIccid()).toBe('8981100012345678901');
    expect(await modem.transport.readIccid()).toBe('8981100012345678901');
    expect(device.commands.filter((c) => c === 'AT^ICCID?')).toHaveLength(1);
    await modem.close();
    const crsm = await open({ 'AT^ICCID?': ['ERROR'], 'AT+CRSM=176,12258,0,0,10': ['+CRSM: 144,0,"981801002143658709F1"', 'OK'] });
    expect(await crsm.modem.readIccid()).toBe('8981100012345678901');
    crsm.modem.forgetSim();
    expect(await crsm.modem.readIccid()).toBe('8981100012345678901');
    expect(crsm.device.commands.filter((c) => c.startsWith('AT^ICCID') || c.startsWith('AT+CRSM'))).toEqual([
      'AT^ICCID?',
      'AT+CRSM=176,12258,0,0,10',
      'AT+CRSM=176,12258,0,0,10',
    ]);
    await crsm.modem.close();
  });

  it('undefined when neither answers, so the caller reads EF_ICCID', async () => {
    const { modem } = await open({ 'AT+CRSM=176,12258,0,0,10': ['+CRSM: 106,130', 'OK'] });
    expect(await modem.readIccid()).toBeUndefined();
    await modem.close();
  });

  it('PIN state by AT^CPIN? (tries), AT+CPIN? when ^CPIN is refused, AT+CLCK for an unlocked SIM', async () => {
    const locked = await open({ 'AT^CPIN?': ['^CPIN: SIM PIN,2,10,2,10,3', 'OK'] });
    expect(await locked.modem.pinState()).toEqual({ enabled: true, verified: false, triesLeft: 2 });
    await locked.modem.close();
    const puk = await open({ 'AT^CPIN?': ['^CPIN: SIM PUK,9,9,0,10,3', 'OK'] });
    expect(await puk.modem.pinState()).toEqual({ enabled: true, verified: false, triesLeft: 0, pukTriesLeft: 9 });
    await puk.modem.close();
    const ready = await open({ 'AT+CPIN?': ['+CPIN: READY', 'OK'], 'AT+CLCK="SC",2': ['+CLCK: 1', 'OK'] });
    expect(await ready.modem.pinState()).toEqual({ enabled: true, verified: true, triesLeft: undefined });
    expect(ready.device.commands.slice(8)).toEqual(['AT^CPIN?', 'AT+CPIN?', 'AT+CLCK="SC",2']);
    // ^CPIN was refused: not asked again.
    await ready.modem.pinState();
    expect(ready.device.commands.slice(11)).toEqual(['AT+CPIN?', 'AT+CLCK="SC",2']);
    await ready.modem.close();
    const unknown = await open({ 'AT+CPIN?': ['+CPIN: READY', 'OK'] });
    expect(await unknown.modem.pinState()).toBeUndefined();
    await unknown.modem.close();
  });
});
