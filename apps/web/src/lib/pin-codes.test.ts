import { describe, expect, it } from 'vitest';
import { isPin, isPuk, newPinReady } from './pin-codes.ts';

describe('the PIN forms’ checks', () => {
  it('takes a PIN of 4 to 8 digits, nothing else', () => {
    for (const ok of ['1234', '12345678', '0000']) expect(isPin(ok), ok).toBe(true);
    for (const bad of ['', '123', '123456789', '12a4', ' 1234', '１２３４']) expect(isPin(bad), bad).toBe(false);
  });

  it('takes a PUK of exactly 8 digits', () => {
    expect(isPuk('12345678')).toBe(true);
    for (const bad of ['1234567', '123456789', '1234567a']) expect(isPuk(bad), bad).toBe(false);
  });

  it('sends a new PIN only when it is a PIN typed the same twice', () => {
    expect(newPinReady('7593', '7593')).toBe(true);
    expect(newPinReady('7593', '7594')).toBe(false);
    expect(newPinReady('7593', '')).toBe(false);
    expect(newPinReady('123', '123')).toBe(false);
  });
});
