import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { REDACTED } from '../trace/redact.ts';
import { Tracer } from '../trace/tracer.ts';
import { AtMasker } from './mask-at.ts';
import { parseTranscript } from './parse-transcript.ts';
import { TranscriptError } from './transcript.ts';
import { TranscriptRecorder } from './transcript-recorder.ts';

const PIN = '4711';

function recorded(): TranscriptRecorder {
  let clock = 0;
  const recorder = new TranscriptRecorder({
    tool: 'test',
    identity: { link: 'virtual', description: 'a card' },
    args: ['-interface', 'virtual'],
    now: () => (clock += 5),
  });
  const tracer = new Tracer(recorder.trace, () => clock);
  tracer.emit({ type: 'step-start', step: 'imsi', at: 0 });
  tracer.emit({ type: 'apdu', step: 'imsi', command: '00a4040c07a0000000871002', response: '9000', durationMs: 1.234 });
  tracer.emit({ type: 'step-end', step: 'imsi', at: 0, durationMs: 3, ok: true });
  tracer.emit({ type: 'apdu', step: 'pin', command: `0020000108${REDACTED}`, response: '9000', durationMs: 1 });
  tracer.emit({ type: 'apdu', step: 'authenticate', command: '00c0000035', response: `${REDACTED}9000`, durationMs: 1 });
  return recorder;
}

describe('TranscriptRecorder and parseTranscript', () => {
  it('round-trips what the tracer and fetch saw, with header names only', async () => {
    const recorder = recorded();
    const fetch = recorder.wrapFetch(
      async () => new Response('{"keyId":"k"}', { status: 200, headers: { 'content-type': 'application/json', 'x-secret': 'S3CR3T' } }),
    );
    await fetch('http://127.0.0.1:1/v1/keys?sig=SIGNATURE', {
      method: 'POST',
      headers: { 'X-Soracom-Signature': 'SIGNATURE', 'Content-Type': 'application/json' },
      body: '{"imsi":"001010000000001"}',
    });
    const text = recorder.toJsonl();
    expect(text).not.toContain('SIGNATURE');
    expect(text).not.toContain('S3CR3T');
    expect(text).not.toContain('001010000000001');
    const t = parseTranscript(text);
    expect(t.header.identity.description).toBe('a card');
    expect(t.events.map((e) => e.type)).toEqual(['step', 'apdu', 'step', 'apdu', 'apdu', 'http']);
    expect(t.events[1]).toMatchObject({ command: '00A4040C07A0000000871002', response: '9000', durationMs: 1.2 });
    expect(t.events[3]).toMatchObject({ command: `0020000108${REDACTED}` });
    expect(t.events[5]).toMatchObject({
      method: 'POST',
      url: `http://127.0.0.1:1/v1/keys?${REDACTED}`,
      status: 200,
      requestHeaders: ['content-type', 'x-soracom-signature'],
      responseHeaders: ['content-type', 'x-secret'],
    });
  });

  it('records a wrapped call once (the wrapper’s, with header names) and keeps the tracer’s calls that bypassed the wrapper', async () => {
    const recorder = new TranscriptRecorder({ tool: 'test', identity: { link: 'virtual', description: 'a card' } });
    const tracer = new Tracer(recorder.trace);
    const fetch = recorder.wrapFetch(async () => new Response('{}', { status: 200, headers: { 'content-type': 'application/json' } }));
    const url = 'http://127.0.0.1:1/v1/keys';
    await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' } });
    // Core's HTTP client reports the same call to the tracer after reading the body.
    tracer.emit({ type: 'http', step: 'key-agreement', method: 'POST', url, status: 200, durationMs: 2 });
    // Cognito's call goes through the AWS SDK: only the tracer sees it.
    tracer.emit({ type: 'http', step: 'cognito', method: 'POST', url: 'http://127.0.0.1:2/', status: 200, durationMs: 3 });
    const http = parseTranscript(recorder.toJsonl()).events.filter((e) => e.type === 'http');
    expect(http).toEqual([
      expect.objectContaining({ url, status: 200, requestHeaders: ['content-type'], responseHeaders: ['content-type'] }),
      expect.objectContaining({ step: 'cognito', url: 'http://127.0.0.1:2/', status: 200, requestHeaders: [] }),
    ]);
  });

  it('refuses malformed transcripts with a line number and what to do, never another error', () => {
    const header = recorded().toJsonl().split('\n')[0]!;
    const cases: [string, RegExp][] = [
      ['', /empty/],
      ['not json', /line 1 is not JSON/],
      ['[]', /line 1 must be a JSON object/],
      ['{"format":"other","version":1}', /format/],
      [header.replace('"version":1', '"version":99'), /version 99/],
      [`${header}\n{"type":"apdu","t":0,"command":"00A4","response":"9000","durationMs":1}`, /line 2: command must hold at least 4 bytes/],
      [`${header}\n{"type":"apdu","t":0,"command":"00A4XYZ0","response":"9000","durationMs":1}`, /line 2: command must be hex/],
      [`${header}\n{"type":"apdu","t":-1,"command":"00A40400","response":"9000","durationMs":1}`, /line 2: t/],
      [`${header}\n{"type":"at","t":0,"dir":"up","line":"AT"}`, /dir/],
      [`${header}\n{"type":7,"t":0}`, /type/],
    ];
    for (const [text, message] of cases) {
      let error: unknown;
      try {
        parseTranscript(text);
      } catch (e) {
        error = e;
      }
      expect(error, text).toBeInstanceOf(TranscriptError);
      expect((error as TranscriptError).message).toMatch(message);
      expect((error as TranscriptError).action.length).toBeGreaterThan(10);
    }
    // Event types a later writer adds are skipped, not fatal.
    expect(parseTranscript(`${header}\n{"type":"future","t":0}`).events).toEqual([]);
  });

  it('keeps the whole lines of a transcript cut mid-line by a crash, and still refuses a broken line before the last', () => {
    const text = recorded().toJsonl();
    const whole = parseTranscript(text);
    const cut = text.slice(0, text.length - 20);
    expect(parseTranscript(cut).events).toEqual(whole.events.slice(0, -1));
    const lines = text.trimEnd().split('\n');
    lines.splice(2, 1, lines[2]!.slice(0, 10));
    expect(() => parseTranscript(lines.join('\n'))).toThrow(/line 3 is not JSON/);
  });

  it('throws only TranscriptError on arbitrary input', () => {
    const header = recorded().toJsonl().split('\n')[0]!;
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string(),
          fc.json(),
          fc.json().map((j) => `${header}\n${j}`),
        ),
        (text) => {
          try {
            parseTranscript(text);
          } catch (e) {
            expect(e).toBeInstanceOf(TranscriptError);
          }
        },
      ),
      { numRuns: 500 },
    );
  });
});

describe('AtMasker', () => {
  it('masks PINs and the answers to AUTHENTICATE, and keeps RAND, AUTN and everything else', () => {
    const m = new AtMasker();
    const rand = '11'.repeat(16);
    const autn = '22'.repeat(16);
    const res = 'A1B2C3D4E5F60718';
    const ck = 'C0FFEE'.repeat(5) + 'AB';
    expect(m.mask(`AT+CPIN="${PIN}"`, 'send')).toBe(`AT+CPIN=${REDACTED}`);
    expect(m.mask(`AT+CLCK="SC",0,"${PIN}"`, 'send')).toBe(`AT+CLCK="SC",0,${REDACTED}`);
    expect(m.mask(`AT+CSIM=26,"0020000108${'34'.repeat(4)}FFFFFFFF"`, 'send')).toBe(`AT+CSIM=26,"0020000108${REDACTED}"`);
    expect(m.mask('AT+CPIN?', 'send')).toBe('AT+CPIN?');
    // The modem's echo carries the PIN too.
    expect(m.mask(`AT+CPIN="${PIN}"`, 'recv')).toBe(`AT+CPIN=${REDACTED}`);
    const auth = `AT+CSIM=78,"008800812210${rand}10${autn}"`;
    expect(m.mask(auth, 'send')).toBe(auth);
    expect(m.mask('+CSIM: 4,"6135"', 'recv')).toBe('+CSIM: 4,"6135"');
    expect(m.mask('AT+CSIM=10,"00C0000035"', 'send')).toBe('AT+CSIM=10,"00C0000035"');
    const answer = m.mask(`+CSIM: 110,"DB08${res}10${ck}9000"`, 'recv');
    expect(answer).toBe(`+CSIM: 110,"${REDACTED}9000"`);
    expect(answer).not.toContain(res);
    // After a command that is not part of AUTHENTICATE, answers are kept again.
    m.mask('AT+CSIM=14,"00B0000009"', 'send');
    expect(m.mask('+CSIM: 22,"0809101000000000109000"', 'recv')).toBe('+CSIM: 22,"0809101000000000109000"');
  });
});
