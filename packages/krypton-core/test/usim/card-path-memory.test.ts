import { describe, expect, it } from 'vitest';
import {
  cardKeyOfAtr,
  cardKeyOfIccid,
  checkedCardPath,
  defaultCardPaths,
  isCardKey,
  InMemoryCardPaths,
  type CardPath,
  type CardPathMemory,
} from '../../src/usim/index.ts';
import { Usim } from '../../src/usim/usim.ts';
import { fromHex } from '../../src/bytes/index.ts';
import { ScriptedLink } from './scripted-link.test-support.ts';

const FULL_AID = 'A0000000871002FF44FF1289000000FF';
const IMSI_ANSWER = '080910100000000010 9000';

/** A store that records its calls. */
class CountingPaths implements CardPathMemory {
  readonly writes: [string, CardPath][] = [];
  constructor(private readonly known: Record<string, CardPath> = {}) {}
  recall(key: string): CardPath | undefined {
    return this.known[key];
  }
  async remember(key: string, path: CardPath): Promise<void> {
    this.writes.push([key, path]);
    this.known[key] = path;
  }
}

describe('InMemoryCardPaths', () => {
  it('keeps copies, and drops the least recently used card beyond its capacity', () => {
    const paths = new InMemoryCardPaths(2);
    const path: CardPath = { usimAid: 'a0', readBySfi: false };
    paths.remember('a', path);
    paths.remember('b', { readBySfi: true });
    expect(paths.recall('a')).toEqual(path);
    expect(paths.recall('a')).not.toBe(path);
    paths.remember('c', {});
    expect(paths.size).toBe(2);
    expect(paths.recall('b')).toBeUndefined();
    expect(paths.recall('a')).toEqual(path);
  });

  it('checks what a store reads back: only card keys, and card paths of the three known facts', () => {
    expect(isCardKey(cardKeyOfIccid('8981100000000000016'))).toBe(true);
    expect(isCardKey(cardKeyOfAtr(fromHex('3b9f96')))).toBe(true);
    for (const key of ['', 'imsi:001010000000001', 'iccid:', 'atr:3b 9f', `atr:${'3b'.repeat(100)}`, 7, null])
      expect(isCardKey(key)).toBe(false);
    expect(checkedCardPath({})).toEqual({});
    expect(checkedCardPath({ usimAid: FULL_AID, selectWithoutData: false, readBySfi: true, ck: '00' })).toEqual({
      usimAid: FULL_AID,
      selectWithoutData: false,
      readBySfi: true,
    });
    expect(checkedCardPath({ usimAid: 'A0000000871002' })).toEqual({ usimAid: 'A0000000871002' });
    for (const bad of [null, 'path', [], { usimAid: 'A000' }, { usimAid: 'A0'.repeat(17) }, { usimAid: 'zz'.repeat(7) }, { readBySfi: 1 }])
      expect(checkedCardPath(bad), JSON.stringify(bad)).toBeUndefined();
  });

  it('names cards by ICCID or ATR', () => {
    expect(cardKeyOfIccid('8981100000000000016')).toBe('iccid:8981100000000000016');
    expect(cardKeyOfAtr(fromHex('3b9f96'))).toBe('atr:3b9f96');
  });
});

describe('Usim with a card path memory', () => {
  it('goes straight with what was remembered: full AID, no SFI', async () => {
    const paths = new CountingPaths({ 'iccid:1': { usimAid: FULL_AID.toLowerCase(), selectWithoutData: true, readBySfi: false } });
    const link = new ScriptedLink([
      [`00A4040C10${FULL_AID}`, '9000'],
      ['00A4000C026F07', '9000'],
      ['00B0000009', IMSI_ANSWER],
    ]);
    const usim = new Usim(link, { cardKey: 'iccid:1', cardPaths: paths });
    expect(await usim.readImsi()).toBe('001010000000001');
    expect(link.unsent).toEqual([]);
    // Nothing new was learned: nothing is written back.
    expect(paths.writes).toEqual([]);
  });

  it('writes back what a refusal taught, once', async () => {
    const paths = new CountingPaths();
    const link = new ScriptedLink([
      ['00A4040C07A0000000871002', '6A86'],
      ['00A4040407A0000000871002', '6133'],
      ['00B0870009', IMSI_ANSWER],
      ['00B0870009', IMSI_ANSWER],
    ]);
    const usim = new Usim(link, { cardKey: 'atr:3b', cardPaths: paths });
    await usim.readImsi();
    await usim.readImsi();
    expect(paths.writes).toEqual([['atr:3b', { usimAid: 'a0000000871002', selectWithoutData: false, readBySfi: true }]]);
    expect(usim.cardPath).toEqual({ usimAid: 'a0000000871002', selectWithoutData: false, readBySfi: true });
  });

  it('a remembered AID the card no longer knows falls back to EF_DIR and is replaced', async () => {
    const paths = new CountingPaths({ k: { usimAid: 'a0000000871002aa', selectWithoutData: true } });
    const link = new ScriptedLink([
      ['00A4040C08A0000000871002AA', '6A82'],
      ['00A40804022F00', '9000'],
      ['00B2010400', `61184F10${FULL_AID}5004555349 4D 9000`],
      [`00A4040C10${FULL_AID}`, '9000'],
      ['00B0870009', IMSI_ANSWER],
    ]);
    const usim = new Usim(link, { cardKey: 'k', cardPaths: paths });
    expect(await usim.readImsi()).toBe('001010000000001');
    expect(paths.writes.at(-1)?.[1].usimAid).toBe(FULL_AID.toLowerCase());
  });

  it('ignores a store that fails or holds damaged entries', async () => {
    const broken: CardPathMemory = {
      recall: () => Promise.reject(new Error('disk gone')),
      remember: () => {
        throw new Error('disk gone');
      },
    };
    const link = new ScriptedLink([
      ['00A4040C07A0000000871002', '9000'],
      ['00B0870009', IMSI_ANSWER],
    ]);
    expect(await new Usim(link, { cardKey: 'k', cardPaths: broken }).readImsi()).toBe('001010000000001');

    const damaged = new CountingPaths({ k: { usimAid: 'not hex', readBySfi: 'yes' as unknown as boolean } });
    const link2 = new ScriptedLink([
      ['00A4040C07A0000000871002', '9000'],
      ['00B0870009', IMSI_ANSWER],
    ]);
    expect(await new Usim(link2, { cardKey: 'k', cardPaths: damaged }).readImsi()).toBe('001010000000001');
  });

  it('given a store and no key, keys the card by the ICCID it reads', async () => {
    const paths = new CountingPaths({ 'iccid:8981100000000000016': { usimAid: FULL_AID.toLowerCase(), readBySfi: true } });
    const link = new ScriptedLink([
      ['00A4000C023F00', '9000'],
      ['00B082000A', '981801000000000010F6 9000'],
      [`00A4040C10${FULL_AID}`, '9000'],
      ['00B0870009', IMSI_ANSWER],
    ]);
    const usim = new Usim(link, { cardPaths: paths });
    expect(await usim.readIccid()).toBe('8981100000000000016');
    // The SELECT of the MF taught that P2=0C works; the recalled AID is kept.
    expect(paths.writes).toEqual([
      ['iccid:8981100000000000016', { usimAid: FULL_AID.toLowerCase(), selectWithoutData: true, readBySfi: true }],
    ]);
    expect(await usim.readImsi()).toBe('001010000000001');
    expect(link.unsent).toEqual([]);
  });

  it('a card key alone uses the process-wide memory', async () => {
    const key = `iccid:test-${Math.random()}`;
    const link = new ScriptedLink([
      ['00A4040C07A0000000871002', '6A86'],
      ['00A4040407A0000000871002', '6133'],
      ['00B0870009', IMSI_ANSWER],
    ]);
    await new Usim(link, { cardKey: key }).readImsi();
    expect(defaultCardPaths.recall(key)).toEqual({ usimAid: 'a0000000871002', selectWithoutData: false, readBySfi: true });
  });
});

describe('PIN status', () => {
  it('is asked once when pinState is followed by verifyPin', async () => {
    const link = new ScriptedLink([
      ['00200001', '63C3'],
      ['002000010831323334FFFFFFFF', '9000'],
    ]);
    const usim = new Usim(link);
    expect(await usim.pinState()).toEqual({ enabled: true, verified: false, triesLeft: 3 });
    await usim.verifyPin('1234');
    expect(link.unsent).toEqual([]);
  });

  it('is asked again once anything else went to the card, or after forgetSelection', async () => {
    const link = new ScriptedLink([
      ['00200001', '63C3'],
      ['00A4040C07A0000000871002', '9000'],
      ['00B0870009', '6982'],
      ['00200001', '63C2'],
      ['00200001', '63C2'],
    ]);
    const usim = new Usim(link);
    await usim.pinState();
    const e = await usim.readImsi().catch((x: unknown) => x);
    expect(e).toMatchObject({ code: 'PIN_REQUIRED', details: { triesLeft: 2 } });
    // The status just read by readImsi is reused...
    expect((await usim.pinState()).triesLeft).toBe(2);
    // ...unless the link may have been reset.
    usim.forgetSelection();
    expect((await usim.pinState()).triesLeft).toBe(2);
    expect(link.unsent).toEqual([]);
  });
});
