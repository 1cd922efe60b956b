import { fromHex, toHex } from '@krypton-web/krypton-core';
import { afterEach, describe, expect, it } from 'vitest';
import { authenticateApdu, networkAutn, sqnOf } from '../card/card-test-kit.test-support.ts';
import { demoProfileSet, findSim } from '../profiles/index.ts';
import { csimCommand } from './csim-codec.ts';
import { DEFAULT_MODEM_IDENTITY, HuaweiModemEmulator, type HuaweiModemOptions } from './huawei-modem.ts';
import { ModemTap, demoModem, framed, text } from './modem-test-kit.test-support.ts';

const SELECT_ICCID = '00A4080C022FE2';
const READ_ICCID = '00B000000A';
const USIM_AID = 'A0000000871002FF44FF1289000000FF';
const SELECT_USIM_FCP = `00A4040410${USIM_AID}`;
const SELECT_USIM = `00A4040C10${USIM_AID}`;

const modems: HuaweiModemEmulator[] = [];
async function modem(options: HuaweiModemOptions = {}, sim = 'demo') {
  const m = await demoModem(options, sim);
  modems.push(m.modem);
  return m;
}
afterEach(() => {
  for (const m of modems.splice(0)) m.dispose();
});

function csim(hex: string): string {
  return csimCommand(fromHex(hex));
}

/** The hex inside `+CSIM: n,"..."`, checked against its declared length. */
function csimHex(answer: string): string {
  const m = /\+CSIM: ?(\d+), ?"([0-9A-Fa-f]*)"/.exec(answer);
  if (!m) throw new Error(`no +CSIM in ${JSON.stringify(answer)}`);
  expect(Number(m[1])).toBe(m[2]!.length);
  return m[2]!;
}

describe('echo', () => {
  it('is on at power-up: the command line and its \\r come back before the answer', async () => {
    const { tap } = await modem();
    expect(await tap.at('AT')).toBe('AT\r' + framed('OK'));
  });

  it('ATE0 turns it off (its own line is still echoed) and ATE1 back on', async () => {
    const { tap } = await modem();
    expect(await tap.at('ATE0')).toBe('ATE0\r' + framed('OK'));
    expect(await tap.at('AT')).toBe(framed('OK'));
    expect(await tap.at('ATE1')).toBe(framed('OK'));
    expect(await tap.at('AT')).toBe('AT\r' + framed('OK'));
  });

  it('starts off with the echo option, and ATZ returns to the power-up state', async () => {
    const { tap } = await modem({ echo: false });
    expect(await tap.at('AT')).toBe(framed('OK'));
    await tap.at('ATE1');
    await tap.at('AT+CMEE=2');
    expect(await tap.at('ATZ')).toBe('ATZ\r' + framed('OK'));
    expect(await tap.at('AT')).toBe(framed('OK'));
    expect(await tap.at('AT+CMEE?')).toBe(framed('+CMEE: 0', 'OK'));
  });

  it('takes \\r\\n line ends, input split anywhere, and backspace editing', async () => {
    const { tap, modem: m } = await modem();
    const bytes = new TextEncoder().encode('ATE0\r\nAT+CGMI\r\nATX\bI\r');
    for (const b of bytes) m.receive(Uint8Array.of(b));
    await m.whenIdle();
    const ati = [
      'Manufacturer: huawei',
      'Model: MS2131',
      `Revision: ${DEFAULT_MODEM_IDENTITY.revision}`,
      `IMEI: ${DEFAULT_MODEM_IDENTITY.imei}`,
      '+GCAP: +CGSM,+DS,+ES',
    ];
    expect(tap.output).toBe('ATE0\r' + framed('OK') + framed('huawei', 'OK') + `\r\n${ati.join('\r\n')}\r\n` + framed('OK'));
  });

  it('ignores a line that does not start with AT (the echo still shows it) and answers an empty AT line', async () => {
    const { tap } = await modem();
    expect(await tap.at('hello')).toBe('hello\r');
    expect(await tap.at('aT')).toBe('aT\r');
    expect(await tap.at('at')).toBe('at\r' + framed('OK'));
    expect(await tap.send('\r')).toBe('\r');
  });

  it('answers ERROR to a line longer than its buffer', async () => {
    const { tap } = await modem({ echo: false });
    expect(await tap.at(`AT+CSIM=4000,"${'0'.repeat(4000)}"`)).toBe(framed('ERROR'));
    expect(await tap.at('AT')).toBe(framed('OK'));
  });
});

describe('AT+CMEE', () => {
  it('selects plain ERROR (default), numeric or verbose mobile equipment errors', async () => {
    const { tap } = await modem({ echo: false });
    const bad = 'AT+CSIM=3,"00"';
    expect(await tap.at(bad)).toBe(framed('ERROR'));
    expect(await tap.at('AT+CMEE=1')).toBe(framed('OK'));
    expect(await tap.at(bad)).toBe(framed('+CME ERROR: 50'));
    expect(await tap.at('AT+CMEE=2')).toBe(framed('OK'));
    expect(await tap.at(bad)).toBe(framed('+CME ERROR: Incorrect parameters'));
    expect(await tap.at('AT+CMEE?')).toBe(framed('+CMEE: 2', 'OK'));
    expect(await tap.at('AT+CMEE=?')).toBe(framed('+CMEE: (0-2)', 'OK'));
    expect(await tap.at('AT+CMEE=0')).toBe(framed('OK'));
    expect(await tap.at(bad)).toBe(framed('ERROR'));
  });

  it('refuses modes other than 0, 1 and 2', async () => {
    const { tap } = await modem({ echo: false });
    await tap.at('AT+CMEE=1');
    expect(await tap.at('AT+CMEE=3')).toBe(framed('+CME ERROR: 50'));
    expect(await tap.at('AT+CMEE?')).toBe(framed('+CMEE: 1', 'OK'));
  });
});

describe('identity and radio commands', () => {
  it.each<[string, string[]]>([
    ['AT', []],
    ['AT+CGMI', ['huawei']],
    ['AT+CGMM', ['MS2131']],
    ['AT+CGMR', [DEFAULT_MODEM_IDENTITY.revision]],
    ['AT+CGSN', [DEFAULT_MODEM_IDENTITY.imei]],
    ['AT+GCAP', ['+GCAP: +CGSM,+DS,+ES']],
    ['AT+CIMI', ['001010000000001']],
    ['AT^ICCID?', ['^ICCID: 8981100000000000016']],
    ['AT+CSQ', ['+CSQ: 18,99']],
    ['AT^HCSQ?', ['^HCSQ: "LTE",50,45,156,34']],
    ['AT+CREG?', ['+CREG: 0,1']],
    ['AT+CEREG?', ['+CEREG: 0,1']],
    ['AT+CGREG?', ['+CGREG: 0,1']],
    ['AT+COPS?', ['+COPS: 0,0,"SORACOM",7']],
    ['AT+CPIN?', ['+CPIN: READY']],
    ['AT+CFUN?', ['+CFUN: 1']],
    ['AT^CURC?', ['^CURC: 1']],
    ['AT+CSIM=?', []],
    ['at+cgmi', ['huawei']],
  ])('%s', async (command, lines) => {
    const { tap } = await modem({ echo: false });
    expect(await tap.at(command)).toBe(framed(...lines, 'OK'));
  });

  it('ATI prints manufacturer, model, revision and IMEI in one block, as Huawei does', async () => {
    const { tap } = await modem({ echo: false, identity: { model: 'E3372', imei: '867000000000005' } });
    expect(await tap.at('ATI')).toBe(
      `\r\nManufacturer: huawei\r\nModel: E3372\r\nRevision: ${DEFAULT_MODEM_IDENTITY.revision}\r\nIMEI: 867000000000005\r\n+GCAP: +CGSM,+DS,+ES\r\n` +
        framed('OK'),
    );
  });

  it('has an IMEI that passes the Luhn check', () => {
    const digits = [...DEFAULT_MODEM_IDENTITY.imei].map(Number);
    const sum = digits.reverse().reduce((s, d, i) => s + (i % 2 === 1 ? (d * 2 > 9 ? d * 2 - 9 : d * 2) : d), 0);
    expect(DEFAULT_MODEM_IDENTITY.imei).toHaveLength(15);
    expect(sum % 10).toBe(0);
  });

  it('reads the IMSI and ICCID from the card through APDUs at power-up, not from the profile', async () => {
    const { apdus, tap } = await modem({ echo: false });
    const commands = apdus.map((a) => a.command);
    expect(commands).toContain('00b0000009');
    expect(commands).toContain('00b000000a');
    const imsiRead = apdus.find((a) => a.command === '00b0000009')!;
    expect(imsiRead.response).toBe('080910100000000010' + '9000');
    const before = apdus.length;
    expect(await tap.at('AT+CIMI')).toBe(framed('001010000000001', 'OK'));
    // Cached since boot: AT+CIMI does not disturb the card's selection under a client's AT+CSIM sequence.
    expect(apdus.length).toBe(before);
  });

  it.each([[['no-p2-0c' as const]], [['no-path-select' as const]], [['no-p2-0c' as const, 'no-path-select' as const]]])(
    'reads the identity of a card with quirks %j (P2=04 when 0C is refused, MF then EF when paths are)',
    async (quirks) => {
      const profile = { ...findSim(demoProfileSet(), 'demo'), quirks };
      const emulator = await HuaweiModemEmulator.create(profile);
      try {
        const tap = new ModemTap(emulator);
        await tap.at('ATE0');
        expect(await tap.at('AT^ICCID?')).toBe(framed('^ICCID: 8981100000000000016', 'OK'));
        expect(await tap.at('AT+CIMI')).toBe(framed('001010000000001', 'OK'));
      } finally {
        emulator.dispose();
      }
    },
  );

  it('prints the ICCID nibble-swapped, as stored, with the iccidSwapped quirk', async () => {
    const { tap } = await modem({ echo: false, iccidSwapped: true });
    expect(await tap.at('AT^ICCID?')).toBe(framed('^ICCID: 981801000000000010F6', 'OK'));
  });

  it('reports and changes registration URC settings (=0/1/2) for CREG, CEREG and CGREG', async () => {
    const { tap, modem: m } = await modem({ echo: false });
    expect(await tap.at('AT+CREG=2')).toBe(framed('OK'));
    expect(await tap.at('AT+CREG?')).toBe(framed('+CREG: 2,1,"1A2B","01A2B3C4",7', 'OK'));
    expect(await tap.at('AT+CEREG=1')).toBe(framed('OK'));
    expect(await tap.at('AT+CEREG?')).toBe(framed('+CEREG: 1,1', 'OK'));
    expect(await tap.at('AT+CGREG=2;+CGREG?')).toBe(framed('+CGREG: 2,1,"1A2B","01A2B3C4",7', 'OK'));
    expect(await tap.at('AT+CGREG=0')).toBe(framed('OK'));
    expect(await tap.at('AT+CEREG=3')).toBe(framed('ERROR'));
    expect(await tap.at('AT+CREG=?')).toBe(framed('+CREG: (0-2)', 'OK'));
    expect(m.settings).toMatchObject({ creg: 2, cereg: 1, cgreg: 0 });
  });

  it('turns Huawei URCs off and on with AT^CURC', async () => {
    const { tap, modem: m } = await modem({ echo: false });
    expect(await tap.at('AT^CURC=0')).toBe(framed('OK'));
    expect(await tap.at('AT^CURC?')).toBe(framed('^CURC: 0', 'OK'));
    expect(m.settings.curc).toBe(false);
    expect(await tap.at('AT^CURC=1')).toBe(framed('OK'));
    expect(m.settings.curc).toBe(true);
    expect(await tap.at('AT^CURC=2')).toBe(framed('ERROR'));
  });

  it('answers AT^CURC with ERROR on firmware that lacks it (curcUnsupported)', async () => {
    const { tap, modem: m } = await modem({ echo: false, curcUnsupported: true });
    await tap.at('AT+CMEE=1');
    expect(await tap.at('AT^CURC=0')).toBe(framed('ERROR'));
    expect(m.settings.curc).toBe(true);
  });

  it('runs commands joined with ";" and stops at the first error', async () => {
    const { tap } = await modem({ echo: false });
    expect(await tap.at('AT+CMEE=1;+CGMM;+CSIM=2,"00";+CGMI')).toBe(framed('MS2131', '+CME ERROR: 50'));
    expect(await tap.at('ATE0 +CGMI')).toBe(framed('huawei', 'OK'));
  });

  it('answers unknown commands COMMAND NOT SUPPORT, or ERROR on other firmware', async () => {
    const { tap } = await modem({ echo: false });
    expect(await tap.at('AT+FOO')).toBe(framed('COMMAND NOT SUPPORT'));
    expect(await tap.at('ATV0')).toBe(framed('COMMAND NOT SUPPORT'));
    const other = await modem({ echo: false, unknownCommandReply: 'ERROR' });
    expect(await other.tap.at('AT^SYSCFGEX?')).toBe(framed('ERROR'));
  });
});

describe('commands a client must never send', () => {
  it('AT+CCID never answers (a client waiting for it hangs), and is recorded', async () => {
    const { tap, modem: m } = await modem({ echo: false });
    expect(await tap.at('AT+CCID')).toBe('');
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(tap.output).toBe('');
    expect(m.forbiddenCommands).toEqual(['AT+CCID']);
    // The next command line is served again.
    expect(await tap.at('AT')).toBe(framed('OK'));
  });

  it('AT^U2DIAG and AT^SETPORT answer OK and are recorded', async () => {
    const { tap, modem: m } = await modem({ echo: false });
    expect(await tap.at('AT^U2DIAG=0')).toBe(framed('OK'));
    expect(await tap.at('AT^SETPORT="A1,A2;1,2,3,7,A1,A2"')).toBe(framed('OK'));
    expect(await tap.at('at^setport?')).toBe(framed('OK'));
    expect(m.forbiddenCommands).toEqual(['AT^U2DIAG=0', 'AT^SETPORT="A1,A2;1,2,3,7,A1,A2"', 'AT^setport?']);
  });

  it('records nothing for ordinary commands', async () => {
    const { tap, modem: m } = await modem({ echo: false });
    await tap.at('ATE0;+CMEE=1;+CSIM=?;+CIMI;^ICCID?');
    expect(m.forbiddenCommands).toEqual([]);
  });
});

describe('AT+CSIM', () => {
  it('passes an APDU to the card and prints its answer with the hex length', async () => {
    const { tap, apdus } = await modem({ echo: false });
    const before = apdus.length;
    expect(await tap.at(csim(SELECT_ICCID))).toBe(framed('+CSIM: 4,"9000"', 'OK'));
    expect(await tap.at(csim(READ_ICCID))).toBe(framed('+CSIM: 24,"981801000000000010F69000"', 'OK'));
    expect(apdus.slice(before).map((a) => a.command)).toEqual([SELECT_ICCID.toLowerCase(), READ_ICCID.toLowerCase()]);
  });

  it('is a T=0-like link: SELECT with FCP answers 61xx, and GET RESPONSE through AT+CSIM fetches the FCP', async () => {
    const { tap } = await modem({ echo: false });
    const sw = csimHex(await tap.at(csim(SELECT_USIM_FCP)));
    expect(sw).toMatch(/^61[0-9A-F]{2}$/);
    const fcp = csimHex(await tap.at(csim(`00C00000${sw.slice(2)}`)));
    expect(fcp.slice(0, 2)).toBe('62');
    expect(fcp.slice(-4)).toBe('9000');
    expect(fcp.length).toBe(2 * parseInt(sw.slice(2), 16) + 4);
  });

  it('takes lowercase hex and spaces around the comma', async () => {
    const { tap } = await modem({ echo: false });
    expect(await tap.at(`AT+CSIM=14, "${SELECT_ICCID.toLowerCase()}"`)).toBe(framed('+CSIM: 4,"9000"', 'OK'));
  });

  it.each<[string, string]>([
    ['length does not match the hex', `AT+CSIM=12,"${SELECT_ICCID}"`],
    ['odd number of hex digits', 'AT+CSIM=13,"00A4080C022FE"'],
    ['a character that is not hex', 'AT+CSIM=14,"00A4080C022FEG"'],
    ['hex without quotes', `AT+CSIM=14,${SELECT_ICCID}`],
    ['an APDU shorter than a header', 'AT+CSIM=6,"00A408"'],
    ['an APDU longer than 261 bytes', `AT+CSIM=524,"${'00'.repeat(262)}"`],
    ['no length', `AT+CSIM="${SELECT_ICCID}"`],
    ['no argument', 'AT+CSIM='],
    ['the read form', 'AT+CSIM?'],
    ['a negative length', `AT+CSIM=-14,"${SELECT_ICCID}"`],
  ])('refuses %s with +CME ERROR: 50 and sends nothing to the card', async (_why, line) => {
    const { tap, apdus } = await modem({ echo: false });
    await tap.at('AT+CMEE=1');
    const before = apdus.length;
    expect(await tap.at(line)).toBe(framed('+CME ERROR: 50'));
    expect(apdus.length).toBe(before);
  });

  it('prints lowercase hex and a space after the comma on firmware that does', async () => {
    const { tap } = await modem({ echo: false, lowercaseHex: true, spaces: true });
    expect(await tap.at(csim(SELECT_ICCID))).toBe(framed('+CSIM: 4, "9000"', 'OK'));
    expect(await tap.at(csim(READ_ICCID))).toBe(framed('+CSIM: 24, "981801000000000010f69000"', 'OK'));
  });

  it('answers like the unknown command on firmware without AT+CSIM (noCsim)', async () => {
    const { tap, apdus } = await modem({ echo: false, noCsim: true });
    const before = apdus.length;
    expect(await tap.at('AT+CSIM=?')).toBe(framed('COMMAND NOT SUPPORT'));
    expect(await tap.at(csim(SELECT_ICCID))).toBe(framed('COMMAND NOT SUPPORT'));
    expect(apdus.length).toBe(before);
    const plain = await modem({ echo: false, noCsim: true, unknownCommandReply: 'ERROR' });
    expect(await plain.tap.at('AT+CSIM=?')).toBe(framed('ERROR'));
    // The rest of the firmware still works.
    expect(await tap.at('AT+CIMI')).toBe(framed('001010000000001', 'OK'));
  });
});

describe('csimDirect9000: firmware that follows 61xx itself', () => {
  async function authenticateBothWays(direct: boolean): Promise<string[]> {
    const profile = findSim(demoProfileSet(), 'demo');
    const { tap } = await modem({ echo: false, csimDirect9000: direct });
    const rand = fromHex('23553cbe9637a89d218ae64dae47bf35');
    const autn = await networkAutn(profile, rand, sqnOf(2, 1));
    const answers: string[] = [];
    for (const apdu of [SELECT_USIM, authenticateApdu(rand, autn)]) {
      let hex = csimHex(await tap.at(csim(apdu)));
      if (hex.startsWith('61') && hex.length === 4) hex = csimHex(await tap.at(csim(`00C00000${hex.slice(2)}`)));
      answers.push(hex);
    }
    return answers;
  }

  it('gives the same AUTHENTICATE data with 9000 directly as the 61xx + GET RESPONSE path', async () => {
    const viaGetResponse = await authenticateBothWays(false);
    const direct = await authenticateBothWays(true);
    expect(direct).toEqual(viaGetResponse);
    expect(direct[1]!.slice(0, 2)).toBe('DB');
    expect(direct[1]!.slice(-4)).toBe('9000');
  });

  it('answers AUTHENTICATE and SELECT with FCP in one AT+CSIM, issuing GET RESPONSE to the card itself', async () => {
    const { tap, apdus } = await modem({ echo: false, csimDirect9000: true });
    const before = apdus.length;
    const fcp = csimHex(await tap.at(csim(SELECT_USIM_FCP)));
    expect(fcp.slice(0, 2)).toBe('62');
    expect(fcp.slice(-4)).toBe('9000');
    expect(apdus.slice(before).map((a) => a.command.slice(0, 4))).toEqual(['00a4', '00c0']);
  });

  it('also resends a 6Cxx-answered command with the right Le', async () => {
    const plain = await modem({ echo: false });
    expect(csimHex(await plain.tap.at(csim('00A4080C022FE2')))).toBe('9000');
    expect(csimHex(await plain.tap.at(csim('00B0000000')))).toBe('6C0A');
    const direct = await modem({ echo: false, csimDirect9000: true });
    await direct.tap.at(csim('00A4080C022FE2'));
    expect(csimHex(await direct.tap.at(csim('00B0000000')))).toBe('981801000000000010F69000');
  });
});

describe('SIM states', () => {
  it('simAbsent: AT+CSIM, AT+CIMI, AT^ICCID? and AT+CPIN? answer +CME ERROR: 10 (ERROR under CMEE=0)', async () => {
    const { tap, apdus } = await modem({ echo: false, simAbsent: true });
    expect(apdus).toEqual([]);
    expect(await tap.at('AT+CIMI')).toBe(framed('ERROR'));
    await tap.at('AT+CMEE=1');
    for (const line of ['AT+CIMI', csim(SELECT_ICCID), 'AT^ICCID?', 'AT+CPIN?']) expect(await tap.at(line)).toBe(framed('+CME ERROR: 10'));
    await tap.at('AT+CMEE=2');
    expect(await tap.at('AT+CIMI')).toBe(framed('+CME ERROR: SIM not inserted'));
    // The command exists; only the SIM is missing.
    expect(await tap.at('AT+CSIM=?')).toBe(framed('OK'));
    expect(apdus).toEqual([]);
  });

  it('an empty slot (no card at all) behaves the same', async () => {
    const m = new HuaweiModemEmulator(undefined, { echo: false });
    modems.push(m);
    const tap = new ModemTap(m);
    await tap.at('AT+CMEE=1');
    expect(await tap.at('AT+CIMI')).toBe(framed('+CME ERROR: 10'));
    expect(await tap.at(csim(SELECT_ICCID))).toBe(framed('+CME ERROR: 10'));
  });

  it('a SIM taken out and another put in: ^SIMST: 255, SIM not inserted, then ^SIMST: 1 and the new SIM answers', async () => {
    const { tap } = await modem({ echo: false });
    await tap.at('AT+CMEE=1');
    expect(await tap.at('AT^ICCID?')).toBe(framed('^ICCID: 8981100000000000016', 'OK'));
    expect(tap.modem.hasSim).toBe(true);
    tap.modem.removeSim();
    await tap.modem.whenIdle();
    expect(tap.output.endsWith(framed('^SIMST: 255'))).toBe(true);
    expect(tap.modem.hasSim).toBe(false);
    for (const line of ['AT+CPIN?', 'AT+CIMI', 'AT^ICCID?', csim(SELECT_ICCID)]) expect(await tap.at(line)).toBe(framed('+CME ERROR: 10'));
    await tap.modem.insertProfile('demo-pin');
    await tap.modem.whenIdle();
    expect(tap.output.endsWith(framed('^SIMST: 1'))).toBe(true);
    expect(await tap.at('AT+CPIN?')).toBe(framed('+CPIN: SIM PIN', 'OK'));
    expect(await tap.at('AT^ICCID?')).toBe(framed('^ICCID: 8981100000000000024', 'OK'));
    expect(await tap.at('AT+CPIN="1234"')).toBe(framed('OK'));
    expect(await tap.at('AT+CIMI')).toBe(framed('001010000000002', 'OK'));
  });

  it('after AT^CURC=0 a swap is silent: only AT+CPIN? tells', async () => {
    const { tap } = await modem({ echo: false });
    await tap.at('AT^CURC=0');
    const before = tap.output.length;
    tap.modem.removeSim();
    await tap.modem.insertProfile('demo-box-01');
    await tap.modem.whenIdle();
    expect(tap.output.slice(before)).toBe('');
    expect(await tap.at('AT+CIMI')).toBe(framed('001010000000011', 'OK'));
  });

  it('a PIN-locked SIM: AT+CPIN? says SIM PIN, AT+CIMI needs the PIN, a wrong PIN is refused, the right one unlocks', async () => {
    const { tap } = await modem({ echo: false }, 'demo-pin');
    await tap.at('AT+CMEE=1');
    expect(await tap.at('AT+CPIN?')).toBe(framed('+CPIN: SIM PIN', 'OK'));
    expect(await tap.at('AT+CIMI')).toBe(framed('+CME ERROR: 11'));
    expect(await tap.at('AT^ICCID?')).toBe(framed('^ICCID: 8981100000000000024', 'OK'));
    expect(await tap.at('AT+CPIN="0000"')).toBe(framed('+CME ERROR: 16'));
    expect(await tap.at('AT+CPIN="1234"')).toBe(framed('OK'));
    expect(await tap.at('AT+CPIN?')).toBe(framed('+CPIN: READY', 'OK'));
    expect(await tap.at('AT+CIMI')).toBe(framed('001010000000002', 'OK'));
    expect(await tap.at('AT+CPIN="1234"')).toBe(framed('+CME ERROR: 3'));
  });

  it('a PIN verified through AT+CSIM lets AT+CIMI read the IMSI afterwards', async () => {
    const { tap } = await modem({ echo: false }, 'demo-pin');
    await tap.at('AT+CMEE=1');
    expect(await tap.at('AT+CIMI')).toBe(framed('+CME ERROR: 11'));
    expect(csimHex(await tap.at(csim('002000010831323334FFFFFFFF')))).toBe('9000');
    expect(await tap.at('AT+CIMI')).toBe(framed('001010000000002', 'OK'));
  });

  it('a blocked PIN: AT+CPIN? says SIM PUK and AT+CIMI answers +CME ERROR: 12', async () => {
    const { tap } = await modem({ echo: false }, 'demo-blocked');
    await tap.at('AT+CMEE=1');
    expect(await tap.at('AT+CPIN?')).toBe(framed('+CPIN: SIM PUK', 'OK'));
    expect(await tap.at('AT+CIMI')).toBe(framed('+CME ERROR: 12'));
  });
});

describe('URC noise', () => {
  const quiet = { intervalMs: 0 };

  it('puts a URC between +CSIM: and OK (and after the echo) when the seeded dice say so', async () => {
    const { tap } = await modem({ urcNoise: { ...quiet, seed: 7, midResponseRate: 1, kinds: ['RSSI'] } });
    const answer = await tap.at(csim(SELECT_ICCID));
    expect(answer).toMatch(/^AT\+CSIM=14,"00A4080C022FE2"\r\r\n\^RSSI: \d+\r\n\r\n\+CSIM: 4,"9000"\r\n\r\n\^RSSI: \d+\r\n\r\nOK\r\n$/);
  });

  it('is deterministic for a seed and changes with it', async () => {
    const script = ['ATE0', 'AT+CEREG=1', csim(SELECT_ICCID), csim(READ_ICCID), 'AT+CIMI', 'AT+CSQ', 'AT^HCSQ?', 'ATI', 'AT+COPS?'];
    const run = async (seed: number) => {
      const { tap } = await modem({ urcNoise: { ...quiet, seed, midResponseRate: 0.5 } });
      for (const line of script) await tap.at(line);
      return tap.output;
    };
    const a = await run(11);
    expect(await run(11)).toBe(a);
    expect(await run(12)).not.toBe(a);
    // Noise there is, and taking it out leaves exactly the quiet modem's answers.
    const { tap } = await modem();
    for (const line of script) await tap.at(line);
    const urc = /\r\n(\^RSSI: \d+|\^HCSQ: [^\r]+|\^DSFLOWRPT:[^\r]+|\^MODE: 5,4|\^SRVST: 2|\^SIMST: 1|\^BOOT:[^\r]+|\+CEREG: 1|RING)\r\n/g;
    expect(a).not.toBe(tap.output);
    // ^HCSQ? and +CSQ values drift with the noise; compare the rest.
    const strip = (s: string) =>
      s
        .replace(urc, '')
        .replace(/\+CSQ: \d+,99/, '+CSQ')
        .replace(/\^HCSQ: "LTE",[\d,]+/, '^HCSQ');
    expect(strip(a)).toBe(strip(tap.output));
  });

  it('puts nothing inside responses at rate 0', async () => {
    const { tap } = await modem({ urcNoise: { ...quiet, midResponseRate: 0 } });
    expect(await tap.at(csim(SELECT_ICCID))).toBe(`${csim(SELECT_ICCID)}\r` + framed('+CSIM: 4,"9000"', 'OK'));
  });

  it('AT^CURC=0 silences Huawei URCs but not +CEREG ones enabled with AT+CEREG=1', async () => {
    const { tap } = await modem({ echo: false, urcNoise: { ...quiet, midResponseRate: 1, kinds: ['RSSI', 'MODE', 'CEREG'] } });
    await tap.at('AT^CURC=0');
    expect(await tap.at('AT')).toBe(framed('OK'));
    await tap.at('AT+CEREG=1');
    expect(await tap.at('AT')).toBe(framed('+CEREG: 1', 'OK'));
    await tap.at('AT+CEREG=2');
    expect(await tap.at('AT')).toBe(framed('+CEREG: 1,"1A2B","01A2B3C4",7', 'OK'));
    await tap.at('AT^CURC=1;+CEREG=0');
    expect(await tap.at('AT')).toMatch(/^\r\n(\^RSSI: \d+|\^MODE: 5,4)\r\n\r\nOK\r\n$/);
  });

  it('prints URCs periodically while a client is attached', async () => {
    const m = new HuaweiModemEmulator(undefined, { urcNoise: { intervalMs: 10, kinds: ['RING'] } });
    modems.push(m);
    const chunks: string[] = [];
    const detach = m.attach((b) => chunks.push(text(b)));
    await new Promise((resolve) => setTimeout(resolve, 120));
    detach();
    expect(chunks.length).toBeGreaterThanOrEqual(3);
    expect(new Set(chunks)).toEqual(new Set(['\r\nRING\r\n']));
  });

  it('injectUrc prints a line at once, whatever the settings', async () => {
    const { tap, modem: m } = await modem({ echo: false });
    m.injectUrc('^SIMST: 255');
    expect(tap.output).toBe(framed('^SIMST: 255'));
  });
});

describe('output pacing', () => {
  it('chunking splits output into small pieces that reassemble to the same bytes', async () => {
    const script = [csim(SELECT_ICCID), csim(READ_ICCID), 'ATI', 'AT+CIMI', 'AT+FOO'];
    const plain = await modem();
    for (const line of script) await plain.tap.at(line);
    const chunked = await modem({ chunking: { seed: 5, maxChunk: 4, maxDelayMs: 2 } });
    for (const line of script) await chunked.tap.at(line);
    expect(chunked.tap.output).toBe(plain.tap.output);
    expect(chunked.tap.chunks.length).toBeGreaterThan(plain.tap.chunks.length * 3);
    expect(Math.max(...chunked.tap.chunks.map((c) => c.length))).toBeLessThanOrEqual(4);
    // Some "\r\n" pairs are split across chunks, the case a line reassembler must handle.
    expect(chunked.tap.chunks.some((c) => text(c).endsWith('\r'))).toBe(true);
  });

  it('slowMs delays each answer', async () => {
    const { tap } = await modem({ echo: false, slowMs: 80 });
    const started = Date.now();
    expect(await tap.at('AT')).toBe(framed('OK'));
    expect(Date.now() - started).toBeGreaterThanOrEqual(75);
  });
});

describe('unplug', () => {
  it('stops answering, drops pending output and tells listeners once', async () => {
    const { tap, modem: m } = await modem({ echo: false, slowMs: 30 });
    let told = 0;
    m.onUnplug(() => (told += 1));
    m.receive('AT+CIMI\r');
    m.unplug();
    m.unplug();
    await m.whenIdle();
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(tap.output).toBe('');
    expect(await tap.at('AT')).toBe('');
    expect(told).toBe(1);
    expect(m.isUnplugged).toBe(true);
    // A listener that comes late still learns it.
    let late = false;
    m.onUnplug(() => (late = true));
    await Promise.resolve();
    expect(late).toBe(true);
  });

  it('serves one client at a time', async () => {
    const { modem: m } = await modem();
    expect(() => m.attach(() => undefined)).toThrow(/already attached/);
  });
});

describe('whole exchanges as a client would see them', () => {
  it('reads the IMSI through AT+CSIM (SELECT ADF, SELECT EF_IMSI, READ BINARY) with echo and noise on', async () => {
    const { tap } = await modem({ urcNoise: { intervalMs: 0, seed: 3, midResponseRate: 0.5 } });
    const answers: string[] = [];
    for (const apdu of [SELECT_USIM, '00A4000C026F07', '00B0000009']) {
      const out = await tap.at(csim(apdu));
      expect(out.startsWith(`${csim(apdu)}\r`)).toBe(true);
      expect(out.endsWith('\r\nOK\r\n')).toBe(true);
      answers.push(csimHex(out));
    }
    expect(answers).toEqual(['9000', '9000', '0809101000000000109000']);
    expect(toHex(fromHex(answers[2]!))).toBe('0809101000000000109000');
  });
});
