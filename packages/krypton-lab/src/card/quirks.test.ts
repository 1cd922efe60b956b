/**
 * Card personalities: each quirk pinned byte for byte against the default card's answer to the same
 * APDU, so a quirk that stops doing anything fails here.
 */
import { describe, expect, it } from 'vitest';
import { toHex } from '@krypton-web/krypton-core';
import {
  CARD_PERSONALITIES,
  CARD_QUIRKS,
  demoProfileSet,
  findSim,
  parseSimProfile,
  ProfileError,
  withPersonality,
  type CardQuirk,
} from '../profiles/index.ts';
import { dataOf, send, sendAll, swOf } from './card-test-kit.test-support.ts';
import { USIM_AID } from './usim-file-tree.ts';
import { VirtualUsim } from './virtual-usim.ts';

const AID = toHex(USIM_AID);
const PARTIAL = '00a4040c07a0000000871002';

async function card(quirks: CardQuirk[], base = 'demo'): Promise<VirtualUsim> {
  const profile = findSim(demoProfileSet(), base);
  return VirtualUsim.create(quirks.length === 0 ? profile : { ...profile, quirks });
}

/** Each row: quirks, APDUs sent before, the APDU, the default card's answer, the quirky card's answer. */
const ROWS: readonly [string, CardQuirk[], string[], string, string, string][] = [
  ['partial AID refused', ['no-partial-aid'], [], PARTIAL, '9000', '6a82'],
  ['full AID still selects', ['no-partial-aid'], [], `00a4040c10${AID}`, '9000', '9000'],
  ['P2=0C refused', ['no-p2-0c'], [], '00a4000c023f00', '9000', '6a86'],
  ['P2=04 still answers the FCP', ['no-p2-0c'], [], '00a40004023f00', '6126', '6126'],
  ['path from the MF refused', ['no-path-select'], [], '00a40804022f00', '611c', '6a86'],
  ['path from the current DF refused', ['no-path-select'], [], '00a4090c022fe2', '9000', '6a86'],
  ['file identifier still selects', ['no-path-select'], [], '00a40004022f00', '611c', '611c'],
  ['READ BINARY by SFI: 6981', ['no-sfi-6981'], [], '00b0820000', '6c0a', '6981'],
  ['READ BINARY by SFI: 6A86', ['no-sfi-6a86'], [], '00b082000a', '*9000', '6a86'],
  ['READ BINARY by SFI: 6A82', ['no-sfi-6a82'], [], '00b082000a', '*9000', '6a82'],
  ['READ RECORD by SFI refused too', ['no-sfi-6981'], [], '00b201f426', '', '6981'],
  ['READ BINARY after SELECT still works', ['no-sfi-6a82'], ['00a4000c022fe2'], '00b000000a', '*9000', '*9000'],
  ['T=1 style: FCP with 9000 at once', ['t1-direct'], [], '00a40004022f00', '611c', '*9000'],
  ['chained: the FCP announced 16 bytes at a time', ['chained-61xx'], [], '00a40004023f00', '6126', '6110'],
  ['chained: GET RESPONSE gives 16 and announces the rest', ['chained-61xx'], ['00a40004023f00'], '00c0000010', '*6116', '*6110'],
  ['wrong Le: READ BINARY longer than the file', ['wrong-le-6c'], ['00a4000c022fe2'], '00b000000c', '*6282', '6c0a'],
  ['wrong Le: Le=00 in T=1 form is told the length', ['wrong-le-6c', 't1-direct'], ['00a4000c022fe2'], '00b0000000', '*9000', '6c0a'],
  ['imsi-behind-pin: EF_IMSI needs PIN1', ['imsi-behind-pin'], [`00a4040c10${AID}`], '00b0870009', '*9000', '6982'],
];

describe('card quirks, one APDU each', () => {
  it.each(ROWS)('%s', async (_what, quirks, before, apdu, plain, quirky) => {
    // The default card (T=1 form where the quirky one is, so only the quirk differs).
    const t1 = quirks.includes('t1-direct') && quirks.length > 1;
    const base = await VirtualUsim.create(findSim(demoProfileSet(), 'demo'), t1 ? { t0Responses: false } : {});
    const odd = await card(quirks);
    for (const b of before) {
      await send(base, b);
      await send(odd, b);
    }
    const a = await send(base, apdu);
    const b = await send(odd, apdu);
    const check = (got: string, want: string): void => {
      if (want.startsWith('*')) expect(swOf(got)).toBe(want.slice(1));
      else if (want !== '') expect(got).toBe(want);
    };
    check(a, plain);
    check(b, quirky);
    // Rows that show the quirk (not what it leaves alone) must differ from the default card.
    if (plain !== quirky) expect(b).not.toBe(a);
  });

  it('chained-61xx: the FCP of the MF comes back whole over three GET RESPONSEs', async () => {
    const plain = await card([]);
    const whole = dataOf(await sendAll(plain, '00a40004023f00', '00c0000026'));
    const c = await card(['chained-61xx']);
    expect(await send(c, '00a40004023f00')).toBe('6110');
    const one = await send(c, '00c0000010');
    const two = await send(c, '00c0000010');
    const three = await send(c, '00c0000006');
    expect([swOf(one), swOf(two), swOf(three)]).toEqual(['6110', '6106', '9000']);
    expect(dataOf(one) + dataOf(two) + dataOf(three)).toBe(whole);
  });

  it('ef-dir-others-first: ISIM, a vendor applet, then the USIM, then an empty record', async () => {
    const c = await card(['ef-dir-others-first']);
    await send(c, '00a4000c022f00');
    const records = [];
    for (let n = 1; n <= 5; n++) records.push(await send(c, `00b2${n.toString(16).padStart(2, '0')}0426`));
    expect(records[0]).toMatch(/^61184f10a0000000871004ff44ff1289000000ff5004495349/);
    expect(records[1]).toMatch(/^61194f08f0564e444f520101500d56656e646f72206170706c6574/);
    expect(records[2]).toMatch(new RegExp(`^61184f10${AID}5004555349`));
    expect(records[3]).toBe('ff'.repeat(0x26) + '9000');
    expect(records[4]).toBe('6a83');
    // The default card lists the USIM first.
    const plain = await card([]);
    expect(await sendAll(plain, '00a4000c022f00', '00b2010426')).toMatch(new RegExp(`^61184f10${AID}`));
  });

  it('imsi-behind-pin keeps the profile PIN and unlocks with it', async () => {
    const c = await card(['imsi-behind-pin']);
    expect(c.pin1Enabled).toBe(true);
    expect(await send(c, '00200001')).toBe('63c3');
    expect(await send(c, '002000010830303030ffffffff')).toBe('9000');
    expect(swOf(await sendAll(c, `00a4040c10${AID}`, '00b0870009'))).toBe('9000');
  });
});

describe('quirks in SIM profiles', () => {
  const base = { name: 'q', imsi: '001010000000009', iccid: '8981100000000000099', k: '00'.repeat(16), opc: '11'.repeat(16) };

  it('accepts every known quirk and keeps them in order', () => {
    const all = Object.keys(CARD_QUIRKS).filter((q) => q !== 'chained-61xx');
    expect(parseSimProfile({ ...base, quirks: all }, 'p').quirks).toEqual(all);
    expect(parseSimProfile({ ...base, quirks: [] }, 'p').quirks).toBeUndefined();
    expect(parseSimProfile(base, 'p').quirks).toBeUndefined();
  });

  it.each([
    [['no-such-quirk'], /p\.quirks\[0\]: "no-such-quirk" is not a card quirk; known: no-partial-aid, /],
    [['no-p2-0c', 'no-p2-0c'], /p\.quirks\[1\]: "no-p2-0c" appears twice/],
    [[42], /p\.quirks\[0\]: number is not a card quirk/],
    ['no-p2-0c', /p\.quirks: an array of quirk names is expected/],
    [['t1-direct', 'chained-61xx'], /cannot be on one card/],
  ])('refuses %j with a clear error', (quirks, message) => {
    const e = (() => {
      try {
        parseSimProfile({ ...base, quirks }, 'p');
      } catch (err) {
        return err;
      }
      return undefined;
    })();
    expect(e).toBeInstanceOf(ProfileError);
    expect((e as ProfileError).code).toBe('BAD_PROFILE');
    expect((e as Error).message).toMatch(message);
  });

  it('every personality is a valid profile, named after its base SIM, with the same keys', () => {
    const demo = findSim(demoProfileSet(), 'demo');
    const names = new Set<string>();
    for (const p of CARD_PERSONALITIES) {
      const profile = withPersonality(demo, p);
      const reparsed = parseSimProfile(JSON.parse(JSON.stringify(profile)), p.name);
      expect(reparsed.quirks ?? []).toEqual(p.quirks);
      expect([profile.imsi, profile.iccid, profile.k]).toEqual([demo.imsi, demo.iccid, demo.k]);
      names.add(profile.name);
    }
    expect(names.size).toBe(CARD_PERSONALITIES.length);
    // Every quirk has a personality of its own.
    for (const q of Object.keys(CARD_QUIRKS)) expect(CARD_PERSONALITIES.some((p) => p.name === q)).toBe(true);
  });
});
