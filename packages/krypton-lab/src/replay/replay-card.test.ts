import { describe, expect, it } from 'vitest';
import { concatBytes, fromHex, parseTranscript, toHex, type Transcript } from '@krypton-web/krypton-core';
import { demoProfileSet } from '../profiles/index.ts';
import { Hss } from '../server/hss.ts';
import { ReplayCard, replayProfile, transcriptImsi } from './replay-card.ts';

const R = '‹redacted›';

/** A transcript as krypton-cli -record writes it, of the demo SIM on a T=0 card with PIN1 on. */
function transcript(extra: string[] = [], atr?: string): Transcript {
  const header = {
    format: 'krypton-web-transcript',
    version: 1,
    recordedAt: '2026-12-03T00:00:00.000Z',
    tool: 'test',
    identity: { link: 'iso7816', description: 'a reader', ...(atr ? { atr } : {}) },
  };
  const apdu = (command: string, response: string) => JSON.stringify({ type: 'apdu', t: 1, command, response, durationMs: 1 });
  const rand = '11'.repeat(16);
  const autn = '22'.repeat(16);
  return parseTranscript(
    [
      JSON.stringify(header),
      apdu('00200001', '63C3'),
      apdu(`0020000108${R}`, '9000'),
      apdu('00A4040C07A0000000871002', '9000'),
      apdu('00B0870009', '0809101000000000109000'),
      apdu(`008800812210${rand}10${autn}`, '6135'),
      apdu('00C0000035', `${R}9000`),
      ...extra,
    ].join('\n'),
  );
}

const bytes = (hex: string) => fromHex(hex.replace(/ /g, ''));

describe('ReplayCard', () => {
  it('answers the recorded commands with the recorded answers, PIN data wildcarded', async () => {
    const card = await ReplayCard.create(transcript(), { profiles: demoProfileSet() });
    expect(toHex(await card.transmit(bytes('00200001')))).toBe('63c3');
    expect(toHex(await card.transmit(bytes('0020000108 39393939 FFFFFFFF')))).toBe('9000');
    expect(toHex(await card.transmit(bytes('00A4040C07A0000000871002')))).toBe('9000');
    expect(toHex(await card.transmit(bytes('00B0870009')))).toBe('0809101000000000109000');
    expect(card.diagnostics).toEqual([]);
  });

  it("answers AUTHENTICATE with Milenage on the lab's keys for the IMSI, as the lab's HSS expects", async () => {
    const profiles = demoProfileSet();
    expect(transcriptImsi(transcript())).toBe('001010000000001');
    const card = await ReplayCard.create(transcript(), { profiles });
    expect(card.profile.name).toBe('demo');
    const hss = await Hss.create(profiles);
    const v = await hss.generateVector('001010000000001');
    const answer = await card.transmit(concatBytes(bytes('0088008122 10'), v.rand, Uint8Array.of(0x10), v.autn));
    expect(toHex(answer)).toMatch(/^61[0-9a-f]{2}$/);
    const data = await card.transmit(concatBytes(bytes('00C00000'), answer.subarray(1, 2)));
    // DB, RES, CK, IK, (Kc), 9000: the RES and CK are the ones the HSS holds for this RAND.
    expect(toHex(data)).toContain(`db${toHex(Uint8Array.of(v.xres.length))}${toHex(v.xres)}10${toHex(v.ck)}10${toHex(v.ik)}`);
    expect(toHex(data.subarray(-2))).toBe('9000');
  });

  it('answers a command the transcript lacks with 6D00 and a diagnostic naming it, never a throw', async () => {
    const seen: string[] = [];
    const card = await ReplayCard.create(transcript(), { profiles: demoProfileSet(), onDiagnostic: (d) => seen.push(d.message) });
    expect(toHex(await card.transmit(bytes('00A40804022F00')))).toBe('6d00');
    expect(card.diagnostics.map((d) => d.command)).toEqual(['00A40804022F00']);
    expect(seen[0]).toMatch(/no answer to 00A40804022F00; answered 6D00\..*record again/);
  });

  it('gives a command recorded twice its answers in order, then the last again; a reset starts over', async () => {
    const twice = transcript([
      JSON.stringify({ type: 'apdu', t: 2, command: '00B0870009', response: '6A82', durationMs: 1 }),
      JSON.stringify({ type: 'apdu', t: 2, command: '00A4080C047FFF6F07', response: '9000', durationMs: 1 }),
    ]);
    const card = await ReplayCard.create(twice, { profiles: demoProfileSet() });
    expect(toHex(await card.transmit(bytes('00B0870009')))).toBe('0809101000000000109000');
    expect(toHex(await card.transmit(bytes('00B0870009')))).toBe('6a82');
    expect(toHex(await card.transmit(bytes('00B0870009')))).toBe('6a82');
    card.reset();
    expect(toHex(await card.transmit(bytes('00B0870009')))).toBe('0809101000000000109000');
  });

  it('keeps the recorded ATR, and derives stable lab keys for a SIM the lab does not know', async () => {
    const card = await ReplayCard.create(transcript([], '3B9F96801FC78031A073BE21136743200718000001A5'));
    expect(toHex(card.atr).toUpperCase()).toBe('3B9F96801FC78031A073BE21136743200718000001A5');
    const a = await replayProfile(transcript());
    const b = await replayProfile(transcript());
    expect(a.imsi).toBe('001010000000001');
    expect(a.k).toMatch(/^[0-9a-f]{32}$/);
    expect(a).toEqual(b);
    expect(a.k).not.toBe(demoProfileSet().sims[0]!.k);
  });
});
