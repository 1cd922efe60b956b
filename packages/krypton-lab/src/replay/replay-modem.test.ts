import { describe, expect, it } from 'vitest';
import { parseTranscript } from '@krypton-web/krypton-core';
import { demoProfileSet } from '../profiles/index.ts';
import { ReplayModem, csimAsApdus } from './replay-modem.ts';

const R = '‹redacted›';
const at = (dir: 'send' | 'recv', line: string) => JSON.stringify({ type: 'at', t: 1, dir, line });
const TRANSCRIPT = parseTranscript(
  [
    JSON.stringify({
      format: 'krypton-web-transcript',
      version: 1,
      recordedAt: '2026-12-03T00:00:00.000Z',
      tool: 'test',
      identity: { link: 'comm', description: 'modem on /dev/ttyUSB2' },
    }),
    at('send', 'ATE0'),
    at('recv', 'ATE0'),
    at('recv', 'OK'),
    at('send', 'AT+CIMI'),
    at('recv', '001010000000002'),
    at('recv', 'OK'),
    at('send', `AT+CPIN=${R}`),
    at('recv', 'OK'),
    at('send', 'AT+CSIM=10,"00200001"'),
    at('recv', '+CSIM: 4,"63C3"'),
    at('recv', 'OK'),
  ].join('\n'),
);

async function talk(modem: ReplayModem, line: string): Promise<string> {
  let out = '';
  const detach = modem.attach((b) => (out += new TextDecoder().decode(b)));
  modem.receive(`${line}\r`);
  await modem.whenIdle();
  detach();
  return out;
}

describe('ReplayModem', () => {
  it('answers recorded lines as recorded (echo included), a PIN of any value, and APDUs from the recorded +CSIM', async () => {
    expect(csimAsApdus(TRANSCRIPT).events.filter((e) => e.type === 'apdu')).toEqual([
      { type: 'apdu', t: 1, command: '00200001', response: '63C3', durationMs: 0 },
    ]);
    const modem = await ReplayModem.create(TRANSCRIPT, { profiles: demoProfileSet() });
    expect(modem.card.profile.name).toBe('demo-pin');
    expect(await talk(modem, 'AT+CIMI')).toBe('AT+CIMI\r\r\n001010000000002\r\n\r\nOK\r\n');
    expect(await talk(modem, 'AT+CPIN="9999"')).toBe('AT+CPIN="9999"\r\r\nOK\r\n');
    expect(await talk(modem, 'AT+CSIM=10,"00200001"')).toBe('AT+CSIM=10,"00200001"\r\r\n+CSIM: 4,"63C3"\r\n\r\nOK\r\n');
  });

  it('answers a line the transcript lacks with ERROR and a diagnostic naming it', async () => {
    const seen: string[] = [];
    const modem = await ReplayModem.create(TRANSCRIPT, { profiles: demoProfileSet(), onDiagnostic: (d) => seen.push(d.message) });
    expect(await talk(modem, 'AT^SYSINFOEX')).toBe('AT^SYSINFOEX\r\r\nERROR\r\n');
    expect(seen).toEqual([expect.stringMatching(/no answer to "AT\^SYSINFOEX"; answered ERROR/) as unknown]);
    expect(await talk(modem, 'AT+CSIM=14,"00A40000023F00"')).toContain('+CSIM: 4,"6D00"');
  });
});
