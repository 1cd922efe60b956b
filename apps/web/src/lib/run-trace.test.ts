import { describe, expect, it } from 'vitest';
import { parseTranscript, REDACTED } from '@krypton-web/krypton-core';
import { RunTraces } from '../worker/run-traces.ts';
import { formatTraceTime } from './format.ts';
import { enFailures } from './i18n/en-failures.ts';
import { english as en } from './i18n/english.test-support.ts';
import { ja, jaFailures } from './i18n/ja.ts';
import { apduName, readRunTrace, statusWordOf, traceFileName } from './run-trace.ts';

describe('a run trace in the worker', () => {
  it('holds the link’s opening and the run, masked at the source; the page’s rows are the run’s own', () => {
    const traces = new RunTraces();
    traces.startLink({ link: 'comm', description: 'Huawei modem (Web Serial)' });
    traces.trace({ type: 'apdu', step: undefined, command: '00A4040C07A0000000871002', response: '9000', durationMs: 3 });
    traces.at('send', 'AT+CPIN="1234"');
    traces.identify({ modem: { manufacturer: 'huawei', model: 'MS2131' } });
    traces.runStarted(7);
    traces.trace({ type: 'step-start', step: 'authenticate', at: Date.now() });
    traces.at('send', `AT+CSIM=78,"008800812210${'11'.repeat(16)}10${'22'.repeat(16)}"`);
    traces.at('recv', '+CSIM:4,"6135"');
    traces.at('send', 'AT+CSIM=10,"00C0000035"');
    traces.at('recv', `+CSIM:110,"DB08${'AB'.repeat(8)}9000"`);
    traces.trace({
      type: 'apdu',
      step: 'authenticate',
      command: `008800812210${'11'.repeat(16)}10${'22'.repeat(16)}`,
      response: '6135',
      durationMs: 40,
    });
    traces.trace({ type: 'step-end', step: 'authenticate', at: Date.now(), durationMs: 41, ok: true });
    traces.trace({
      type: 'http',
      step: 'verify',
      method: 'POST',
      url: 'http://127.0.0.1:1/krypton/lab/v1/keys/k1/verify?x=1',
      status: 200,
      durationMs: 12,
    });
    traces.runEnded(7);
    // Between runs (a status poll): in no run's file.
    traces.at('send', 'AT+CSQ');
    traces.runStarted(8);
    traces.trace({ type: 'http', step: 'cognito', method: 'POST', url: 'http://127.0.0.1:2/', status: 400, durationMs: 5 });
    traces.runEnded(8);

    const raw = traces.runTrace(7)!;
    const t = parseTranscript(raw.jsonl);
    expect(t.header.identity).toEqual({
      link: 'comm',
      description: 'Huawei modem (Web Serial)',
      modem: { manufacturer: 'huawei', model: 'MS2131' },
    });
    expect(raw.jsonl).not.toContain('1234');
    expect(raw.jsonl).not.toContain('AB'.repeat(8));
    expect(raw.jsonl).not.toContain('AT+CSQ');
    expect(raw.jsonl).not.toContain('127.0.0.1:2');
    expect(raw.jsonl).not.toContain('x=1');
    expect(t.events[raw.firstRunEvent]).toMatchObject({ type: 'note', text: 'Authenticate pressed: run 7 starts here' });

    const read = readRunTrace(raw);
    expect(read.opening.map((r) => (r.kind === 'apdu' ? r.name : r.kind === 'at' ? r.line : r.kind))).toEqual([
      'SELECT USIM',
      `AT+CPIN=${REDACTED}`,
    ]);
    expect(read.rows.map((r) => r.kind)).toEqual(['at', 'at', 'at', 'at', 'apdu', 'step', 'http']);
    // AT lines carry no step of their own: they belong to the step running when they were sent.
    expect(read.rows[3]).toMatchObject({ kind: 'at', step: 'authenticate', dir: 'recv', line: `+CSIM:110,"${REDACTED}9000"` });
    expect(read.opening[1]).not.toHaveProperty('step');
    expect(read.rows[4]).toMatchObject({ kind: 'apdu', step: 'authenticate', name: 'AUTHENTICATE', sw: 0x6135 });
    expect(read.rows[6]).toMatchObject({
      kind: 'http',
      step: 'verify',
      method: 'POST',
      host: '127.0.0.1:1',
      path: '/krypton/lab/v1/keys/k1/verify',
      status: 200,
    });
    expect(read.startedAt).toBeGreaterThanOrEqual(Date.parse(t.header.recordedAt));
    // The next run's file: the same opening, then that run alone.
    const next = readRunTrace(traces.runTrace(8)!);
    expect(next.opening).toHaveLength(2);
    expect(next.rows).toEqual([expect.objectContaining({ kind: 'http', step: 'cognito', status: 400 })]);
    expect(traces.runTrace(9)).toBeUndefined();
  });

  it('keeps the last five runs, and a link that failed to open leaves the attached link’s recording in place', () => {
    const traces = new RunTraces();
    traces.startLink({ link: 'virtual', description: 'Virtual SIM "demo"' });
    for (let run = 1; run <= 7; run++) {
      traces.runStarted(run);
      traces.runEnded(run);
    }
    expect([1, 2, 3, 4, 5, 6, 7].map((r) => traces.runTrace(r) !== undefined)).toEqual([false, false, true, true, true, true, true]);
    traces.startLink({ link: 'comm', description: 'a modem that will not answer' });
    traces.openFailed();
    traces.runStarted(8);
    traces.runEnded(8);
    expect(parseTranscript(traces.runTrace(8)!.jsonl).header.identity.link).toBe('virtual');
  });
});

describe('a run trace on the page', () => {
  it('names the commands a USIM session sends', () => {
    expect(apduName('00A4040C07A0000000871002')).toBe('SELECT USIM');
    expect(apduName('00A4080C047FFF6F07')).toBe('SELECT EF_IMSI');
    expect(apduName('00A40004022FE2')).toBe('SELECT EF_ICCID');
    expect(apduName('00B0870009')).toBe('READ BINARY EF_IMSI');
    expect(apduName('00B000000A')).toBe('READ BINARY');
    expect(apduName('00B2010426')).toBe('READ RECORD 1');
    expect(apduName(`0020000108${REDACTED}`)).toBe('VERIFY PIN');
    expect(apduName('00C0000035')).toBe('GET RESPONSE');
    expect(apduName('00880081221011')).toBe('AUTHENTICATE');
    expect(apduName('80CA000000')).toBe('INS CA');
    expect(statusWordOf(`${REDACTED}9000`)).toBe(0x9000);
    expect(statusWordOf('6A82')).toBe(0x6a82);
    expect(statusWordOf(REDACTED)).toBeUndefined();
  });

  it('shows a row’s time to the millisecond in the person’s time zone', () => {
    const at = Date.UTC(2026, 11, 3, 14, 5, 7, 123);
    expect(formatTraceTime(at, 'en', { timeZone: 'Asia/Tokyo' })).toBe('23:05:07.123');
    expect(formatTraceTime(at, 'ja', { timeZone: 'UTC' })).toBe('14:05:07.123');
  });

  it('names the file by the time only (UTC, no colons), never by the SIM', () => {
    expect(traceFileName(Date.UTC(2026, 11, 3, 14, 5, 7, 123))).toBe('krypton-trace-2026-12-03T14-05-07Z.jsonl');
  });

  it('every text that speaks of the trace names the button that saves it, in both languages', () => {
    const mentions = (texts: Record<string, string>, word: RegExp) =>
      Object.entries(texts).filter(
        ([key, text]) => word.test(text) && !['trace.heading', 'trace.download', 'trace.loading', 'trace.gone'].includes(key),
      );
    const failureTexts = (f: Record<string, { message: string; action: string }>) =>
      Object.fromEntries(
        Object.entries(f).flatMap(([code, x]) => [
          [`${code}.message`, x.message],
          [`${code}.action`, x.action],
        ]),
      );
    const enMentions = mentions({ ...en, ...failureTexts(enFailures) }, /\btrace\b/i);
    const jaMentions = mentions({ ...ja, ...failureTexts(jaFailures) }, /トレース/);
    expect(enMentions.map(([k]) => k)).toEqual(['trace.hint', 'trace.reportHint']);
    expect(jaMentions.map(([k]) => k)).toEqual(['trace.hint', 'trace.reportHint']);
    for (const [, text] of enMentions) expect(text).toContain(`“${en['trace.download']}”`);
    for (const [, text] of jaMentions) expect(text).toContain(`「${ja['trace.download']}」`);
  });
});
