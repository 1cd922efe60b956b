import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { explainStatusWord, formatStatusWord, lookupStatusWord, matchesStatusWord, STATUS_WORDS } from '../../src/apdu/index.ts';

describe('status-word table', () => {
  it.each([
    [0x9000, 'Normal ending of the command'],
    [0x6135, '53 response bytes waiting for GET RESPONSE'],
    [0x6100, '256 response bytes waiting for GET RESPONSE'],
    [0x9f22, '34 response bytes waiting for GET RESPONSE (GSM-era card)'],
    [0x6c09, 'Wrong length Le: the card expects exactly 9'],
    [0x63c2, 'Verification failed: 2 tries left'],
    [0x63c1, 'Verification failed: 1 try left'],
    [0x9862, 'Authentication error: incorrect MAC (wrong network or wrong keys)'],
    [0x6982, 'Security status not satisfied: the PIN has not been verified'],
    [0x6983, 'Authentication method blocked: the PIN (or PUK) is blocked'],
    [0x6a82, 'File or application not found'],
    [0x6d00, 'Instruction not supported by this card'],
    [0x6e00, 'Class not supported by this card (a 2G SIM answers this to 3G commands)'],
    [0x6f00, 'Technical problem, no precise diagnosis (the card may have been reset)'],
    [0x6f42, 'Technical problem (card-specific diagnosis)'],
    [0x6702, 'Wrong length (command-specific diagnosis)'],
    [0x1234, 'Unknown status 1234'],
  ])('explains %s', (sw, text) => {
    expect(explainStatusWord(sw)).toBe(text);
  });
  it('prefers the exact entry over the wildcard one', () => {
    expect(lookupStatusWord(0x6700)?.pattern).toBe('6700');
    expect(lookupStatusWord(0x6f00)?.pattern).toBe('6F00');
    expect(lookupStatusWord(0x63f1)?.pattern).toBe('63F1');
  });
  it('matches wildcards digit by digit', () => {
    expect(matchesStatusWord('63Cx', 0x63ca)).toBe(true);
    expect(matchesStatusWord('63cx', 0x63c0)).toBe(true);
    expect(matchesStatusWord('63Cx', 0x63d0)).toBe(false);
    expect(matchesStatusWord('61xx', 0x6200)).toBe(false);
    expect(matchesStatusWord('bad', 0x9000)).toBe(false);
    expect(formatStatusWord(0x6a82)).toBe('6A82');
  });
  it('has well-formed, unique patterns', () => {
    const patterns = STATUS_WORDS.map((e) => e.pattern);
    expect(new Set(patterns).size).toBe(patterns.length);
    for (const p of patterns) expect(p).toMatch(/^[0-9A-Fx]{4}$/);
    // No entry is hidden behind an earlier, broader one.
    STATUS_WORDS.forEach((e, i) => {
      // A wildcard entry is reachable when some value it matches (x = F) resolves to it.
      const concrete = parseInt(e.pattern.replace(/x/g, 'F'), 16);
      expect(
        STATUS_WORDS.findIndex((o) => matchesStatusWord(o.pattern, concrete)),
        e.pattern,
      ).toBe(i);
    });
  });
  it('explains every status word with non-empty text', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 0xffff }), (sw) => {
        expect(explainStatusWord(sw).length).toBeGreaterThan(0);
      }),
    );
  });
});
