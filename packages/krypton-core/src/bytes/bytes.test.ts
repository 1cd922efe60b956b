import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { CodecError, decodeEfImsi, encodeEfImsi, fromBase64, fromHex, fromSwappedBcd, toBase64, toHex, toSwappedBcd } from './index.ts';

describe('hex', () => {
  it('round-trips any bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array(), (b) => {
        expect(fromHex(toHex(b))).toEqual(b);
      }),
    );
  });
  it('accepts upper case and rejects odd lengths and non-digits', () => {
    expect(fromHex('0aFf')).toEqual(new Uint8Array([0x0a, 0xff]));
    expect(() => fromHex('abc')).toThrow(CodecError);
    expect(() => fromHex('0g')).toThrow(/position 1/);
    expect(() => fromHex('0 ')).toThrow(CodecError);
  });
});

describe('base64', () => {
  it('matches the RFC 4648 §10 vectors', () => {
    const vectors = ['', 'Zg==', 'Zm8=', 'Zm9v', 'Zm9vYg==', 'Zm9vYmE=', 'Zm9vYmFy'];
    const plain = ['', 'f', 'fo', 'foo', 'foob', 'fooba', 'foobar'];
    plain.forEach((p, i) => {
      expect(toBase64(new TextEncoder().encode(p))).toBe(vectors[i]);
      expect(new TextDecoder().decode(fromBase64(vectors[i]!))).toBe(p);
    });
  });
  it('agrees with the platform btoa for any bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (b) => {
        const ours = toBase64(b);
        expect(ours).toBe(btoa(String.fromCharCode(...b)));
        expect(fromBase64(ours)).toEqual(b);
      }),
    );
  });
  it('rejects URL-safe letters, missing padding, whitespace and non-canonical pad bits', () => {
    for (const bad of ['Zg', 'Zm9v-_==', 'Zm 9', 'Zh==', 'Zm9=Yg==', '====']) expect(() => fromBase64(bad), bad).toThrow(CodecError);
  });
  it('throws only CodecError on random text', () => {
    fc.assert(
      fc.property(fc.string(), (s) => {
        try {
          fromBase64(s);
        } catch (e) {
          expect(e).toBeInstanceOf(CodecError);
        }
      }),
    );
  });
});

describe('BCD and EF_IMSI', () => {
  it('encodes an ICCID with swapped nibbles and F padding', () => {
    expect(toHex(toSwappedBcd('8981100000000000016', 10))).toBe('981801000000000010f6');
    expect(fromSwappedBcd(fromHex('981801000000000010f6'))).toBe('8981100000000000016');
    expect(fromSwappedBcd(fromHex('98180100000000001061'))).toBe('89811000000000000116');
  });
  it('encodes a 15-digit IMSI as TS 31.102 shows (length 8, parity nibble 9)', () => {
    // byte 1 = digit 1 (4) in the high nibble, parity 1 (odd) and type 001 (IMSI) in the low one.
    expect(toHex(encodeEfImsi('440103123456789'))).toBe('084904011332547698');
    expect(decodeEfImsi(fromHex('084904011332547698'))).toBe('440103123456789');
  });
  it('encodes a 14-digit IMSI with parity nibble 1 and an F filler', () => {
    expect(toHex(encodeEfImsi('00101000000004'))).toBe('0801101000000000f4');
    expect(decodeEfImsi(encodeEfImsi('00101000000004'))).toBe('00101000000004');
  });
  it('round-trips IMSIs of every length from 6 to 15 digits', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[0-9]{6,15}$/), (imsi) => {
        expect(decodeEfImsi(encodeEfImsi(imsi))).toBe(imsi);
      }),
    );
  });
  it('rejects a blank EF_IMSI and bad length bytes', () => {
    expect(() => decodeEfImsi(new Uint8Array(9).fill(0xff))).toThrow(CodecError);
    expect(() => decodeEfImsi(fromHex('0949040113325476'))).toThrow(CodecError);
    expect(() => decodeEfImsi(fromHex('00'))).toThrow(CodecError);
  });
  it('throws only CodecError on random EF_IMSI content', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 12 }), (b) => {
        try {
          decodeEfImsi(b);
        } catch (e) {
          expect(e).toBeInstanceOf(CodecError);
        }
      }),
    );
  });
});
