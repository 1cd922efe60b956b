import { describe, expect, it } from 'vitest';
import { splitParams } from './at-params.ts';
import { commandName, isUrc, parseUrc, type InFlight } from './at-urc.ts';

describe('splitParams', () => {
  it('splits at commas outside quotes and drops quotes and blanks', () => {
    expect(splitParams('2, 1,"1A,2B" ,,7')).toEqual([
      { value: '2', quoted: false },
      { value: '1', quoted: false },
      { value: '1A,2B', quoted: true },
      { value: '', quoted: false },
      { value: '7', quoted: false },
    ]);
  });
});

describe('commandName', () => {
  const table: [string, string | undefined][] = [
    ['AT+CSIM=10,"00A4000C02"', '+CSIM'],
    ['AT+CREG?', '+CREG'],
    ['at^hcsq?', '^HCSQ'],
    ['AT^SYSINFOEX', '^SYSINFOEX'],
    ['ATE0', undefined],
    ['AT', undefined],
  ];
  for (const [command, name] of table) it(`${command} → ${name}`, () => expect(commandName(command)).toBe(name));
});

describe('isUrc: unsolicited or the answer, decided by the command in flight', () => {
  const idle = undefined;
  const fly = (command: string, answered = false): InFlight => ({ name: commandName(command), answered });
  const table: { line: string; inFlight: InFlight | undefined; urc: boolean }[] = [
    { line: '^RSSI: 17', inFlight: idle, urc: true },
    { line: '^RSSI: 17', inFlight: fly('AT+CSIM=10,"00B0000009"'), urc: true },
    { line: '^MODE: 5,4', inFlight: fly('AT+CSQ'), urc: true },
    { line: '^DSFLOWRPT: 00000010,00000000,00000000', inFlight: fly('AT+CSQ'), urc: true },
    { line: '^BOOT: 20952570,0,0,0,75', inFlight: idle, urc: true },
    { line: '^SRVST: 2', inFlight: idle, urc: true },
    { line: '^SIMST: 1', inFlight: idle, urc: true },
    { line: '^HCSQ: "LTE",52,48,160,32', inFlight: fly('AT+CSQ'), urc: true },
    { line: '^SYSINFOEX: 2,3,0,1,,6,"LTE",101,"LTE"', inFlight: idle, urc: true },
    { line: '^NWTIME: 24/01/15,10:20:30+36,00', inFlight: idle, urc: true },
    { line: '+CREG: 1', inFlight: fly('AT+CSIM=10,"00B0000009"'), urc: true },
    { line: '+CEREG: 1,"1A2B","01A2B3C4",7', inFlight: idle, urc: true },
    { line: '+CGREG: 5', inFlight: idle, urc: true },
    { line: '+CUSD: 0,"Balance 100",15', inFlight: idle, urc: true },
    { line: '+CMTI: "SM",3', inFlight: idle, urc: true },
    { line: 'RING', inFlight: fly('AT+CSQ'), urc: true },
    { line: 'NO CARRIER', inFlight: fly('AT+CSQ'), urc: true },
    // Answers, not URCs:
    { line: '+CSIM: 4,"9000"', inFlight: fly('AT+CSIM=10,"00B0000009"'), urc: false },
    { line: '+CSQ: 23,99', inFlight: fly('AT+CSQ'), urc: false },
    { line: '440101234567890', inFlight: fly('AT+CIMI'), urc: false },
    { line: '+CGMI: HUAWEI', inFlight: fly('AT+CGMI'), urc: false },
    { line: '^ICCID: 89811000123456789012', inFlight: fly('AT^ICCID?'), urc: false },
    { line: '^HCSQ: "LTE",52,48,160,32', inFlight: fly('AT^HCSQ?'), urc: false },
    { line: '^HCSQ: "LTE",52,48,160,32', inFlight: fly('AT^HCSQ?', true), urc: true },
    { line: '^SYSCFGEX: "00",3FFFFFFF,1,2,7FFFFFFFFFFFFFFF', inFlight: fly('AT^SYSCFGEX?', true), urc: false },
    // +CREG: the answer to AT+CREG? has <n>,<stat>; the URC has <stat> first, and a second one is a URC.
    { line: '+CREG: 0,1', inFlight: fly('AT+CREG?'), urc: false },
    { line: '+CREG: 2,1,"1A2B","01A2B3C4",7', inFlight: fly('AT+CREG?'), urc: false },
    { line: '+CREG: 1', inFlight: fly('AT+CREG?'), urc: true },
    { line: '+CREG: 1,"1A2B","01A2B3C4",7', inFlight: fly('AT+CREG?'), urc: true },
    { line: '+CREG: 0,1', inFlight: fly('AT+CREG?', true), urc: true },
    { line: '+CREG: 0,1', inFlight: fly('AT+CEREG?'), urc: true },
    { line: '+CEREG: 2,1,"1A2B","01A2B3C4",7', inFlight: fly('AT+CEREG?'), urc: false },
  ];
  for (const row of table) {
    const during = row.inFlight
      ? `during ${row.inFlight.name ?? 'a basic command'}${row.inFlight.answered ? ' (answered)' : ''}`
      : 'when idle';
    it(`${row.line} ${during} → ${row.urc ? 'URC' : 'answer'}`, () => expect(isUrc(row.line, row.inFlight)).toBe(row.urc));
  }
});

describe('parseUrc', () => {
  const table: [string, object][] = [
    ['^RSSI: 17', { kind: 'rssi', rssi: 17, rssiDbm: -79 }],
    ['^RSSI: 99', { kind: 'rssi', rssi: 99, rssiDbm: undefined }],
    ['^HCSQ: "LTE",52,48,160,32', { kind: 'hcsq', signal: { mode: 'LTE', rssiDbm: -69, rsrpDbm: -93, sinrDb: 11.8, rsrqDb: -4 } }],
    ['^MODE: 5,4', { kind: 'mode', sysMode: 5, subMode: 4 }],
    ['^MODE: 0', { kind: 'mode', sysMode: 0, subMode: undefined }],
    ['^SIMST: 1', { kind: 'sim-state', state: 1, lockState: undefined }],
    ['^SIMST: 255,0', { kind: 'sim-state', state: 255, lockState: 0 }],
    ['^SRVST: 2', { kind: 'service-state', state: 2 }],
    ['+CREG: 1', { kind: 'registration', registration: { domain: 'cs', status: 'registered-home', stat: 1 } }],
    [
      '+CEREG: 5,"1A2B","01A2B3C4",7',
      {
        kind: 'registration',
        registration: { domain: 'eps', status: 'registered-roaming', stat: 5, area: '1A2B', cellId: '01A2B3C4', accessTechnology: 7 },
      },
    ],
    ['+CGREG: 3', { kind: 'registration', registration: { domain: 'ps', status: 'denied', stat: 3 } }],
    ['+CUSD: 0,"Balance 100",15', { kind: 'ussd', status: 0, text: 'Balance 100', dcs: 15 }],
    ['+CUSD: 2', { kind: 'ussd', status: 2, text: undefined, dcs: undefined }],
    ['+CMTI: "SM",3', { kind: 'sms', storage: 'SM', index: 3 }],
    ['^NWTIME: 24/01/15,10:20:30+36,00', { kind: 'network-time', time: '24/01/15,10:20:30+36,00' }],
    ['^BOOT: 20952570,0,0,0,75', { kind: 'boot', name: '^BOOT', params: ['20952570', '0', '0', '0', '75'] }],
    ['^DSFLOWRPT: 0000001E,00000000', { kind: 'flow-report', name: '^DSFLOWRPT', params: ['0000001E', '00000000'] }],
    [
      '^SYSINFOEX: 2,3,0,1,,6,"LTE",101,"LTE"',
      { kind: 'system-info', name: '^SYSINFOEX', params: ['2', '3', '0', '1', '', '6', 'LTE', '101', 'LTE'] },
    ],
    ['RING', { kind: 'ring' }],
    ['NO CARRIER', { kind: 'no-carrier' }],
    ['^RSSI: lots', { kind: 'other', name: '^RSSI', params: ['lots'] }],
    ['^CEND: 1,0,104', { kind: 'other', name: '^CEND', params: ['1', '0', '104'] }],
  ];
  for (const [line, value] of table) it(line, () => expect(parseUrc(line)).toEqual({ raw: line, ...value }));
});
