import { describe, expect, it } from 'vitest';
import { toHex } from '../../src/bytes/index.ts';
import { KryptonError } from '../../src/errors/index.ts';
import {
  changePinCommand,
  disablePinCommand,
  enablePinCommand,
  encodePinBlock,
  unblockPinCommand,
  verifyPinCommand,
  verifyStatus,
} from '../../src/usim/index.ts';

// The PIN commands byte for byte as TS 102 221 §11.1.9–§11.1.13 lay them out: CLA 00, INS, P1 00, P2 the
// key reference (01 = PIN1), Lc, then 8-byte PIN blocks (ASCII digits padded with FF, §9.5.1).
const PIN_1234 = '31323334ffffffff';
const PIN_87654321 = '3837363534333231';

describe('PIN command APDUs (TS 102 221 §11.1.9–§11.1.13)', () => {
  it('VERIFY PIN: 00 20 00 01, with or without the block', () => {
    expect(toHex(verifyStatus())).toBe('00200001');
    expect(toHex(verifyPinCommand(encodePinBlock('1234', 'PIN')))).toBe(`0020000108${PIN_1234}`);
  });

  it('CHANGE PIN: 00 24 00 01 10, old block then new block', () => {
    const apdu = changePinCommand(encodePinBlock('1234', 'PIN'), encodePinBlock('87654321', 'PIN'));
    expect(toHex(apdu)).toBe(`0024000110${PIN_1234}${PIN_87654321}`);
  });

  it('DISABLE PIN: 00 26 00 01 08 (P1 00: no replacement by the universal PIN; P2 the PIN disabled)', () => {
    expect(toHex(disablePinCommand(encodePinBlock('1234', 'PIN')))).toBe(`0026000108${PIN_1234}`);
  });

  it('ENABLE PIN: 00 28 00 01 08', () => {
    expect(toHex(enablePinCommand(encodePinBlock('1234', 'PIN')))).toBe(`0028000108${PIN_1234}`);
  });

  it('UNBLOCK PIN: 00 2C 00 01 10, PUK block then new PIN block', () => {
    const apdu = unblockPinCommand(encodePinBlock('12345678', 'PUK'), encodePinBlock('1234', 'PIN'));
    expect(toHex(apdu)).toBe(`002c000110${'3132333435363738'}${PIN_1234}`);
  });

  it('PIN2 (key 81) goes in P2', () => {
    expect(toHex(enablePinCommand(encodePinBlock('1234', 'PIN'), 0x81)).slice(0, 8)).toBe('00280081');
    expect(toHex(disablePinCommand(encodePinBlock('1234', 'PIN'), 0x81)).slice(0, 8)).toBe('00260081');
    expect(toHex(changePinCommand(encodePinBlock('1234', 'PIN'), encodePinBlock('4321', 'PIN'), 0x81)).slice(0, 8)).toBe('00240081');
  });

  it('refuses a malformed PIN or PUK before any command is built', () => {
    for (const [code, kind] of [
      ['123', 'PIN'],
      ['123456789', 'PIN'],
      ['12a4', 'PIN'],
      ['1234567', 'PUK'],
    ] as const) {
      expect(() => encodePinBlock(code, kind)).toThrow(KryptonError);
    }
  });
});
