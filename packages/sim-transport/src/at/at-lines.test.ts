import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AtLineSplitter, type AtToken } from './at-lines.ts';
import { latin1 } from './at.test-support.ts';

const line = (text: string): AtToken => ({ type: 'line', text });

function split(chunks: readonly string[], max?: number): AtToken[] {
  const s = new AtLineSplitter(max);
  return chunks.flatMap((c) => s.push(latin1(c)));
}

describe('AtLineSplitter', () => {
  const table: { name: string; chunks: string[]; tokens: AtToken[] }[] = [
    { name: 'CRLF-framed answer', chunks: ['\r\n+CSQ: 23,99\r\n\r\nOK\r\n'], tokens: [line('+CSQ: 23,99'), line('OK')] },
    { name: 'lone CR terminators', chunks: ['AT\rOK\r'], tokens: [line('AT'), line('OK')] },
    { name: 'lone LF terminators', chunks: ['+CIMI: 1\nOK\n'], tokens: [line('+CIMI: 1'), line('OK')] },
    { name: 'empty lines and blanks dropped', chunks: ['\r\n\r\n  \r\n\t\r\nOK  \r\n'], tokens: [line('OK')] },
    { name: 'a line split inside CRLF', chunks: ['OK\r', '\nERROR\r\n'], tokens: [line('OK'), line('ERROR')] },
    { name: 'a line split in the middle', chunks: ['+CS', 'IM: 4,"90', '00"\r\n'], tokens: [line('+CSIM: 4,"9000"')] },
    { name: 'no terminator yet: nothing', chunks: ['OK'], tokens: [] },
    { name: 'the text prompt, without terminator', chunks: ['\r\n> '], tokens: [{ type: 'prompt' }] },
    { name: 'the prompt split in two chunks', chunks: ['\r\n>', ' '], tokens: [{ type: 'prompt' }] },
    { name: 'NUL bytes ignored', chunks: ['\0\0O\0K\r\n'], tokens: [line('OK')] },
    { name: 'latin-1 garbage kept as characters', chunks: ['\xff\xfe\r\n'], tokens: [line('\xff\xfe')] },
  ];
  for (const row of table) {
    it(row.name, () => expect(split(row.chunks)).toEqual(row.tokens));
  }

  it('drops an overlong line once, then reads the next line', () => {
    const s = new AtLineSplitter(32);
    const tokens = [...s.push(latin1('x'.repeat(100))), ...s.push(latin1('y'.repeat(100_000))), ...s.push(latin1('\r\nOK\r\n'))];
    expect(tokens).toEqual([{ type: 'overflow' }, line('OK')]);
  });

  it('keeps a line of exactly the limit', () => {
    expect(split(['a'.repeat(32) + '\r\n'], 32)).toEqual([line('a'.repeat(32))]);
    expect(split(['a'.repeat(33) + '\r\n'], 32)).toEqual([{ type: 'overflow' }]);
  });

  it('never buffers more than the limit, whatever arrives', () => {
    const s = new AtLineSplitter(64);
    s.push(new Uint8Array(1_000_000).fill(0x41));
    expect((s as unknown as { buffer: string }).buffer.length).toBeLessThanOrEqual(64);
  });

  it('refuses an absurd limit', () => {
    expect(() => new AtLineSplitter(0)).toThrow(RangeError);
  });

  it('gives the same tokens for any chunking of a transcript (property)', () => {
    const transcript =
      'AT+CSIM=10,"00A4000C02"\r\r\n^RSSI: 17\r\n\r\n+CSIM: 4,"6121"\r\n\r\n^HCSQ: "LTE",52,48,160,32\r\n\r\nOK\r\n\r\n> \rRING\n\n';
    const whole = split([transcript]);
    fc.assert(
      fc.property(fc.uniqueArray(fc.integer({ min: 1, max: transcript.length - 1 })), (cuts) => {
        const sorted = [...cuts].sort((a, b) => a - b);
        const chunks: string[] = [];
        let from = 0;
        for (const cut of sorted) {
          chunks.push(transcript.slice(from, cut));
          from = cut;
        }
        chunks.push(transcript.slice(from));
        expect(split(chunks)).toEqual(whole);
      }),
    );
    expect(whole).toHaveLength(7);
  });

  it('gives the same tokens for random bytes cut anywhere (property)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.integer({ min: 0, max: 300 }), (bytes, at) => {
        const cut = Math.min(at, bytes.length);
        const a = new AtLineSplitter(40);
        const b = new AtLineSplitter(40);
        expect([...a.push(bytes.subarray(0, cut)), ...a.push(bytes.subarray(cut))]).toEqual(b.push(bytes));
      }),
    );
  });
});
