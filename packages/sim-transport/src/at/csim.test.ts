import { describe, expect, it } from 'vitest';
import { AtError } from './at-errors.ts';
import { buildCglaCommand, buildCsimCommand, parseCsimResponse } from './csim.ts';
import { fromHex, hex } from './at.test-support.ts';

describe('buildCsimCommand', () => {
  const table: [string, string][] = [
    ['00A40004023F00', 'AT+CSIM=14,"00A40004023F00"'],
    ['00b0000009', 'AT+CSIM=10,"00B0000009"'],
    ['00C0000035', 'AT+CSIM=10,"00C0000035"'],
  ];
  for (const [apdu, command] of table) it(`${apdu} → ${command}`, () => expect(buildCsimCommand(fromHex(apdu))).toBe(command));

  it('counts hex characters, upper case, for the longest APDU', () => {
    const apdu = new Uint8Array(261).fill(0xab);
    expect(buildCsimCommand(apdu)).toBe(`AT+CSIM=522,"${'AB'.repeat(261)}"`);
  });

  it('refuses APDUs shorter than a header or longer than a short APDU', () => {
    expect(() => buildCsimCommand(new Uint8Array(3))).toThrow(RangeError);
    expect(() => buildCsimCommand(new Uint8Array(262))).toThrow(RangeError);
  });
});

describe('parseCsimResponse', () => {
  const ok: { name: string; lines: string[]; response: string }[] = [
    { name: 'canonical', lines: ['+CSIM: 4,"9000"'], response: '9000' },
    { name: 'T=0 61xx returned as is', lines: ['+CSIM: 4,"6135"'], response: '6135' },
    { name: 'no space after the colon', lines: ['+CSIM:4,"6A82"'], response: '6A82' },
    { name: 'spaces around the comma', lines: ['+CSIM: 8 , "01029000"'], response: '01029000' },
    { name: 'lowercase hex', lines: ['+CSIM: 6,"ab9000"'], response: 'AB9000' },
    { name: 'no quotes', lines: ['+CSIM: 4,9000'], response: '9000' },
    { name: 'length in bytes (firmware bug)', lines: ['+CSIM: 3,"AB9000"'], response: 'AB9000' },
    { name: 'other lines around are ignored', lines: ['garbage', '+CSIM: 4,"9000"'], response: '9000' },
    { name: 'the longest response', lines: [`+CSIM: 516,"${'00'.repeat(256)}9000"`], response: `${'00'.repeat(256)}9000` },
  ];
  for (const row of ok) it(row.name, () => expect(hex(parseCsimResponse(row.lines))).toBe(row.response));

  const bad: { name: string; lines: string[]; message: RegExp }[] = [
    { name: 'no +CSIM line', lines: [], message: /without a \+CSIM line/ },
    { name: 'two +CSIM lines', lines: ['+CSIM: 4,"9000"', '+CSIM: 4,"9000"'], message: /2 \+CSIM lines/ },
    { name: 'odd number of hex digits', lines: ['+CSIM: 5,"90001"'], message: /odd number/ },
    { name: 'length says more than carried (cut line)', lines: ['+CSIM: 8,"9000"'], message: /declares 8 characters but carries 4/ },
    { name: 'length mismatch of another kind', lines: ['+CSIM: 6,"AABBCC9000"'], message: /declares 6/ },
    { name: 'only one byte', lines: ['+CSIM: 2,"90"'], message: /no status word/ },
    { name: 'empty', lines: ['+CSIM: 0,""'], message: /no status word/ },
    { name: 'half-quoted (cut)', lines: ['+CSIM: 4,"9000'], message: /does not have the form/ },
    { name: 'not hex', lines: ['+CSIM: 4,"90G0"'], message: /does not have the form/ },
    { name: 'no length', lines: ['+CSIM: "9000"'], message: /does not have the form/ },
    { name: 'too long', lines: [`+CSIM: 520,"${'00'.repeat(258)}9000"`], message: /more than a response APDU/ },
  ];
  for (const row of bad) {
    it(`refuses: ${row.name}`, () => {
      let caught: unknown;
      try {
        parseCsimResponse(row.lines);
      } catch (e) {
        caught = e;
      }
      expect(caught).toBeInstanceOf(AtError);
      expect((caught as AtError).code).toBe('BAD_RESPONSE');
      expect((caught as AtError).message).toMatch(row.message);
    });
  }

  it('never quotes the answer in its error (it may hold CK and IK)', () => {
    const secret = 'DB08A54211D5E3BA50BF10B40BA9A3C58B2A05BBF0D987B21BF8CB';
    for (const line of [`+CSIM: 999,"${secret}9000"`, `+CSIM: 58,"${secret}9000`, `+CSIM: 57,"${secret}900"`]) {
      let message = '';
      try {
        parseCsimResponse([line]);
      } catch (e) {
        message = (e as Error).message;
      }
      expect(message).toMatch(/^Unexpected answer/);
      expect(message).not.toContain('A54211');
    }
  });
});

describe('AT+CGLA (logical channel)', () => {
  it('builds the command with the session id and takes the +CGLA answer, not a +CSIM one', () => {
    expect(buildCglaCommand(3, fromHex('00B0000009'))).toBe('AT+CGLA=3,10,"00B0000009"');
    expect(hex(parseCsimResponse(['+CGLA: 4,"9000"'], '+CGLA'))).toBe('9000');
    expect(hex(parseCsimResponse(['+CGLA: 2, 6135'], '+CGLA'))).toBe('6135');
    expect(() => parseCsimResponse(['+CSIM: 4,"9000"'], '+CGLA')).toThrow(/without a \+CGLA line/);
  });
});
