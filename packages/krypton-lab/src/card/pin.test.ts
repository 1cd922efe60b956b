import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { fromHex, toHex } from '@krypton-web/krypton-core';
import { decodePinBlock, encodePinBlock, PinCounter } from './pin.ts';

describe('PIN blocks (TS 102 221 §9.5.1)', () => {
  it.each([
    ['31323334ffffffff', '1234'],
    ['3132333435363738', '12345678'],
    ['30303030ffffffff', '0000'],
    ['313233ffffffffff', undefined], // 3 digits
    ['ffffffffffffffff', undefined],
    ['3132333441ffffff', undefined], // 'A'
    ['31323334ff35ffff', undefined], // digit after padding
    ['313233340000ffff', undefined], // 00 is not padding
    ['31323334ffffff', undefined], // 7 bytes
  ])('decodes %s as %s', (hex, digits) => {
    expect(decodePinBlock(fromHex(hex))).toBe(digits);
  });

  it('round-trips every 4 to 8 digit PIN', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[0-9]{4,8}$/), (pin) => {
        expect(decodePinBlock(encodePinBlock(pin))).toBe(pin);
      }),
    );
    expect(toHex(encodePinBlock('1234'))).toBe('31323334ffffffff');
  });
});

describe('PinCounter', () => {
  const state = { enabled: true, code: '1234', retries: 3, puk: '12345678', pukRetries: 10 };

  it('does not share state with the profile it was built from', () => {
    const source = { ...state };
    const pin = new PinCounter(source);
    pin.verify(encodePinBlock('9999'));
    expect(source.retries).toBe(3);
    expect(pin.triesLeft).toBe(2);
    expect(pin.snapshot()).toEqual({ ...state, retries: 2 });
  });

  it('counts down 63C2, 63C1, 63C0 and then answers 6983', () => {
    const pin = new PinCounter(state);
    const wrong = encodePinBlock('0000');
    expect([pin.verify(wrong), pin.verify(wrong), pin.verify(wrong), pin.verify(wrong)]).toEqual([0x63c2, 0x63c1, 0x63c0, 0x6983]);
    expect(pin.verify(encodePinBlock('1234'))).toBe(0x6983);
    expect(pin.status()).toBe(0x63c0);
  });

  it('forgets the verification on reset but keeps the counters', () => {
    const pin = new PinCounter(state);
    pin.verify(encodePinBlock('1111'));
    expect(pin.verify(encodePinBlock('1234'))).toBe(0x9000);
    expect(pin.satisfied).toBe(true);
    expect(pin.triesLeft).toBe(3);
    pin.verify(encodePinBlock('1111'));
    pin.reset();
    expect(pin.verified).toBe(false);
    expect(pin.triesLeft).toBe(2);
  });
});
