import { fromHex } from '@krypton-web/krypton-core';
import { afterEach, describe, expect, it } from 'vitest';
import { authenticateApdu, networkAutn, sqnOf } from '../card/card-test-kit.test-support.ts';
import { demoProfileSet, findSim } from '../profiles/index.ts';
import { csimCommand } from './csim-codec.ts';
import type { HuaweiModemEmulator, HuaweiModemOptions } from './huawei-modem.ts';
import { demoModem, framed } from './modem-test-kit.test-support.ts';
import { MODEM_PERSONALITIES, MODEM_PERSONALITY_NAMES, personalityOptions } from './personalities.ts';

const USIM_PREFIX = 'A0000000871002';
const ICCID_FILE = '981801000000000010F6';

const modems: HuaweiModemEmulator[] = [];
async function modem(options: HuaweiModemOptions = {}, sim = 'demo') {
  const m = await demoModem({ echo: false, ...options }, sim);
  modems.push(m.modem);
  return m;
}
afterEach(() => {
  for (const m of modems.splice(0)) m.dispose();
});

const csim = (hex: string) => csimCommand(fromHex(hex));
const cgla = (session: string, hex: string) => `AT+CGLA=${session},${hex.length},"${hex}"`;

async function challenge(): Promise<{ rand: Uint8Array; autn: Uint8Array }> {
  const rand = fromHex('23553cbe9637a89d218ae64dae47bf35');
  return { rand, autn: await networkAutn(findSim(demoProfileSet(), 'demo'), rand, sqnOf(2, 1)) };
}

describe('MODEM_PERSONALITIES', () => {
  it('names each personality once, and extra options win over the personality', () => {
    expect(MODEM_PERSONALITY_NAMES).toEqual(Object.keys(MODEM_PERSONALITIES));
    expect(MODEM_PERSONALITY_NAMES).toContain('huawei');
    expect(personalityOptions('slow', { slowMs: 1 })).toEqual({ slowMs: 1 });
  });

  it.each(MODEM_PERSONALITY_NAMES)('%s answers AT and AT+CIMI', async (name) => {
    const { tap } = await modem({ ...personalityOptions(name), urcNoise: false, echo: false });
    expect(await tap.at('AT')).toBe(framed('OK'));
    expect(await tap.at('AT+CIMI')).toBe(framed('001010000000001', 'OK'));
  });
});

describe('logicalChannels', () => {
  it('opens a channel on the USIM, carries APDUs on it (CLA channel bits set by the firmware) and closes it', async () => {
    const { tap, modem: m, apdus } = await modem({ logicalChannels: true });
    expect(await tap.at('AT+CCHO=?')).toBe(framed('OK'));
    expect(await tap.at(`AT+CCHO="${USIM_PREFIX}"`)).toBe(framed('1', 'OK'));
    expect(m.openChannels).toBe(1);
    const { rand, autn } = await challenge();
    const before = apdus.length;
    expect(await tap.at(cgla('1', authenticateApdu(rand, autn).toUpperCase()))).toBe(framed('+CGLA: 4,"6135"', 'OK'));
    const answer = await tap.at(cgla('1', '00C0000035'));
    expect(answer).toMatch(/^\r\n\+CGLA: 110,"DB[0-9A-F]+9000"\r\n\r\nOK\r\n$/);
    // No re-select: the channel still owns the card.
    expect(apdus.slice(before).map((a) => a.command.slice(0, 4))).toEqual(['0088', '00c0']);
    expect(await tap.at('AT+CCHC=1')).toBe(framed('OK'));
    expect(m.openChannels).toBe(0);
  });

  it('refuses an unknown session, a wrong channel in CLA and a second close; the basic channel gets the USIM back', async () => {
    const { tap, apdus } = await modem({ logicalChannels: true });
    await tap.at('AT+CMEE=1');
    expect(await tap.at(cgla('7', '00B0000009'))).toBe(framed('+CME ERROR: 50'));
    await tap.at(`AT+CCHO="${USIM_PREFIX}"`);
    expect(await tap.at(cgla('1', '02B0870009'))).toBe(framed('+CME ERROR: 50'));
    expect(await tap.at(cgla('1', '01B0870009'))).toMatch(/\+CGLA: 22,"[0-9A-F]{18}9000"/);
    const before = apdus.length;
    expect(await tap.at(csim('00B0870009'))).toMatch(/\+CSIM: 22,"[0-9A-F]{18}9000"/);
    expect(apdus.slice(before).map((a) => a.command.slice(0, 8))).toEqual(['00a4040c', '00b08700']);
    expect(await tap.at('AT+CCHC=1')).toBe(framed('OK'));
    expect(await tap.at('AT+CCHC=1')).toBe(framed('+CME ERROR: 50'));
  });

  it('is off by default: the unknown-command reply', async () => {
    const { tap } = await modem();
    expect(await tap.at(`AT+CCHO="${USIM_PREFIX}"`)).toBe(framed('COMMAND NOT SUPPORT'));
    expect(await tap.at('AT+CGLA=?')).toBe(framed('COMMAND NOT SUPPORT'));
  });
});

describe('csimSelectRefused', () => {
  it('answers a SELECT through AT+CSIM with +CME ERROR: 3 and sends nothing to the card; other commands pass', async () => {
    const { tap, apdus } = await modem({ csimSelectRefused: true });
    await tap.at('AT+CMEE=1');
    const before = apdus.length;
    expect(await tap.at(csim(`00A4040C07${USIM_PREFIX}`))).toBe(framed('+CME ERROR: 3'));
    expect(apdus.length).toBe(before);
    expect(await tap.at(csim('00B0870009'))).toMatch(/\+CSIM: 22,/);
  });
});

describe('answer formats', () => {
  it('csimLengthInBytes, unquotedHex, lowercaseHex, spaces', async () => {
    const { tap } = await modem({ csimLengthInBytes: true, unquotedHex: true, lowercaseHex: true, spaces: true });
    expect(await tap.at(csim('00A4080C022FE2'))).toBe(framed('+CSIM: 2, 9000', 'OK'));
  });

  it('errorStyle overrides AT+CMEE, which is still accepted and read back', async () => {
    for (const [style, line] of [
      ['plain', 'ERROR'],
      ['numeric', '+CME ERROR: 10'],
      ['verbose', '+CME ERROR: SIM not inserted'],
    ] as const) {
      const { tap } = await modem({ errorStyle: style, simAbsent: true });
      expect(await tap.at(`AT+CMEE=${style === 'numeric' ? 0 : 1}`)).toBe(framed('OK'));
      expect(await tap.at('AT+CIMI')).toBe(framed(line));
    }
  });
});

describe('ICCID and PIN state without AT+CSIM', () => {
  it('AT+CRSM reads EF_ICCID as stored, with offsets; other files answer 6A82', async () => {
    const { tap, apdus } = await modem();
    const before = apdus.length;
    expect(await tap.at('AT+CRSM=176,12258,0,0,10')).toBe(framed(`+CRSM: 144,0,"${ICCID_FILE}"`, 'OK'));
    expect(await tap.at('AT+CRSM=176,12258,0,8,2')).toBe(framed('+CRSM: 144,0,"10F6"', 'OK'));
    expect(await tap.at('AT+CRSM=176,28423,0,0,9')).toBe(framed('+CRSM: 106,130', 'OK'));
    expect(apdus.length).toBe(before);
  });

  it('noIccidCommand and noCrsm give the unknown-command reply', async () => {
    const { tap } = await modem({ noIccidCommand: true, noCrsm: true, unknownCommandReply: 'ERROR' });
    expect(await tap.at('AT^ICCID?')).toBe(framed('ERROR'));
    expect(await tap.at('AT+CRSM=176,12258,0,0,10')).toBe(framed('ERROR'));
  });

  it('AT^CPIN? gives the code and the tries; AT+CLCK="SC",2 whether PIN1 is enabled', async () => {
    const ready = await modem();
    expect(await ready.tap.at('AT^CPIN?')).toBe(framed('^CPIN: READY,,10,3,10,3', 'OK'));
    expect(await ready.tap.at('AT+CLCK="SC",2')).toBe(framed('+CLCK: 0', 'OK'));
    const locked = await modem({}, 'demo-pin');
    expect(await locked.tap.at('AT^CPIN?')).toBe(framed('^CPIN: SIM PIN,3,10,3,10,3', 'OK'));
    expect(await locked.tap.at('AT+CLCK="SC",2')).toBe(framed('+CLCK: 1', 'OK'));
    const none = await modem({ noHuaweiCpin: true });
    expect(await none.tap.at('AT^CPIN?')).toBe(framed('COMMAND NOT SUPPORT'));
  });
});

describe('authenticateLeForm', () => {
  it('with-le refuses AUTHENTICATE without Le=00 and passes it with; without-le the other way round', async () => {
    const { rand, autn } = await challenge();
    const bare = authenticateApdu(rand, autn);
    const needsLe = await modem({ authenticateLeForm: 'with-le' });
    await needsLe.tap.at('AT+CMEE=1');
    expect(await needsLe.tap.at(csim(bare))).toBe(framed('+CME ERROR: 4'));
    expect(await needsLe.tap.at(csim(`${bare}00`))).toBe(framed('+CSIM: 4,"6135"', 'OK'));
    const noLe = await modem({ authenticateLeForm: 'without-le' });
    expect(await noLe.tap.at(csim(`${bare}00`))).toBe(framed('ERROR'));
  });
});
