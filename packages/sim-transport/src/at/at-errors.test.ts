import { describe, expect, it } from 'vitest';
import { TransportError } from '@krypton-web/krypton-core';
import { AtError, classifyFinal, finalError, toTransportError, type AtFinal } from './at-errors.ts';

describe('final results', () => {
  const table: { line: string; call?: boolean; final: AtFinal | undefined }[] = [
    { line: 'OK', final: { kind: 'ok' } },
    { line: 'ok', final: { kind: 'ok' } },
    { line: 'ERROR', final: { kind: 'error', text: 'ERROR' } },
    { line: 'TOO MANY PARAMETERS', final: { kind: 'error', text: 'TOO MANY PARAMETERS' } },
    { line: 'COMMAND NOT SUPPORT', final: { kind: 'not-supported' } },
    {
      line: '+CME ERROR: 10',
      final: {
        kind: 'cme',
        detail: { code: 10, text: 'SIM not inserted', explanation: expect.stringContaining('no SIM') },
      },
    },
    { line: '+CME ERROR:11', final: { kind: 'cme', detail: expect.objectContaining({ code: 11, text: 'SIM PIN required' }) as never } },
    { line: '+CME ERROR: SIM not inserted', final: { kind: 'cme', detail: expect.objectContaining({ code: 10 }) as never } },
    { line: '+CME ERROR: sim busy', final: { kind: 'cme', detail: expect.objectContaining({ code: 14, text: 'SIM busy' }) as never } },
    { line: '+CME ERROR: 3', final: { kind: 'cme', detail: expect.objectContaining({ code: 3, text: 'operation not allowed' }) as never } },
    {
      line: '+CME ERROR: 4',
      final: { kind: 'cme', detail: expect.objectContaining({ code: 4, text: 'operation not supported' }) as never },
    },
    { line: '+CME ERROR: 100', final: { kind: 'cme', detail: expect.objectContaining({ code: 100, text: 'unknown' }) as never } },
    { line: '+CME ERROR: 9999', final: { kind: 'cme', detail: expect.objectContaining({ code: 9999, text: 'error 9999' }) as never } },
    {
      line: '+CME ERROR: Strange firmware thing',
      final: { kind: 'cme', detail: expect.objectContaining({ code: undefined, text: 'Strange firmware thing' }) as never },
    },
    { line: '+CMS ERROR: 310', final: { kind: 'cms', detail: expect.objectContaining({ code: 310, text: 'SIM not inserted' }) as never } },
    { line: 'NO CARRIER', call: true, final: { kind: 'no-carrier' } },
    { line: 'NO CARRIER', call: false, final: undefined },
    { line: '+CSIM: 4,"9000"', final: undefined },
    { line: 'OK then', final: undefined },
    { line: 'RING', final: undefined },
  ];
  for (const row of table) {
    it(`${row.line}${row.call ? ' (call)' : ''}`, () => expect(classifyFinal(row.line, row.call)).toEqual(row.final));
  }
});

describe('errors of final results', () => {
  it('keeps the CME meaning and code in the message, never arguments', () => {
    const final = classifyFinal('+CME ERROR: 10');
    const e = finalError(final as Exclude<AtFinal, { kind: 'ok' }>, 'AT+CSIM');
    expect(e).toBeInstanceOf(AtError);
    expect(e.code).toBe('CME_ERROR');
    expect(e.cme?.code).toBe(10);
    expect(e.message).toBe(
      'The modem refused AT+CSIM: SIM not inserted (CME error 10) — the modem sees no SIM card; insert it (contacts down) and reconnect the modem',
    );
    expect(e.command).toBe('AT+CSIM');
  });

  it('names each kind', () => {
    expect(finalError({ kind: 'error', text: 'ERROR' }, 'AT^CURC').code).toBe('ERROR');
    expect(finalError({ kind: 'not-supported' }, 'AT^HCSQ').code).toBe('NOT_SUPPORTED');
    expect(finalError({ kind: 'no-carrier' }, 'ATD').code).toBe('NO_CARRIER');
    const cms = finalError(classifyFinal('+CMS ERROR: 500') as Exclude<AtFinal, { kind: 'ok' }>, 'AT+CMGS');
    expect(cms.code).toBe('CMS_ERROR');
    expect(cms.cms?.code).toBe(500);
  });
});

describe('toTransportError', () => {
  const cme = (line: string) => finalError(classifyFinal(line) as Exclude<AtFinal, { kind: 'ok' }>, 'AT+CSIM');
  const table: { name: string; error: unknown; code: string; message?: RegExp }[] = [
    { name: 'SIM not inserted → NO_CARD', error: cme('+CME ERROR: 10'), code: 'NO_CARD', message: /SIM not inserted/ },
    { name: 'verbose SIM not inserted → NO_CARD', error: cme('+CME ERROR: SIM not inserted'), code: 'NO_CARD' },
    { name: 'SIM failure → NO_CARD', error: cme('+CME ERROR: 13'), code: 'NO_CARD' },
    { name: 'CMS SIM not inserted → NO_CARD', error: cme('+CMS ERROR: 310'), code: 'NO_CARD' },
    {
      name: 'SIM PIN required keeps its meaning',
      error: cme('+CME ERROR: 11'),
      code: 'TRANSPORT_FAILED',
      message: /SIM PIN required \(CME error 11\)/,
    },
    { name: 'SIM busy', error: cme('+CME ERROR: 14'), code: 'TRANSPORT_FAILED', message: /SIM busy/ },
    { name: 'timeout', error: new AtError('TIMEOUT', 't'), code: 'TIMEOUT' },
    { name: 'aborted', error: new AtError('ABORTED', 'a'), code: 'ABORTED' },
    { name: 'closed', error: new AtError('CLOSED', 'c'), code: 'TRANSPORT_CLOSED' },
    { name: 'queue full', error: new AtError('QUEUE_FULL', 'q'), code: 'TRANSPORT_BUSY' },
    {
      name: 'disconnect',
      error: new AtError('DISCONNECTED', 'gone', { cause: new Error('EIO') }),
      code: 'TRANSPORT_FAILED',
      message: /^gone$/,
    },
    {
      name: 'disconnect keeps the channel code',
      error: new AtError('DISCONNECTED', 'gone', { cause: new TransportError('NO_CARD', 'unplugged') }),
      code: 'NO_CARD',
    },
    { name: 'a TransportError passes through', error: new TransportError('TIMEOUT', 'x'), code: 'TIMEOUT' },
    { name: 'anything else', error: new Error('boom'), code: 'TRANSPORT_FAILED', message: /boom/ },
  ];
  for (const row of table) {
    it(row.name, () => {
      const t = toTransportError(row.error);
      expect(t).toBeInstanceOf(TransportError);
      expect(t.code).toBe(row.code);
      if (row.message) expect(t.message).toMatch(row.message);
    });
  }
});
