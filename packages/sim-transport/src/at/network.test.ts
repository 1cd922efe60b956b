import { describe, expect, it } from 'vitest';
import { csqRssiToDbm, isSolicitedRegistration, parseCops, parseCsq, parseHcsq, parseRegistration, registrationStatus } from './network.ts';

describe('AT+CSQ (TS 27.007 §8.5)', () => {
  const dbm: [number, number | undefined][] = [
    [0, -113],
    [1, -111],
    [2, -109],
    [23, -67],
    [30, -53],
    [31, -51],
    [32, undefined],
    [99, undefined],
    [100, -116],
    [191, -25],
    [199, undefined],
    [-1, undefined],
  ];
  for (const [rssi, value] of dbm) it(`rssi ${rssi} → ${value} dBm`, () => expect(csqRssiToDbm(rssi)).toBe(value));

  it('parses +CSQ: 23,99 and ^RSSI: 17', () => {
    expect(parseCsq('+CSQ: 23,99')).toEqual({ rssi: 23, rssiDbm: -67, ber: undefined });
    expect(parseCsq('+CSQ: 99,99')).toEqual({ rssi: 99, rssiDbm: undefined, ber: undefined });
    expect(parseCsq('+CSQ:31,3')).toEqual({ rssi: 31, rssiDbm: -51, ber: 3 });
    expect(parseCsq('^RSSI: 17')).toEqual({ rssi: 17, rssiDbm: -79, ber: undefined });
    expect(parseCsq('+CSQ: x,1')).toBeUndefined();
    expect(parseCsq('+COPS: 0')).toBeUndefined();
  });
});

describe("Huawei's ^HCSQ", () => {
  const table: [string, object | undefined][] = [
    ['^HCSQ: "LTE",52,48,160,32', { mode: 'LTE', rssiDbm: -69, rsrpDbm: -93, sinrDb: 11.8, rsrqDb: -4 }],
    ['^HCSQ: "LTE",0,0,0,0', { mode: 'LTE', rssiDbm: -121, rsrpDbm: -141, sinrDb: -20.2, rsrqDb: -20 }],
    ['^HCSQ: "LTE",96,97,251,34', { mode: 'LTE', rssiDbm: -25, rsrpDbm: -44, sinrDb: 30, rsrqDb: -3 }],
    ['^HCSQ: "LTE",255,255,255,255', { mode: 'LTE' }],
    ['^HCSQ:"lte", 60 ,70,1,1', { mode: 'LTE', rssiDbm: -61, rsrpDbm: -71, sinrDb: -20, rsrqDb: -19.5 }],
    ['^HCSQ: "WCDMA",30,30,58', { mode: 'WCDMA', rssiDbm: -91, rscpDbm: -91, ecioDb: -3.5 }],
    ['^HCSQ: "GSM",40', { mode: 'GSM', rssiDbm: -81 }],
    ['^HCSQ: "NOSERVICE"', { mode: 'NOSERVICE' }],
    ['^HCSQ: 52,48', undefined],
    ['+CSQ: 1,2', undefined],
  ];
  for (const [line, value] of table) it(line, () => expect(parseHcsq(line)).toEqual(value));
});

describe('registration (+CREG/+CGREG/+CEREG)', () => {
  it('maps <stat>', () => {
    expect([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11].map(registrationStatus)).toEqual([
      'not-registered',
      'registered-home',
      'searching',
      'denied',
      'unknown',
      'registered-roaming',
      'registered-home',
      'registered-roaming',
      'emergency-only',
      'registered-home',
      'registered-roaming',
      'unknown',
    ]);
  });

  const shapes: [string, boolean][] = [
    ['+CREG: 0,1', true],
    ['+CREG: 2,5,"1A2B","01A2B3C4",7', true],
    ['+CEREG: 2,1,"1A2B","01A2B3C4",7', true],
    ['+CREG: 1', false],
    ['+CREG: 1,"1A2B","01A2B3C4",7', false],
    ['+CGREG: 5,"00C3","0000A13F"', false],
    ['+CSQ: 1,2', false],
  ];
  for (const [line, solicited] of shapes)
    it(`${line} is ${solicited ? 'solicited' : 'unsolicited'}`, () => expect(isSolicitedRegistration(line)).toBe(solicited));

  it('parses the solicited form', () => {
    expect(parseRegistration('+CEREG: 2,1,"1A2B","01A2B3C4",7', true)).toEqual({
      domain: 'eps',
      status: 'registered-home',
      stat: 1,
      area: '1A2B',
      cellId: '01A2B3C4',
      accessTechnology: 7,
    });
    expect(parseRegistration('+CREG: 0,5', true)).toEqual({ domain: 'cs', status: 'registered-roaming', stat: 5 });
  });

  it('parses the unsolicited form', () => {
    expect(parseRegistration('+CGREG: 2', false)).toEqual({ domain: 'ps', status: 'searching', stat: 2 });
    expect(parseRegistration('+CREG: 1,"1a2b","01a2b3c4",2', false)).toEqual({
      domain: 'cs',
      status: 'registered-home',
      stat: 1,
      area: '1A2B',
      cellId: '01A2B3C4',
      accessTechnology: 2,
    });
  });

  it('refuses other lines', () => {
    expect(parseRegistration('+CREG: x', false)).toBeUndefined();
    expect(parseRegistration('+CSQ: 1,1', false)).toBeUndefined();
  });
});

describe('AT+COPS?', () => {
  const table: [string, object | undefined][] = [
    ['+COPS: 0,0,"NTT DOCOMO",7', { mode: 0, name: 'NTT DOCOMO', format: 'long', accessTechnology: 7 }],
    ['+COPS: 0,2,"44010",2', { mode: 0, name: '44010', format: 'numeric', accessTechnology: 2 }],
    ['+COPS: 1,1,"DOCOMO"', { mode: 1, name: 'DOCOMO', format: 'short' }],
    ['+COPS: 0', { mode: 0 }],
    ['+COPS: 0,0,"Evil\u0007Name",7', { mode: 0, name: 'EvilName', format: 'long', accessTechnology: 7 }],
    ['+COPS: ', undefined],
    ['+CSQ: 1,1', undefined],
  ];
  for (const [line, value] of table) it(line, () => expect(parseCops(line)).toEqual(value));
});
