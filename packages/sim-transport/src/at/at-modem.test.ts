import { KryptonError, Usim } from '@krypton-web/krypton-core';
import { describe, expect, it } from 'vitest';
import { isImsiSource, TransportError } from '@krypton-web/krypton-core';
import { AtModem, type AtModemOptions } from './at-modem.ts';
import type { AtUrc } from './at-urc.ts';
import { fromHex, hex } from './at.test-support.ts';
import { scriptedModem, type ScriptedModem, type ScriptedReply } from './memory-channel.ts';

const IMSI = '440103123456789';
const SELECT_USIM = fromHex('00A4040C07A0000000871002');
const READ_IMSI = fromHex('00B0000009');

/** Real-looking answers of a Huawei stick (MS2131 family); `overrides` replace single answers, `card` answers APDUs. */
function huawei(overrides: Record<string, ScriptedReply> = {}, card: (apdu: string) => string = () => '9000') {
  return (command: string, _modem?: ScriptedModem): ScriptedReply => {
    const key = command.toUpperCase();
    if (key in overrides) return overrides[key];
    const csim = /^AT\+CSIM=(\d+),"([0-9A-F]+)"$/.exec(key);
    if (csim) {
      const response = card(csim[2]!);
      return [`+CSIM: ${response.length},"${response}"`, 'OK'];
    }
    const answers: Record<string, string[]> = {
      AT: ['OK'],
      ATE0: ['OK'],
      'AT+CMEE=1': ['OK'],
      'AT^CURC=0': ['OK'],
      'AT+CSIM=?': ['OK'],
      'AT+CMEE?': ['+CMEE: 0', 'OK'],
      'AT^CURC?': ['^CURC: 1', 'OK'],
      // What close sends to leave the stick as found.
      'AT^CURC=1': ['OK'],
      'AT+CMEE=0': ['OK'],
      ATE1: ['OK'],
      'AT+CIMI': [IMSI, 'OK'],
      'AT+CGMI': ['huawei', 'OK'],
      'AT+CGMM': ['MS2131', 'OK'],
      'AT+CGMR': ['21.318.01.00.00', 'OK'],
      'AT+CGSN': ['867123456789012', 'OK'],
      'AT^ICCID?': ['^ICCID: 981801002143658709F1', 'OK'],
      'AT+CSQ': ['+CSQ: 23,99', 'OK'],
      'AT^HCSQ?': ['^HCSQ: "LTE",52,48,160,32', 'OK'],
      'AT+CEREG?': ['+CEREG: 2,1,"1A2B","01A2B3C4",7', 'OK'],
      'AT+CREG?': ['+CREG: 2,1,"1A2B","01A2B3C4",7', 'OK'],
      'AT+COPS?': ['+COPS: 0,0,"NTT DOCOMO",7', 'OK'],
    };
    return answers[key] ?? ['COMMAND NOT SUPPORT'];
  };
}

async function open(
  script: (command: string, modem: ScriptedModem) => ScriptedReply | Promise<ScriptedReply>,
  options: AtModemOptions & { echo?: boolean } = {},
) {
  const device = scriptedModem(script, { echo: options.echo ?? true, names: ['Huawei MS2131 (test)', 'device'] });
  const modem = await AtModem.open(device.channel, options);
  return { device, modem };
}

const INIT = ['AT', 'ATE0', 'AT+CMEE?', 'AT+CMEE=1', 'AT^CURC?', 'AT^CURC=0', 'AT+CSIM=?', 'AT+CIMI'];
/** What the first APDU costs on a modem without logical channels: the refused try to open one. */
const CCHO = 'AT+CCHO="A0000000871002"';

describe('AtModem.open', () => {
  it('runs the init sequence on a modem with echo on, and probes CSIM and the IMSI', async () => {
    const { device, modem } = await open(huawei());
    expect(device.commands).toEqual(INIT);
    expect(device.echo).toBe(false);
    expect(modem.csimSupported).toBe(true);
    expect(modem.imsiAtOpen).toBe(IMSI);
    expect(modem.simErrorAtOpen).toBeUndefined();
    expect(modem.transport.kind).toBe('modem');
    expect(modem.transport.name).toBe('Huawei MS2131 (test)');
    await modem.close();
  });

  it('tolerates ERROR to AT^CURC=0, ATE0 and AT+CMEE=1 (non-Huawei modems)', async () => {
    const { modem, device } = await open(huawei({ 'AT^CURC=0': ['ERROR'], ATE0: ['ERROR'], 'AT+CMEE=1': ['+CME ERROR: 4'] }));
    expect(device.commands).toEqual(INIT);
    expect(modem.csimSupported).toBe(true);
    await modem.close();
  });

  it('retries AT when the port held garbage (the first AT answers ERROR)', async () => {
    let first = true;
    const script = huawei();
    const { device, modem } = await open((c, m) => {
      if (c === 'AT' && first) {
        first = false;
        return ['ERROR'];
      }
      return script(c, m);
    });
    expect(device.commands).toEqual(['AT', ...INIT]);
    await modem.close();
  });

  it('retries a silent first AT, then resynchronises so its late OK cannot shift the answers', async () => {
    let first = true;
    const script = huawei();
    const { device, modem } = await open(
      (c, m) => {
        if (c === 'AT' && first) {
          first = false;
          // Answers late: after the probe gave up.
          setTimeout(() => m.sendLines('OK'), 40);
          return undefined;
        }
        return script(c, m);
      },
      { probeTimeoutMs: 20 },
    );
    expect(device.commands).toEqual(['AT', 'AT', 'AT+CMEE?', ...INIT.slice(1)]);
    expect(modem.imsiAtOpen).toBe(IMSI);
    await modem.close();
  });

  it('fails clearly on a port that never answers, and closes it', async () => {
    const device = scriptedModem(() => undefined);
    const e = await AtModem.open(device.channel, { probeTimeoutMs: 10 }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(TransportError);
    expect(e).toMatchObject({ code: 'TIMEOUT' });
    expect((e as Error).message).toMatch(
      /^Could not open the modem on memory modem \(host end\): .*does not answer AT commands: it may not be the modem's AT port/,
    );
    expect(device.commands).toEqual(['AT', 'AT', 'AT']);
    expect(device.channel.closed).toBe(true);
  });

  it('fails when unplugged while opening', async () => {
    const e = await open((c, m) => {
      if (c === 'AT+CMEE=1') {
        m.unplug();
        return undefined;
      }
      return huawei()(c, m);
    }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(TransportError);
    expect((e as Error).message).toMatch(/went away: the device has been lost/);
  });

  it('opens without a SIM, and says why the IMSI could not be read', async () => {
    const { modem } = await open(huawei({ 'AT+CIMI': ['+CME ERROR: 10'] }));
    expect(modem.imsiAtOpen).toBeUndefined();
    expect(modem.simErrorAtOpen).toMatchObject({ code: 'NO_CARD' });
    expect(modem.simErrorAtOpen?.message).toMatch(/SIM not inserted/);
    await modem.close();
  });

  it('can be cancelled', async () => {
    const controller = new AbortController();
    const device = scriptedModem((c) => {
      if (c === 'AT+CMEE?') controller.abort();
      return c === 'AT+CMEE?' ? undefined : ['OK'];
    });
    const e = await AtModem.open(device.channel, { signal: controller.signal }).catch((x: unknown) => x);
    expect(e).toMatchObject({ code: 'ABORTED' });
    expect(device.channel.closed).toBe(true);
  });
});

describe('AtModem.transport: APDUs over AT+CSIM', () => {
  it('sends AT+CSIM and returns the answer as the card gave it (61xx included)', async () => {
    const seen: string[] = [];
    const { device, modem } = await open(
      huawei({}, (apdu) => {
        seen.push(apdu);
        return apdu.startsWith('00A4') ? '6121' : '089910070000000000F09000';
      }),
    );
    expect(hex(await modem.transport.transmit(SELECT_USIM))).toBe('6121');
    expect(hex(await modem.transport.transmit(READ_IMSI))).toBe('089910070000000000F09000');
    expect(seen).toEqual(['00A4040C07A0000000871002', '00B0000009']);
    expect(device.commands.slice(INIT.length)).toEqual([CCHO, 'AT+CSIM=24,"00A4040C07A0000000871002"', 'AT+CSIM=10,"00B0000009"']);
    await modem.close();
  });

  it('reads the answer through URC noise, lowercase hex and loose spacing', async () => {
    const { modem } = await open(
      huawei({
        'AT+CSIM=10,"00B0000009"': ['^RSSI: 17', '+CSIM:24 , "089910070000000000f09000"', '^HCSQ: "LTE",52,48,160,32', '+CREG: 1', 'OK'],
      }),
    );
    const urcs: AtUrc[] = [];
    modem.on('urc', (u) => urcs.push(u));
    expect(hex(await modem.transport.transmit(READ_IMSI))).toBe('089910070000000000F09000');
    expect(urcs.map((u) => u.kind)).toEqual(['rssi', 'hcsq', 'registration']);
    await modem.close();
  });

  it('maps +CME ERROR to a TransportError that keeps the meaning', async () => {
    const { modem } = await open(
      huawei({ 'AT+CSIM=10,"00B0000009"': ['+CME ERROR: 10'], 'AT+CSIM=24,"00A4040C07A0000000871002"': ['+CME ERROR: 11'] }),
    );
    const noSim = await modem.transport.transmit(READ_IMSI).catch((x: unknown) => x);
    expect(noSim).toBeInstanceOf(TransportError);
    expect(noSim).toMatchObject({
      code: 'NO_CARD',
      message: expect.stringContaining('SIM not inserted (CME error 10)'),
    });
    await expect(modem.transport.transmit(SELECT_USIM)).rejects.toMatchObject({
      code: 'TRANSPORT_FAILED',
      message: expect.stringContaining('SIM PIN required') as unknown as string,
    });
    await modem.close();
  });

  it('refuses a malformed +CSIM answer without quoting it', async () => {
    const { modem } = await open(huawei({ 'AT+CSIM=10,"00B0000009"': ['+CSIM: 30,"089910070000000000F09000"', 'OK'] }));
    const e = await modem.transport.transmit(READ_IMSI).catch((x: unknown) => x);
    expect(e).toMatchObject({ code: 'TRANSPORT_FAILED' });
    expect((e as Error).message).not.toContain('0899');
    await modem.close();
  });

  it('rejects a concurrent transmit with TRANSPORT_BUSY while device-info commands queue in order', async () => {
    let inFlight = 0;
    let overlap = false;
    const script = huawei({}, () => '9000');
    const { device, modem } = await open(async (c, m) => {
      inFlight++;
      if (inFlight > 1) overlap = true;
      await new Promise((r) => setTimeout(r, 2));
      inFlight--;
      return script(c, m);
    });
    const first = modem.transport.transmit(SELECT_USIM);
    const info = modem.deviceInfo();
    await expect(modem.transport.transmit(READ_IMSI)).rejects.toMatchObject({ code: 'TRANSPORT_BUSY' });
    const imsi = modem.readImsi();
    expect(hex(await first)).toBe('9000');
    expect((await info).model).toBe('MS2131');
    expect(await imsi).toBe(IMSI);
    expect(overlap).toBe(false);
    // The refused APDU was never sent; the IMSI read took its turn between device-info commands.
    // The IMSI was read once, at open: the modem is not asked again.
    expect(device.commands.slice(INIT.length)).toEqual([
      CCHO,
      // The APDU waited for the refused AT+CCHO, and device info had queued meanwhile.
      'AT+CGMI',
      'AT+CSIM=24,"00A4040C07A0000000871002"',
      'AT+CGMM',
      'AT+CGMR',
      'AT+CGSN',
      'AT^ICCID?',
      'AT+CSQ',
      'AT^HCSQ?',
      'AT+CEREG?',
      'AT+COPS?',
    ]);
    await modem.close();
  });

  it('close() waits for the APDU in flight, then refuses new ones', async () => {
    const { modem, device } = await open(async (c, m) => {
      if (c.startsWith('AT+CSIM=24')) await new Promise((r) => setTimeout(r, 20));
      return huawei()(c, m);
    });
    const events: string[] = [];
    const pending = modem.transport.transmit(SELECT_USIM).then((r) => {
      events.push(`APDU answered ${hex(r)}, channel ${device.channel.closed ? 'closed' : 'open'}`);
      return r;
    });
    const closed = modem.close().then(() => events.push(`close resolved, channel ${device.channel.closed ? 'closed' : 'open'}`));
    // Asked while the APDU is in flight: refused at once, and never sent.
    await expect(modem.transport.transmit(READ_IMSI)).rejects.toMatchObject({ code: 'TRANSPORT_CLOSED' });
    await Promise.all([pending, closed]);
    expect(events).toEqual(['APDU answered 9000, channel open', 'close resolved, channel closed']);
    expect(device.commands.filter((c) => /^AT\+CSIM=\d/.test(c))).toEqual(['AT+CSIM=24,"00A4040C07A0000000871002"']);
    await expect(modem.transport.transmit(SELECT_USIM)).rejects.toMatchObject({ code: 'TRANSPORT_CLOSED' });
    await expect(modem.transport.readImsi()).rejects.toMatchObject({ code: 'TRANSPORT_CLOSED' });
    await expect(modem.readImsi()).rejects.toMatchObject({ code: 'TRANSPORT_CLOSED' });
    expect(device.channel.closed).toBe(true);
  });

  it('an unplug mid-APDU fails it and emits disconnect', async () => {
    const { modem } = await open((c, m) => {
      if (/^AT\+CSIM=\d/.test(c)) {
        m.send('\r\n+CSIM: 4,"90');
        m.unplug(new TransportError('NO_CARD', 'Huawei modem (12d1:1506) was unplugged'));
        return undefined;
      }
      return huawei()(c, m);
    });
    const disconnects: Error[] = [];
    modem.on('disconnect', (e) => disconnects.push(e));
    const e = await modem.transport.transmit(SELECT_USIM).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(TransportError);
    expect(e).toMatchObject({ code: 'NO_CARD', message: expect.stringContaining('went away') });
    expect(disconnects).toHaveLength(1);
    await expect(modem.readImsi()).rejects.toBeInstanceOf(TransportError);
    await modem.close();
  });

  it('gives up when the caller aborts', async () => {
    const { modem } = await open((c, m) => (/^AT\+CSIM=\d/.test(c) ? undefined : huawei()(c, m)));
    const controller = new AbortController();
    const p = modem.transport.transmit(SELECT_USIM, { signal: controller.signal });
    setTimeout(() => controller.abort(), 5);
    await expect(p).rejects.toMatchObject({ code: 'ABORTED' });
    expect(await modem.readImsi()).toBe(IMSI);
    await modem.close();
  });

  it('times out a CSIM the modem never answers, and the next command still works', async () => {
    const { modem } = await open((c, m) => (/^AT\+CSIM=\d/.test(c) ? undefined : huawei()(c, m)), { timeouts: { csim: 30 } });
    await expect(modem.transport.transmit(SELECT_USIM)).rejects.toMatchObject({ code: 'TIMEOUT' });
    expect(await modem.readImsi()).toBe(IMSI);
    await modem.close();
  });
});

describe('AtModem without AT+CSIM', () => {
  it('fails transmit clearly and still reads the IMSI over AT+CIMI, also through krypton-core', async () => {
    const { modem, device } = await open(huawei({ 'AT+CSIM=?': ['ERROR'] }));
    expect(modem.csimSupported).toBe(false);
    const e = await modem.transport.transmit(SELECT_USIM).catch((x: unknown) => x);
    expect(e).toMatchObject({ code: 'TRANSPORT_FAILED', message: expect.stringContaining('does not offer AT+CSIM') });
    expect(device.commands.filter((c) => c.startsWith('AT+CSIM='))).toEqual(['AT+CSIM=?']);
    expect(await modem.readImsi()).toBe(IMSI);
    expect(isImsiSource(modem.transport)).toBe(true);
    expect(await new Usim(modem.transport, { imsiSource: modem }).readImsi()).toBe(IMSI);
    expect(await new Usim(modem.transport, { imsiSource: modem.transport }).readImsi()).toBe(IMSI);
    await modem.close();
  });

  it('treats COMMAND NOT SUPPORT to AT+CSIM=? as no CSIM', async () => {
    const { modem } = await open(huawei({ 'AT+CSIM=?': ['COMMAND NOT SUPPORT'] }));
    expect(modem.csimSupported).toBe(false);
    await modem.close();
  });

  it('krypton-core reports an AUTHENTICATE over it as a link failure', async () => {
    const { modem } = await open(huawei({ 'AT+CSIM=?': ['+CME ERROR: 4'] }));
    const e = await new Usim(modem.transport, { imsiSource: modem })
      .authenticate(new Uint8Array(16), new Uint8Array(16))
      .catch((x: unknown) => x);
    expect(KryptonError.is(e, 'TRANSPORT_FAILED')).toBe(true);
    expect((e as Error).message).toMatch(/does not offer AT\+CSIM/);
    await modem.close();
  });
});

describe('AtModem.readImsi', () => {
  const table: { name: string; answer: string[]; code?: string; imsi?: string }[] = [
    { name: 'plain digits', answer: [IMSI, 'OK'], imsi: IMSI },
    { name: 'with +CIMI: prefix', answer: [`+CIMI: ${IMSI}`, 'OK'], imsi: IMSI },
    { name: 'no SIM', answer: ['+CME ERROR: 10'], code: 'NO_CARD' },
    { name: 'verbose no SIM', answer: ['+CME ERROR: SIM not inserted'], code: 'NO_CARD' },
    { name: 'PIN required', answer: ['+CME ERROR: 11'], code: 'TRANSPORT_FAILED' },
    { name: 'too short', answer: ['12345', 'OK'], code: 'TRANSPORT_FAILED' },
    { name: 'not digits', answer: ['44010312345678A', 'OK'], code: 'TRANSPORT_FAILED' },
  ];
  for (const row of table) {
    it(row.name, async () => {
      let opened = false;
      const { modem } = await open((c, m) => {
        if (c === 'AT+CIMI' && opened) return row.answer;
        return huawei()(c, m);
      });
      opened = true;
      // The IMSI of open serves until the SIM changes; forgetting it makes readImsi ask.
      modem.forgetSim();
      if (row.imsi) expect(await modem.readImsi()).toBe(row.imsi);
      else await expect(modem.readImsi()).rejects.toMatchObject({ code: row.code });
      await modem.close();
    });
  }
});

describe('AtModem.deviceInfo', () => {
  it('parses real-looking Huawei answers', async () => {
    const { modem, device } = await open(huawei());
    const info = await modem.deviceInfo();
    expect(info).toEqual({
      manufacturer: 'huawei',
      model: 'MS2131',
      firmware: '21.318.01.00.00',
      imei: '867123456789012',
      iccid: '8981100012345678901',
      signal: {
        csq: { rssi: 23, rssiDbm: -67, ber: undefined },
        hcsq: { mode: 'LTE', rssiDbm: -69, rsrpDbm: -93, sinrDb: 11.8, rsrqDb: -4 },
      },
      registration: { domain: 'eps', status: 'registered-home', stat: 1, area: '1A2B', cellId: '01A2B3C4', accessTechnology: 7 },
      operator: { mode: 0, name: 'NTT DOCOMO', format: 'long', accessTechnology: 7 },
    });
    expect(device.commands.slice(INIT.length)).toEqual([
      'AT+CGMI',
      'AT+CGMM',
      'AT+CGMR',
      'AT+CGSN',
      'AT^ICCID?',
      'AT+CSQ',
      'AT^HCSQ?',
      'AT+CEREG?',
      'AT+COPS?',
    ]);
    expect(device.commands).not.toContain('AT+CCID');
    await modem.close();
  });

  it('strips +CGMI:-style prefixes, falls back to AT+CREG?, and leaves out what the modem refuses', async () => {
    const { modem, device } = await open(
      huawei({
        'AT+CGMI': ['+CGMI: "QUALCOMM INCORPORATED"', 'OK'],
        'AT+CGMM': ['+CGMM: E3372', 'OK'],
        'AT+CGMR': ['ERROR'],
        'AT+CGSN': ['+CGSN: 867123456789012', 'OK'],
        'AT^ICCID?': ['+CME ERROR: 10'],
        'AT+CSQ': ['+CSQ: 99,99', 'OK'],
        'AT^HCSQ?': ['COMMAND NOT SUPPORT'],
        'AT+CEREG?': ['+CEREG: 0,2', 'OK'],
        'AT+CREG?': ['+CREG: 0,5', 'OK'],
        'AT+COPS?': ['+COPS: 0', 'OK'],
      }),
    );
    const info = await modem.deviceInfo();
    expect(info).toEqual({
      manufacturer: 'QUALCOMM INCORPORATED',
      model: 'E3372',
      imei: '867123456789012',
      signal: { csq: { rssi: 99, rssiDbm: undefined, ber: undefined } },
      registration: { domain: 'cs', status: 'registered-roaming', stat: 5 },
      operator: { mode: 0 },
    });
    // ^HCSQ is not asked again once refused.
    await modem.deviceInfo();
    expect(device.commands.filter((c) => c === 'AT^HCSQ?')).toHaveLength(1);
    await modem.close();
  });

  it('keeps the LTE answer when neither registration says registered', async () => {
    const { modem } = await open(huawei({ 'AT+CEREG?': ['+CEREG: 2,2', 'OK'], 'AT+CREG?': ['+CREG: 0,0', 'OK'] }));
    expect((await modem.deviceInfo()).registration).toEqual({ domain: 'eps', status: 'searching', stat: 2 });
    await modem.close();
  });

  it('asks ^HCSQ again after a garbled answer (only a refusal means unsupported)', async () => {
    let n = 0;
    const { modem, device } = await open((c, m) => (c === 'AT^HCSQ?' && n++ === 0 ? ['^HCSQ: garbage', 'OK'] : huawei()(c, m)));
    expect((await modem.deviceInfo()).signal?.hcsq).toBeUndefined();
    expect((await modem.deviceInfo()).signal?.hcsq?.mode).toBe('LTE');
    expect(device.commands.filter((c) => c === 'AT^HCSQ?')).toHaveLength(2);
    await modem.close();
  });

  it('rejects with TIMEOUT, without asking the rest, when the modem stops answering', async () => {
    let dead = false;
    const { modem, device } = await open((c, m) => (dead ? undefined : huawei()(c, m)), { timeouts: { default: 20, resync: 20 } });
    dead = true;
    await expect(modem.deviceInfo()).rejects.toMatchObject({ code: 'TIMEOUT' });
    expect(device.commands.slice(INIT.length)).toEqual(['AT+CGMI']);
    await modem.close();
  });

  it('rejects with a TransportError when the link breaks', async () => {
    const { modem } = await open((c, m) => {
      if (c === 'AT+CGMM') {
        m.unplug();
        return undefined;
      }
      return huawei()(c, m);
    });
    const e = await modem.deviceInfo().catch((x: unknown) => x);
    expect(e).toBeInstanceOf(TransportError);
    expect((e as Error).message).toMatch(/went away/);
    await modem.close();
  });
});
