import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { fromHex, parseTranscript, toBase64, toHex } from '@krypton-web/krypton-core';
import { Milenage } from '../milenage/index.ts';
import { demoProfileSet } from '../profiles/index.ts';
import { ReplayCard } from './replay-card.ts';
import { ReplayModem } from './replay-modem.ts';

// The transcripts shipped in packages/krypton-lab/transcripts: readable, as counted, and free of secrets.
const SHIPPED = [
  { name: 'default', sim: 'demo', apdus: 4, at: 0, http: 3 },
  { name: 'no-partial-aid', sim: 'demo', apdus: 8, at: 0, http: 3 },
  { name: 'strict-t0', sim: 'demo-pin', apdus: 19, at: 0, http: 3 },
] as const;

describe.each(SHIPPED)('shipped transcript $name', ({ name, sim, apdus, at, http }) => {
  const text = readFileSync(new URL(`../../transcripts/${name}.jsonl`, import.meta.url), 'utf8');
  const transcript = parseTranscript(text);

  it('holds the recorded APDUs, HTTP calls, timings and identity', () => {
    const count = (type: string) => transcript.events.filter((e) => e.type === type).length;
    expect([count('apdu'), count('at'), count('http')]).toEqual([apdus, at, http]);
    expect(transcript.header.identity.description).toContain(sim);
    expect(transcript.header.identity.atr).toMatch(/^3B/);
    expect(transcript.events.every((e) => e.t >= 0)).toBe(true);
  });

  it('holds no RES, CK, IK, PIN, signature or token', async () => {
    const profile = demoProfileSet().sims.find((s) => s.name === sim)!;
    const milenage = await Milenage.withOpc(fromHex(profile.k), fromHex(profile.opc));
    const auth = transcript.events.flatMap((e) => (e.type === 'apdu' && e.command.startsWith('0088') ? [e] : []));
    expect(auth).toHaveLength(1);
    const { res, ck, ik } = await milenage.f2345(fromHex(auth[0]!.command.slice(12, 44)));
    for (const secret of [res, ck, ik]) {
      for (const shown of [toHex(secret), toHex(secret).toUpperCase(), toBase64(secret)]) expect(text).not.toContain(shown);
    }
    expect(text).not.toContain(toHex(new TextEncoder().encode(profile.pin1.code)).toUpperCase());
    expect(text).not.toMatch(/"(token|secretKey|sessionToken|x-soracom-signature)":/);
  });

  it('replays as a card that answers every recorded command', async () => {
    const card = await ReplayCard.create(transcript, { profiles: demoProfileSet() });
    expect(card.profile.name).toBe(sim);
    for (const e of transcript.events) {
      if (e.type !== 'apdu' || e.step === 'authenticate' || e.command.includes('‹redacted›')) continue;
      expect(toHex(await card.transmit(fromHex(e.command))).toUpperCase()).toBe(e.response);
    }
    expect(card.diagnostics).toEqual([]);
  });
});

describe('shipped transcript modem-huawei', () => {
  const text = readFileSync(new URL('../../transcripts/modem-huawei.jsonl', import.meta.url), 'utf8');
  const transcript = parseTranscript(text);

  it('holds the AT conversation, the APDUs it carried, the HTTP calls and the modem identity, and no secret', async () => {
    const count = (type: string) => transcript.events.filter((e) => e.type === type).length;
    expect([count('apdu'), count('at'), count('http')]).toEqual([5, 76, 3]);
    expect(transcript.header.identity.modem).toMatchObject({ manufacturer: 'huawei', model: 'MS2131' });
    const profile = demoProfileSet().sims.find((s) => s.name === 'demo-pin')!;
    const auth = transcript.events.flatMap((e) => (e.type === 'apdu' && e.command.startsWith('0088') ? [e] : []));
    const milenage = await Milenage.withOpc(fromHex(profile.k), fromHex(profile.opc));
    const { res, ck, ik } = await milenage.f2345(fromHex(auth[0]!.command.slice(12, 44)));
    for (const secret of [res, ck, ik]) expect(text).not.toContain(toHex(secret).toUpperCase());
    expect(text).not.toContain(toHex(new TextEncoder().encode(profile.pin1.code)).toUpperCase());
  });

  it('replays as a modem that answers every recorded line as recorded', async () => {
    const modem = await ReplayModem.create(transcript, { profiles: demoProfileSet() });
    expect(modem.card.profile.name).toBe('demo-pin');
    const lines = transcript.events.flatMap((e) => (e.type === 'at' ? [e] : []));
    for (const [i, l] of lines.entries()) {
      if (l.dir !== 'send' || l.line.includes('‹redacted›') || l.line.startsWith('AT+CSIM=78') || l.line.startsWith('AT+CSIM=10,"00C0'))
        continue;
      const expected = [];
      for (const r of lines.slice(i + 1)) {
        if (r.dir === 'send') break;
        if (!/^AT/.test(r.line)) expected.push(r.line);
      }
      let out = '';
      const detach = modem.attach((b) => (out += new TextDecoder().decode(b)));
      modem.receive(`${l.line}\r`);
      await modem.whenIdle();
      detach();
      expect(
        out.split(/\r\n|\r/).filter((x) => x !== '' && !/^AT/.test(x)),
        l.line,
      ).toEqual(expected);
    }
    expect(modem.diagnostics).toEqual([]);
  });
});
