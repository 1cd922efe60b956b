import { describe, expect, it } from 'vitest';
import { fromHex } from '@krypton-web/krypton-core';
import { ApduTraceFormatter } from './trace.ts';

const run = (exchanges: [string, string][]): string[] => {
  const f = new ApduTraceFormatter();
  return exchanges.flatMap(([c, r]) => f.format(fromHex(c), fromHex(r)));
};

describe('ApduTraceFormatter', () => {
  it('prints ordinary exchanges in full, lowercase', () => {
    expect(
      run([
        ['00A40004026F07', '6121'],
        ['00C0000021', '62' + '00'.repeat(32) + '9000'],
      ]),
    ).toEqual(['=> 00a40004026f07', '<= 6121', '=> 00c0000021', `<= 62${'00'.repeat(32)}9000`]);
  });

  it('masks PIN digits in VERIFY, CHANGE and UNBLOCK but keeps the header', () => {
    expect(
      run([
        ['0020000108313233340000ffff', '9000'],
        ['002400011031323334ffffffff35363738ffffffff', '9000'],
        ['002c0001103132333435363738ffffffff31323334', '63c9'],
        ['0020000100', '63c3'],
      ]),
    ).toEqual([
      '=> 0020000108 [8 bytes redacted]',
      '<= 9000',
      '=> 0024000110 [16 bytes redacted]',
      '<= 9000',
      '=> 002c000110 [16 bytes redacted]',
      '<= 63c9',
      '=> 0020000100',
      '<= 63c3',
    ]);
  });

  it('masks the AUTHENTICATE output, also when it comes through GET RESPONSE', () => {
    const rand = '11'.repeat(16);
    const lines = run([
      [`008800812210${rand}10${rand}`, '6135'],
      ['00c0000035', `db08${'aa'.repeat(8)}10${'bb'.repeat(16)}10${'cc'.repeat(16)}08${'dd'.repeat(8)}9000`],
      ['00b0000009', '080910100000000010' + '9000'],
    ]);
    expect(lines).toEqual([
      `=> 008800812210${rand}10${rand}`,
      '<= 6135',
      '=> 00c0000035',
      '<= [53 bytes redacted] 9000',
      '=> 00b0000009',
      '<= 0809101000000000109000',
    ]);
    expect(lines.join('\n')).not.toMatch(/aaaa|bbbb|cccc|dddd/);
  });

  it('masks an AUTHENTICATE answered with data directly, and a sync failure', () => {
    expect(run([[`0088008122${'11'.repeat(34)}`, `dc0e${'ee'.repeat(14)}9000`]])[1]).toBe('<= [16 bytes redacted] 9000');
  });

  it('does not mask a GET RESPONSE that follows something else', () => {
    expect(
      run([
        ['00a40004023f00', '6120'],
        ['00c0000020', '6f009000'],
      ])[3],
    ).toBe('<= 6f009000');
  });

  it('prints malformed exchanges as they are', () => {
    expect(run([['00', '90']])).toEqual(['=> 00', '<= 90']);
  });
});
