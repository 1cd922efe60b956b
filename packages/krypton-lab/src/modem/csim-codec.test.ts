import { toHex } from '@krypton-web/krypton-core';
import { describe, expect, it } from 'vitest';
import { AtLineReader } from './at-line-reader.ts';
import { cmeErrorLine, CME } from './cme-error.ts';
import { csimCommand, formatCsimAnswer, parseCsimArguments, type CsimRefusal } from './csim-codec.ts';

describe('parseCsimArguments', () => {
  it.each<[string, string]>([
    ['14,"00A4080C022FE2"', '00a4080c022fe2'],
    ['14,"00a4080c022fe2"', '00a4080c022fe2'],
    ['8,"00B00000"', '00b00000'],
    [`522,"${'AB'.repeat(261)}"`, 'ab'.repeat(261)],
  ])('takes %s', (args, apdu) => {
    const parsed = parseCsimArguments(args);
    expect(parsed.ok && toHex(parsed.apdu)).toBe(apdu);
  });

  it.each<[string, CsimRefusal]>([
    ['12,"00A4080C022FE2"', 'length-mismatch'],
    ['16,"00A4080C022FE2"', 'length-mismatch'],
    ['13,"00A4080C022FE"', 'odd-hex'],
    ['14,"00A4080C022FEx"', 'bad-hex'],
    ['14,"00A4080C 22FE2"', 'bad-hex'],
    ['14,00A4080C022FE2', 'syntax'],
    ['"00A4080C022FE2"', 'syntax'],
    ['', 'syntax'],
    ['14,"00A4080C022FE2",1', 'syntax'],
    ['6,"00A408"', 'apdu-size'],
    [`524,"${'00'.repeat(262)}"`, 'apdu-size'],
    ['0,""', 'apdu-size'],
  ])('refuses %s (%s)', (args, reason) => {
    expect(parseCsimArguments(args)).toEqual({ ok: false, reason });
  });
});

describe('formatCsimAnswer and csimCommand', () => {
  const answer = Uint8Array.of(0x62, 0xaf, 0x90, 0x00);
  it.each<[Parameters<typeof formatCsimAnswer>[1], string]>([
    [{}, '+CSIM: 8,"62AF9000"'],
    [{ lowercaseHex: true }, '+CSIM: 8,"62af9000"'],
    [{ spaces: true }, '+CSIM: 8, "62AF9000"'],
  ])('formats with %j', (style, line) => {
    expect(formatCsimAnswer(answer, style)).toBe(line);
  });

  it('builds the command line with the hex character count', () => {
    expect(csimCommand(Uint8Array.of(0x00, 0xb0, 0x00, 0x00, 0x09))).toBe('AT+CSIM=10,"00B0000009"');
  });
});

describe('cmeErrorLine', () => {
  it.each<[0 | 1 | 2, string]>([
    [0, 'ERROR'],
    [1, '+CME ERROR: 10'],
    [2, '+CME ERROR: SIM not inserted'],
  ])('renders SIM not inserted under AT+CMEE=%i', (mode, line) => {
    expect(cmeErrorLine(CME.SIM_NOT_INSERTED, mode)).toBe(line);
  });
});

describe('AtLineReader', () => {
  const bytes = (s: string) => new TextEncoder().encode(s);

  it('ends lines at \\r, drops \\n, and keeps partial lines across chunks', () => {
    const reader = new AtLineReader();
    expect(reader.push(bytes('AT+CI'))).toEqual([]);
    expect(reader.pending).toBe(true);
    expect(reader.push(bytes('MI\r\nATE0\r'))).toEqual([
      { raw: 'AT+CIMI', text: 'AT+CIMI', overflow: false },
      { raw: 'ATE0', text: 'ATE0', overflow: false },
    ]);
    expect(reader.pending).toBe(false);
  });

  it('applies backspace to the text but echoes it raw', () => {
    expect(new AtLineReader().push(bytes('ATQ\bI\r'))).toEqual([{ raw: 'ATQ\bI', text: 'ATI', overflow: false }]);
  });

  it('flags a line longer than its buffer', () => {
    const [line] = new AtLineReader(8).push(bytes('AT+CSIM=123\r'));
    expect(line).toMatchObject({ text: 'AT+CSIM=', overflow: true });
  });
});
