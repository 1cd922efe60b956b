import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { fromHex, toHex } from '@krypton-web/krypton-core';
import { FrameDecoder, VpcdControl, controlName, encodeFrame, parseMessage } from './framing.ts';
import { VpcdError } from './errors.ts';

/** Hex with spaces allowed, to show frame boundaries in the tables. */
const h = (hex: string): Uint8Array => fromHex(hex.replace(/ /g, ''));
const hexChunks = (chunks: string[]): Uint8Array[] => chunks.map(h);

function decodeAll(chunks: Uint8Array[], maxPayload?: number): string[] {
  const decoder = new FrameDecoder(maxPayload === undefined ? {} : { maxPayload });
  const out: string[] = [];
  for (const chunk of chunks) out.push(...decoder.push(chunk).map(toHex));
  decoder.finish();
  return out;
}

describe('encodeFrame', () => {
  it.each([
    ['04', '000104'],
    ['00a4040007a0000000871002', '000c00a4040007a0000000871002'],
    ['9000', '00029000'],
  ])('frames %s as %s', (payload, framed) => {
    expect(toHex(encodeFrame(fromHex(payload)))).toBe(framed);
  });

  it('writes the largest payload with length ffff', () => {
    const framed = encodeFrame(new Uint8Array(0xffff).fill(0xab));
    expect(framed.length).toBe(0x10001);
    expect(toHex(framed.subarray(0, 3))).toBe('ffffab');
  });

  it.each([
    ['an empty payload', 0, 'EMPTY_FRAME'],
    ['a payload longer than 65535 bytes', 0x10000, 'FRAME_TOO_LARGE'],
  ])('refuses %s', (_what, length, code) => {
    expect(() => encodeFrame(new Uint8Array(length))).toThrow(expect.objectContaining({ code }));
  });
});

describe('parseMessage', () => {
  it.each([
    ['00', { kind: 'control', code: VpcdControl.PowerOff }],
    ['01', { kind: 'control', code: VpcdControl.PowerOn }],
    ['02', { kind: 'control', code: VpcdControl.Reset }],
    ['04', { kind: 'control', code: VpcdControl.GetAtr }],
    ['03', { kind: 'unknown-control', code: 3 }],
    ['ff', { kind: 'unknown-control', code: 0xff }],
    ['00b0', { kind: 'apdu', apdu: fromHex('00b0') }],
    ['00b0000009', { kind: 'apdu', apdu: fromHex('00b0000009') }],
  ])('reads %s', (payload, message) => {
    expect(parseMessage(fromHex(payload))).toEqual(message);
  });

  it('rejects an empty payload', () => {
    expect(() => parseMessage(new Uint8Array(0))).toThrow(VpcdError);
  });

  it('names control codes for people', () => {
    expect(controlName(VpcdControl.GetAtr)).toBe('get ATR');
    expect(controlName(7)).toBe('unknown control 0x07');
  });
});

describe('FrameDecoder', () => {
  it.each<[string, string[], string[]]>([
    ['one frame in one chunk', ['0001 04'], ['04']],
    ['the length split from the data (as vpcd 0.8 sends it)', ['0005', '00a4000000'], ['00a4000000']],
    ['the length itself split in two', ['00', '05 00a4', '000000'], ['00a4000000']],
    ['one byte at a time', ['00', '02', '90', '00'], ['9000']],
    ['several frames in one chunk', ['0001 01 0001 04 0002 6d00'], ['01', '04', '6d00']],
    ['a frame ending mid-chunk with the next length split', ['0001 01 00', '01 04'], ['01', '04']],
    ['an empty chunk anywhere', ['', '0001', '', '02', ''], ['02']],
  ])('decodes %s', (_what, chunks, payloads) => {
    expect(decodeAll(hexChunks(chunks))).toEqual(payloads);
  });

  it('returns nothing until a frame is complete and counts what it holds', () => {
    const decoder = new FrameDecoder();
    expect(decoder.push(fromHex('000400a4'))).toEqual([]);
    expect(decoder.buffered).toBe(4);
    expect(decoder.push(fromHex('0000')).map(toHex)).toEqual(['00a40000']);
    expect(decoder.buffered).toBe(0);
  });

  it('does not keep a reference to the caller chunk', () => {
    const decoder = new FrameDecoder();
    const chunk = h('0002 9000 0002 61');
    const [frame] = decoder.push(chunk);
    chunk.fill(0xee);
    expect(toHex(frame!)).toBe('9000');
    expect(decoder.push(fromHex('10')).map(toHex)).toEqual(['6110']);
  });

  it.each<[string, string[], number | undefined, string]>([
    ['a frame of length 0', ['0000'], undefined, 'EMPTY_FRAME'],
    ['a zero length after a good frame', ['0001 04 0000'], undefined, 'EMPTY_FRAME'],
    ['a length above the bound', ['0101'], 256, 'FRAME_TOO_LARGE'],
    ['a length above the bound before its data arrives', ['ff'], 16, 'TRUNCATED_FRAME'],
    ['a stream ending inside the length', ['0001 04 00'], undefined, 'TRUNCATED_FRAME'],
    ['a stream ending inside the data', ['0005 00a4'], undefined, 'TRUNCATED_FRAME'],
  ])('fails on %s', (_what, chunks, maxPayload, code) => {
    expect(() => decodeAll(hexChunks(chunks), maxPayload)).toThrow(expect.objectContaining({ code }));
  });

  it('rejects an oversized length as soon as both length bytes are in, without waiting for data', () => {
    const decoder = new FrameDecoder({ maxPayload: 300 });
    expect(() => decoder.push(fromHex('0fff'))).toThrow(expect.objectContaining({ code: 'FRAME_TOO_LARGE' }));
  });

  it('stays failed once the stream is out of step', () => {
    const decoder = new FrameDecoder();
    expect(() => decoder.push(fromHex('0000'))).toThrow(expect.objectContaining({ code: 'EMPTY_FRAME' }));
    expect(() => decoder.push(fromHex('000104'))).toThrow(expect.objectContaining({ code: 'DECODER_FAILED' }));
    expect(() => decoder.finish()).toThrow(expect.objectContaining({ code: 'EMPTY_FRAME' }));
  });

  it.each([0, -1, 1.5, 0x10000])('refuses maxPayload %s', (maxPayload) => {
    expect(() => new FrameDecoder({ maxPayload })).toThrow(expect.objectContaining({ code: 'BAD_OPTION' }));
  });

  it('decodes any frames however the stream is cut', () => {
    fc.assert(
      fc.property(
        fc.array(fc.uint8Array({ minLength: 1, maxLength: 300 }), { maxLength: 8 }),
        fc.array(fc.nat(), { maxLength: 12 }),
        (payloads, cutSeeds) => {
          const stream = new Uint8Array(payloads.reduce((n, p) => n + 2 + p.length, 0));
          let at = 0;
          for (const p of payloads) {
            stream.set(encodeFrame(p), at);
            at += 2 + p.length;
          }
          const cuts = [...new Set(cutSeeds.map((s) => (stream.length === 0 ? 0 : s % stream.length)))].sort((a, b) => a - b);
          const chunks: Uint8Array[] = [];
          let from = 0;
          for (const cut of [...cuts, stream.length]) {
            chunks.push(stream.subarray(from, cut));
            from = cut;
          }
          expect(decodeAll(chunks)).toEqual(payloads.map(toHex));
        },
      ),
    );
  });
});
