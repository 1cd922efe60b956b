/**
 * Traces carry no secrets: an AUTHENTICATE trace holds none of RES, CK, IK, Kc, and a VERIFY trace no PIN.
 * The search runs over the serialized events, in both hex cases and as ASCII digits.
 */
import { describe, expect, it } from 'vitest';
import { toHex } from '@krypton-web/krypton-core';
import { KryptonError } from '@krypton-web/krypton-core';
import { REDACTED, type TraceEvent } from '@krypton-web/krypton-core';
import { freshSqn, labRig, vectorFor } from './lab-kit.test-support.ts';

const serialized = (events: TraceEvent[]): string => JSON.stringify(events).toLowerCase();
const apduEvents = (events: TraceEvent[]) => events.filter((e): e is Extract<TraceEvent, { type: 'apdu' }> => e.type === 'apdu');
const asciiHex = (digits: string): string => toHex(new TextEncoder().encode(digits));

describe('trace redaction', () => {
  it('an AUTHENTICATE trace holds no RES, CK, IK or Kc (T=0 and T=1-style)', async () => {
    for (const t0Responses of [true, false]) {
      const rig = await labRig('demo', { card: { t0Responses } });
      const v = await vectorFor(rig.profile, freshSqn(rig.profile));
      const r = await rig.usim.authenticate(v.rand, v.autn);
      expect(r.kind).toBe('success');
      // The secrets really crossed the link (the card transcript has them) ...
      const link = rig.transcript.join('\n').toLowerCase();
      expect(link).toContain(toHex(v.ck));
      // ... but no trace event carries any of them, nor any 4-byte piece of them.
      const text = serialized(rig.events);
      for (const secret of [v.res, v.ck, v.ik, v.kc]) {
        const s = toHex(secret);
        for (let i = 0; i + 8 <= s.length; i += 2) expect(text).not.toContain(s.slice(i, i + 8));
      }
      // One event per physical APDU, the answers shown as redacted with their status words.
      expect(apduEvents(rig.events)).toHaveLength(rig.count());
      const responses = apduEvents(rig.events).map((e) => e.response);
      expect(responses.at(-1)).toBe(`${REDACTED}9000`);
    }
  });

  it('a sync failure trace holds no AUTS', async () => {
    const rig = await labRig('demo');
    const v = await vectorFor(rig.profile, freshSqn(rig.profile));
    await rig.usim.authenticate(v.rand, v.autn);
    const r = await rig.usim.authenticate(v.rand, v.autn);
    if (r.kind !== 'sync-failure') throw new Error('expected a sync failure');
    expect(serialized(rig.events)).not.toContain(toHex(r.auts).slice(0, 12));
  });

  it('a VERIFY trace holds no PIN digits, right or wrong, and neither do the errors', async () => {
    const rig = await labRig('demo-pin');
    const wrong = await rig.usim.verifyPin('9876').catch((e: unknown) => e as KryptonError);
    expect(wrong).toBeInstanceOf(KryptonError);
    await rig.usim.verifyPin('1234');
    expect(rig.transcript.join('\n').toLowerCase()).toContain(asciiHex('1234'));
    const commands = apduEvents(rig.events).map((e) => e.command);
    expect(commands).toContain(`0020000108${REDACTED}`);
    const text = serialized(rig.events);
    for (const pin of ['1234', '9876']) {
      expect(text).not.toContain(asciiHex(pin));
      for (const e of apduEvents(rig.events)) expect(`${e.command} ${e.response}`).not.toContain(pin);
    }
    expect(JSON.stringify((wrong as KryptonError).toJSON())).not.toMatch(/9876|39383736/);
  });

  it('an UNBLOCK trace holds neither the PUK nor the new PIN', async () => {
    const rig = await labRig('demo-blocked');
    await rig.usim.unblockPin('12345678', '4321');
    const text = serialized(rig.events);
    expect(text).not.toContain(asciiHex('12345678'));
    expect(text).not.toContain(asciiHex('4321'));
    expect(apduEvents(rig.events).map((e) => e.command)).toContain(`002c000110${REDACTED}`);
  });

  it('attributes APDU events to the running step', async () => {
    const rig = await labRig('demo');
    const events: TraceEvent[] = [];
    const { Tracer } = await import('@krypton-web/krypton-core');
    const { Usim } = await import('@krypton-web/krypton-core');
    const tracer = new Tracer((e) => events.push(e));
    const usim = new Usim(rig.transport, { tracer });
    await tracer.run('imsi', () => usim.readImsi());
    expect(apduEvents(events).map((e) => e.step)).toEqual(['imsi', 'imsi']);
  });
});
