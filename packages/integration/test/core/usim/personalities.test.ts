/**
 * Every card personality of the lab (packages/krypton-lab CARD_PERSONALITIES), first run and remembered
 * run, as exact APDU transcripts: what the client sends, and the status word each command ends with.
 * A refused shortcut shows up once on the first run and never on the remembered one.
 */
import { describe, expect, it } from 'vitest';
import {
  CARD_PERSONALITIES,
  demoProfileSet,
  findSim,
  VirtualUsim,
  withPersonality,
  type CardPersonality,
} from '@krypton-web/krypton-lab/browser';
import { MemoryCardTransport } from '@krypton-web/sim-transport';
import { cardKeyOfIccid, InMemoryCardPaths, KryptonError, toHex, Usim, type CardPathMemory } from '@krypton-web/krypton-core';
import { freshSqn, vectorFor } from './lab-kit.test-support.ts';

const AUTH = '0088008122';

/** One run as a person meets it: PIN when the card wants one, IMSI, AUTHENTICATE. Returns `command sw` lines. */
async function runOn(card: VirtualUsim, memory: CardPathMemory, seq: number, keyed = true): Promise<string[]> {
  const lines: string[] = [];
  const transport = new MemoryCardTransport({
    transmit: async (command) => {
      const response = await card.transmit(command);
      const hex = toHex(command).toUpperCase();
      lines.push(`${hex.startsWith(AUTH) ? 'AUTHENTICATE' : hex} ${toHex(response.subarray(response.length - 2)).toUpperCase()}`);
      return response;
    },
  });
  const profile = findSim(demoProfileSet(), 'demo');
  const usim = new Usim(transport, keyed ? { cardKey: cardKeyOfIccid(card.iccid), cardPaths: memory } : { cardPaths: memory });
  // As the app does: the IMSI first; a PIN_REQUIRED sends it to the PIN state and VERIFY, then back.
  const imsi = await usim.readImsi().catch(async (e: unknown) => {
    if (!KryptonError.is(e, 'PIN_REQUIRED')) throw e;
    expect(await usim.pinState()).toMatchObject({ enabled: true, verified: false, triesLeft: 3 });
    await usim.verifyPin(profile.pin1.code);
    return usim.readImsi();
  });
  expect(imsi).toBe(profile.imsi);
  const v = await vectorFor(profile, freshSqn(profile, seq));
  expect(await usim.authenticate(v.rand, v.autn)).toEqual({ kind: 'success', res: v.res, ck: v.ck, ik: v.ik, kc: v.kc });
  return lines;
}

/**
 * The transcripts, checked by hand against TS 102 221 / TS 31.102 (see decision 0014): one line per
 * APDU, `command status-word`, AUTHENTICATE's command shortened (its RAND and AUTN change per run).
 */
const TRANSCRIPTS: Record<string, { first: string[]; remembered: string[] }> = {
  default: {
    first: ['00A4040C07A0000000871002 9000', '00B0870009 9000', 'AUTHENTICATE 6135', '00C0000035 9000'],
    remembered: ['00A4040C07A0000000871002 9000', '00B0870009 9000', 'AUTHENTICATE 6135', '00C0000035 9000'],
  },
  'no-partial-aid': {
    first: [
      '00A4040C07A0000000871002 6A82',
      '00A40804022F00 611C',
      '00C000001C 9000',
      '00B2010426 9000',
      '00A4040C10A0000000871002FF44FF1289000000FF 9000',
      '00B0870009 9000',
      'AUTHENTICATE 6135',
      '00C0000035 9000',
    ],
    remembered: ['00A4040C10A0000000871002FF44FF1289000000FF 9000', '00B0870009 9000', 'AUTHENTICATE 6135', '00C0000035 9000'],
  },
  'no-p2-0c': {
    first: ['00A4040C07A0000000871002 6A86', '00A4040407A0000000871002 6133', '00B0870009 9000', 'AUTHENTICATE 6135', '00C0000035 9000'],
    remembered: ['00A4040407A0000000871002 6133', '00B0870009 9000', 'AUTHENTICATE 6135', '00C0000035 9000'],
  },
  'no-sfi-6981': {
    first: [
      '00A4040C07A0000000871002 9000',
      '00B0870009 6981',
      '00A4000C026F07 9000',
      '00B0000009 9000',
      'AUTHENTICATE 6135',
      '00C0000035 9000',
    ],
    remembered: ['00A4040C07A0000000871002 9000', '00A4000C026F07 9000', '00B0000009 9000', 'AUTHENTICATE 6135', '00C0000035 9000'],
  },
  'no-sfi-6a86': {
    first: [
      '00A4040C07A0000000871002 9000',
      '00B0870009 6A86',
      '00A4000C026F07 9000',
      '00B0000009 9000',
      'AUTHENTICATE 6135',
      '00C0000035 9000',
    ],
    remembered: ['00A4040C07A0000000871002 9000', '00A4000C026F07 9000', '00B0000009 9000', 'AUTHENTICATE 6135', '00C0000035 9000'],
  },
  'no-sfi-6a82': {
    first: [
      '00A4040C07A0000000871002 9000',
      '00B0870009 6A82',
      '00A4000C026F07 9000',
      '00B0000009 9000',
      'AUTHENTICATE 6135',
      '00C0000035 9000',
    ],
    remembered: ['00A4040C07A0000000871002 9000', '00A4000C026F07 9000', '00B0000009 9000', 'AUTHENTICATE 6135', '00C0000035 9000'],
  },
  'ef-dir-others-first': {
    first: ['00A4040C07A0000000871002 9000', '00B0870009 9000', 'AUTHENTICATE 6135', '00C0000035 9000'],
    remembered: ['00A4040C07A0000000871002 9000', '00B0870009 9000', 'AUTHENTICATE 6135', '00C0000035 9000'],
  },
  't1-direct': {
    first: ['00A4040C07A0000000871002 9000', '00B0870009 9000', 'AUTHENTICATE 9000'],
    remembered: ['00A4040C07A0000000871002 9000', '00B0870009 9000', 'AUTHENTICATE 9000'],
  },
  'chained-61xx': {
    first: [
      '00A4040C07A0000000871002 9000',
      '00B0870009 9000',
      'AUTHENTICATE 6110',
      '00C0000010 6110',
      '00C0000010 6110',
      '00C0000010 6105',
      '00C0000005 9000',
    ],
    remembered: [
      '00A4040C07A0000000871002 9000',
      '00B0870009 9000',
      'AUTHENTICATE 6110',
      '00C0000010 6110',
      '00C0000010 6110',
      '00C0000010 6105',
      '00C0000005 9000',
    ],
  },
  'wrong-le-6c': {
    first: ['00A4040C07A0000000871002 9000', '00B0870009 9000', 'AUTHENTICATE 6135', '00C0000035 9000'],
    remembered: ['00A4040C07A0000000871002 9000', '00B0870009 9000', 'AUTHENTICATE 6135', '00C0000035 9000'],
  },
  'imsi-behind-pin': {
    first: [
      '00A4040C07A0000000871002 9000',
      '00B0870009 6982',
      '00200001 63C3',
      '002000010830303030FFFFFFFF 9000',
      '00B0870009 9000',
      'AUTHENTICATE 6135',
      '00C0000035 9000',
    ],
    remembered: [
      '00A4040C07A0000000871002 9000',
      '00B0870009 6982',
      '00200001 63C3',
      '002000010830303030FFFFFFFF 9000',
      '00B0870009 9000',
      'AUTHENTICATE 6135',
      '00C0000035 9000',
    ],
  },
  'strict-t0': {
    first: [
      '00A4040C07A0000000871002 6A86',
      '00A4040407A0000000871002 6A82',
      '00A40804022F00 6110',
      '00C0000010 610C',
      '00C000000C 9000',
      '00B2010426 9000',
      '00B2020426 9000',
      '00B2030426 9000',
      '00A4040410A0000000871002FF44FF1289000000FF 6110',
      '00B0870009 6A82',
      '00A40004026F07 6110',
      '00B0000009 9000',
      'AUTHENTICATE 6110',
      '00C0000010 6110',
      '00C0000010 6110',
      '00C0000010 6105',
      '00C0000005 9000',
    ],
    remembered: [
      '00A4040410A0000000871002FF44FF1289000000FF 6110',
      '00A40004026F07 6110',
      '00B0000009 9000',
      'AUTHENTICATE 6110',
      '00C0000010 6110',
      '00C0000010 6110',
      '00C0000010 6105',
      '00C0000005 9000',
    ],
  },
  'strict-t1': {
    first: [
      '00A4040C07A0000000871002 6A86',
      '00A4040407A0000000871002 6A82',
      '00A40804022F00 9000',
      '00B2010426 9000',
      '00A4040410A0000000871002FF44FF1289000000FF 9000',
      '00B0870009 6981',
      '00A40004026F07 9000',
      '00B0000009 9000',
      'AUTHENTICATE 9000',
    ],
    remembered: ['00A4040410A0000000871002FF44FF1289000000FF 9000', '00A40004026F07 9000', '00B0000009 9000', 'AUTHENTICATE 9000'],
  },
  'locked-crowded': {
    first: [
      '00A4040C07A0000000871002 6A82',
      '00A40804022F00 611C',
      '00C000001C 9000',
      '00B2010426 9000',
      '00B2020426 9000',
      '00B2030426 9000',
      '00A4040C10A0000000871002FF44FF1289000000FF 9000',
      '00B0870009 6A86',
      '00A4000C026F07 9000',
      '00B0000009 6982',
      '00200001 63C3',
      '002000010830303030FFFFFFFF 9000',
      '00B0000009 9000',
      'AUTHENTICATE 6135',
      '00C0000035 9000',
    ],
    remembered: [
      '00A4040C10A0000000871002FF44FF1289000000FF 9000',
      '00A4000C026F07 9000',
      '00B0000009 6982',
      '00200001 63C3',
      '002000010830303030FFFFFFFF 9000',
      '00B0000009 9000',
      'AUTHENTICATE 6135',
      '00C0000035 9000',
    ],
  },
  'no-path-select': {
    first: ['00A4040C07A0000000871002 9000', '00B0870009 9000', 'AUTHENTICATE 6135', '00C0000035 9000'],
    remembered: ['00A4040C07A0000000871002 9000', '00B0870009 9000', 'AUTHENTICATE 6135', '00C0000035 9000'],
  },
  'no-aid-no-path': {
    first: [
      '00A4040C07A0000000871002 6A82',
      '00A40804022F00 6A86',
      '00A4000C023F00 9000',
      '00A40004022F00 611C',
      '00C000001C 9000',
      '00B2010426 9000',
      '00A4040C10A0000000871002FF44FF1289000000FF 9000',
      '00B0870009 9000',
      'AUTHENTICATE 6135',
      '00C0000035 9000',
    ],
    remembered: ['00A4040C10A0000000871002FF44FF1289000000FF 9000', '00B0870009 9000', 'AUTHENTICATE 6135', '00C0000035 9000'],
  },
};

/** Which shortcut a refused command was, or undefined when the line is no refusal of a shortcut. */
function refusedShortcut(line: string): string | undefined {
  const [command, sw] = line.split(' ') as [string, string];
  if (!['6A82', '6A86', '6981', '6B00'].includes(sw)) return undefined;
  const select = command.startsWith('00A4');
  if (select && command.slice(6, 8) === '0C' && (sw === '6A86' || sw === '6B00')) return 'P2=0C';
  if (select && command.slice(4, 6) === '04' && command.slice(8, 10) === '07' && sw === '6A82') return 'partial AID';
  if (select && (command.slice(4, 6) === '08' || command.slice(4, 6) === '09') && sw === '6A86') return 'SELECT by path';
  if (command.startsWith('00B0') && (parseInt(command.slice(4, 6), 16) & 0x80) !== 0) return 'READ BINARY by SFI';
  return `unexpected refusal: ${line}`;
}

describe('card personalities: first run and remembered run (memory keyed by ICCID)', () => {
  it('has a transcript for every personality', () => {
    expect(Object.keys(TRANSCRIPTS).sort()).toEqual(CARD_PERSONALITIES.map((p) => p.name).sort());
  });

  for (const personality of CARD_PERSONALITIES) {
    it(`${personality.name} (${personality.quirks.join(', ') || 'no quirks'})`, async () => {
      const want = TRANSCRIPTS[personality.name]!;
      const { first, remembered, memory } = await firstThenRemembered(personality);
      expect(first).toEqual(want.first);
      expect(remembered).toEqual(want.remembered);

      // Each shortcut the card refuses costs one refused command, once; the remembered run sends none.
      const refusals = first.map(refusedShortcut).filter((r) => r !== undefined);
      expect(new Set(refusals).size, refusals.join('; ')).toBe(refusals.length);
      expect(refusals.every((r) => !r.startsWith('unexpected'))).toBe(true);
      expect(remembered.map(refusedShortcut).filter((r) => r !== undefined)).toEqual([]);
      // The long path is never repeated: a refused shortcut makes the first run longer by at most the
      // path that card needs (EF_DIR for the AID), and the remembered run never longer than the first.
      expect(remembered.length).toBeLessThanOrEqual(first.length);
      if (refusals.length === 0) expect(remembered).toEqual(first);

      const path = memory.recall(cardKeyOfIccid(findSim(demoProfileSet(), 'demo').iccid));
      expect(path?.selectWithoutData).toBe(!personality.quirks.includes('no-p2-0c'));
      expect(path?.readBySfi).toBe(!personality.quirks.some((q) => q.startsWith('no-sfi')));
      expect(path?.usimAid).toBe(personality.quirks.includes('no-partial-aid') ? 'a0000000871002ff44ff1289000000ff' : 'a0000000871002');
    });
  }

  it('a refused shortcut costs one APDU on the first run and none once remembered', async () => {
    const count = async (name: string) => {
      const p = CARD_PERSONALITIES.find((x) => x.name === name)!;
      const { first, remembered } = await firstThenRemembered(p);
      return [first.length, remembered.length];
    };
    expect(await count('default')).toEqual([4, 4]);
    // P2=0C: the refused SELECT, then P2=04 whose FCP is not fetched (no GET RESPONSE).
    expect(await count('no-p2-0c')).toEqual([5, 4]);
    // SFI: the refused READ BINARY; SELECT + READ BINARY is the path such a card needs.
    expect(await count('no-sfi-6981')).toEqual([6, 5]);
    // Partial AID: the refused SELECT, then EF_DIR by path (3 APDUs on T=0) and the full AID; 9 and 7 before.
    expect(await count('no-partial-aid')).toEqual([8, 4]);
  });

  it('without a card key nothing is remembered: a new session takes the shortcuts again', async () => {
    const card = await VirtualUsim.create(withPersonality(findSim(demoProfileSet(), 'demo'), { name: 'x', quirks: ['no-partial-aid'] }));
    const memory = new InMemoryCardPaths();
    expect(await runOn(card, memory, 1, false)).toHaveLength(8);
    card.reset();
    expect(await runOn(card, memory, 2, false)).toHaveLength(8);
    expect(memory.size).toBe(0);
  });
});

async function firstThenRemembered(personality: CardPersonality) {
  const card = await VirtualUsim.create(withPersonality(findSim(demoProfileSet(), 'demo'), personality));
  const memory = new InMemoryCardPaths();
  const first = await runOn(card, memory, 1);
  // A new session on the same card after a reset, as the next run of the app or CLI.
  card.reset();
  const remembered = await runOn(card, memory, 2);
  return { first, remembered, memory };
}
