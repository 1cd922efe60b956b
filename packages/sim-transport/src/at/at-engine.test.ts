import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { TransportError } from '@krypton-web/krypton-core';
import { AtEngine, type AtEngineOptions, type AtResponse } from './at-engine.ts';
import { AtError, toTransportError } from './at-errors.ts';
import type { AtUrc } from './at-urc.ts';
import { FakeChannel, framed, ManualTimers } from './at.test-support.ts';

function setup(options: AtEngineOptions = {}) {
  const channel = new FakeChannel();
  const timers = new ManualTimers();
  const engine = new AtEngine(channel, { timers, ...options });
  const urcs: AtUrc[] = [];
  engine.on('urc', (u) => urcs.push(u));
  return { channel, timers, engine, urcs };
}

type Outcome = { ok: true; lines: readonly string[] } | { ok: false; code: string; message: string };

async function outcome(p: Promise<AtResponse>): Promise<Outcome> {
  try {
    return { ok: true, lines: (await p).lines };
  } catch (e) {
    return { ok: false, code: (e as AtError).code, message: (e as Error).message };
  }
}

/** Runs one command against a transcript delivered in the given chunks; returns its outcome and the URCs seen. */
async function run(command: string, transcript: string, cuts: readonly number[] = []) {
  const { channel, engine, urcs } = setup();
  const p = outcome(engine.send(command));
  expect(channel.commands).toEqual([command]);
  channel.feed(transcript, cuts);
  return { result: await p, urcs: urcs.map((u) => u.raw), channel };
}

const CSIM = 'AT+CSIM=10,"00B0000009"';

/** Byte-in/byte-out: what the modem sends after the command, and what the engine makes of it. */
const transcripts: { name: string; command: string; bytes: string; result: Outcome; urcs?: string[] }[] = [
  { name: 'OK alone', command: 'ATE0', bytes: framed('OK'), result: { ok: true, lines: [] } },
  {
    name: 'information line then OK',
    command: 'AT+CIMI',
    bytes: framed('440101234567890', 'OK'),
    result: { ok: true, lines: ['440101234567890'] },
  },
  {
    name: 'echo on: the echoed command is dropped',
    command: 'AT+CIMI',
    bytes: 'AT+CIMI\r' + framed('440101234567890', 'OK'),
    result: { ok: true, lines: ['440101234567890'] },
  },
  {
    name: 'echo in lower case (modem echoes what it got)',
    command: 'AT+CSQ',
    bytes: 'at+csq\r\r\n+CSQ: 23,99\r\n\r\nOK\r\n',
    result: { ok: true, lines: ['+CSQ: 23,99'] },
  },
  {
    name: 'echo with CSIM and lone-CR framing',
    command: CSIM,
    bytes: `${CSIM}\r+CSIM: 4,"6A82"\rOK\r`,
    result: { ok: true, lines: ['+CSIM: 4,"6A82"'] },
  },
  { name: 'LF-only framing', command: 'AT+CSQ', bytes: '+CSQ: 23,99\nOK\n', result: { ok: true, lines: ['+CSQ: 23,99'] } },
  {
    name: 'URCs before, between and after the answer lines',
    command: CSIM,
    bytes: framed(
      '^RSSI: 17',
      '^MODE: 5,4',
      '+CSIM: 22,"089910070000000000F09000"',
      '^DSFLOWRPT: 0000001E,00000000',
      '+CREG: 1',
      'OK',
      '^BOOT: 20952570,0,0,0,75',
    ),
    result: { ok: true, lines: ['+CSIM: 22,"089910070000000000F09000"'] },
    urcs: ['^RSSI: 17', '^MODE: 5,4', '^DSFLOWRPT: 0000001E,00000000', '+CREG: 1', '^BOOT: 20952570,0,0,0,75'],
  },
  {
    name: 'every listed URC between +CSIM and OK',
    command: CSIM,
    bytes: framed(
      '+CSIM: 4,"9000"',
      '^RSSI: 17',
      '^MODE: 5,4',
      '^DSFLOWRPT: 1,2,3',
      '^BOOT: 1,0',
      '^SRVST: 2',
      '^SIMST: 1',
      '^HCSQ: "LTE",52,48,160,32',
      '^SYSINFOEX: 2,3,0,1,,6,"LTE",101,"LTE"',
      '^NWTIME: 24/01/15,10:20:30+36,00',
      '+CREG: 1',
      '+CEREG: 1,"1A2B","01A2B3C4",7',
      '+CGREG: 1',
      '+CUSD: 0,"hi",15',
      '+CMTI: "SM",3',
      'RING',
      'NO CARRIER',
      'OK',
    ),
    result: { ok: true, lines: ['+CSIM: 4,"9000"'] },
    urcs: [
      '^RSSI: 17',
      '^MODE: 5,4',
      '^DSFLOWRPT: 1,2,3',
      '^BOOT: 1,0',
      '^SRVST: 2',
      '^SIMST: 1',
      '^HCSQ: "LTE",52,48,160,32',
      '^SYSINFOEX: 2,3,0,1,,6,"LTE",101,"LTE"',
      '^NWTIME: 24/01/15,10:20:30+36,00',
      '+CREG: 1',
      '+CEREG: 1,"1A2B","01A2B3C4",7',
      '+CGREG: 1',
      '+CUSD: 0,"hi",15',
      '+CMTI: "SM",3',
      'RING',
      'NO CARRIER',
    ],
  },
  {
    name: 'AT+CREG?: the <n>,<stat> line is the answer, URC forms around it are events',
    command: 'AT+CREG?',
    bytes: framed('+CREG: 1', '+CREG: 2,1,"1A2B","01A2B3C4",7', '+CREG: 5,"1A2B","01A2B3C4",7', 'OK'),
    result: { ok: true, lines: ['+CREG: 2,1,"1A2B","01A2B3C4",7'] },
    urcs: ['+CREG: 1', '+CREG: 5,"1A2B","01A2B3C4",7'],
  },
  {
    name: 'AT^HCSQ?: the first ^HCSQ answers, a second is a URC',
    command: 'AT^HCSQ?',
    bytes: framed('^HCSQ: "LTE",52,48,160,32', '^HCSQ: "LTE",53,48,160,32', 'OK'),
    result: { ok: true, lines: ['^HCSQ: "LTE",52,48,160,32'] },
    urcs: ['^HCSQ: "LTE",53,48,160,32'],
  },
  {
    name: 'ERROR',
    command: 'AT^CURC=0',
    bytes: framed('ERROR'),
    result: { ok: false, code: 'ERROR', message: 'The modem answered ERROR to AT^CURC' },
  },
  {
    name: 'COMMAND NOT SUPPORT',
    command: 'AT^HCSQ?',
    bytes: framed('COMMAND NOT SUPPORT'),
    result: { ok: false, code: 'NOT_SUPPORTED', message: 'This modem does not support AT^HCSQ (COMMAND NOT SUPPORT)' },
  },
  {
    name: '+CME ERROR numeric',
    command: CSIM,
    bytes: framed('+CME ERROR: 10'),
    result: {
      ok: false,
      code: 'CME_ERROR',
      message:
        'The modem refused AT+CSIM: SIM not inserted (CME error 10) — the modem sees no SIM card; insert it (contacts down) and reconnect the modem',
    },
  },
  {
    name: '+CME ERROR verbose',
    command: 'AT+CIMI',
    bytes: framed('+CME ERROR: SIM PIN required'),
    result: {
      ok: false,
      code: 'CME_ERROR',
      message:
        'The modem refused AT+CIMI: SIM PIN required (CME error 11) — the SIM asks for its PIN before the modem lets commands through; enter the PIN',
    },
  },
  {
    name: '+CMS ERROR',
    command: 'AT+CMGL=4',
    bytes: framed('+CMS ERROR: 310'),
    result: { ok: false, code: 'CMS_ERROR', message: expect.stringContaining('SIM not inserted (CMS error 310)') as unknown as string },
  },
  {
    name: 'NO CARRIER ends a dial',
    command: 'ATD*99#',
    bytes: framed('NO CARRIER'),
    result: { ok: false, code: 'NO_CARRIER', message: 'ATD ended with NO CARRIER' },
  },
  {
    name: 'NO CARRIER during another command is a URC',
    command: 'AT+CSQ',
    bytes: framed('NO CARRIER', '+CSQ: 23,99', 'OK'),
    result: { ok: true, lines: ['+CSQ: 23,99'] },
    urcs: ['NO CARRIER'],
  },
  {
    name: 'garbage lines before the answer stay lines (parsers ignore them)',
    command: 'AT+CGMI',
    bytes: '\xff\xfe\r\n' + framed('huawei', 'OK'),
    result: { ok: true, lines: ['\xff\xfe', 'huawei'] },
  },
  {
    name: 'an overlong line fails the command',
    command: 'AT+CGMR',
    bytes: framed('x'.repeat(5000), 'OK'),
    result: { ok: false, code: 'BAD_RESPONSE', message: expect.stringContaining('too long') as unknown as string },
  },
  {
    name: 'too many lines fail the command',
    command: 'AT+CMGL=4',
    bytes: framed(...Array.from({ length: 70 }, (_, i) => `line ${i}`), 'OK'),
    result: { ok: false, code: 'BAD_RESPONSE', message: expect.stringContaining('more than 64 lines') as unknown as string },
  },
];

describe('AtEngine: answers from byte transcripts', () => {
  for (const row of transcripts) {
    it(row.name, async () => {
      const { result, urcs } = await run(row.command, row.bytes);
      expect(result).toEqual(row.result);
      expect(urcs).toEqual(row.urcs ?? []);
    });
  }

  it('gives the same answer and URCs when the transcript is cut at any single byte', async () => {
    for (const row of transcripts.filter((r) => r.bytes.length < 800)) {
      const whole = await run(row.command, row.bytes);
      for (let cut = 1; cut < row.bytes.length; cut++) {
        const split = await run(row.command, row.bytes, [cut]);
        expect(split.result, `${row.name} cut at ${cut}`).toEqual(whole.result);
        expect(split.urcs).toEqual(whole.urcs);
      }
    }
  });

  it('gives the same answer and URCs for any chunking of any transcript (property)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...transcripts),
        fc.uniqueArray(fc.integer({ min: 1, max: 5000 }), { maxLength: 40 }),
        async (row, cuts) => {
          const whole = await run(row.command, row.bytes);
          const chunked = await run(
            row.command,
            row.bytes,
            cuts.filter((c) => c < row.bytes.length),
          );
          expect(chunked.result).toEqual(whole.result);
          expect(chunked.urcs).toEqual(whole.urcs);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('types the URCs it reports', async () => {
    const { engine, channel, urcs } = setup();
    channel.feed(framed('^RSSI: 17', '+CEREG: 1,"1A2B","01A2B3C4",7', 'RING'));
    await engine.close();
    expect(urcs.map((u) => u.kind)).toEqual(['rssi', 'registration', 'ring']);
    expect(urcs[0]).toMatchObject({ kind: 'rssi', rssiDbm: -79 });
  });

  it('drops stray non-URC lines while idle', async () => {
    const { engine, channel, urcs } = setup();
    channel.feed(framed('OK', '+CSIM: 4,"9000"', 'garbage'));
    const p = engine.send('AT+CSQ');
    channel.feed(framed('+CSQ: 1,99', 'OK'));
    expect((await p).lines).toEqual(['+CSQ: 1,99']);
    expect(urcs).toEqual([]);
  });

  it('answers an unexpected "> " prompt with ESC so later commands are not taken as text', async () => {
    const { engine, channel } = setup();
    const p = engine.send('AT+CMGS=20');
    channel.feed('\r\n> ');
    expect(channel.written.at(-1)).toBe('\x1b');
    channel.feed(framed('OK'));
    await expect(p).resolves.toEqual({ lines: [] });
  });
});

describe('AtEngine: one command at a time', () => {
  it('sends the next command only after the final result of the one before, in order', async () => {
    const { engine, channel } = setup();
    const a = engine.send('AT+CGMI');
    const b = engine.send('AT+CGMM');
    const c = engine.send('AT+CGMR');
    expect(channel.commands).toEqual(['AT+CGMI']);
    channel.feed(framed('huawei'));
    expect(channel.commands).toEqual(['AT+CGMI']);
    channel.feed(framed('OK'));
    expect(channel.commands).toEqual(['AT+CGMI', 'AT+CGMM']);
    channel.feed(framed('E3372', 'OK'));
    channel.feed(framed('+CME ERROR: 4'));
    expect((await a).lines).toEqual(['huawei']);
    expect((await b).lines).toEqual(['E3372']);
    await expect(c).rejects.toMatchObject({ code: 'CME_ERROR' });
    expect(channel.commands).toEqual(['AT+CGMI', 'AT+CGMM', 'AT+CGMR']);
  });

  it('bounds the queue', async () => {
    const { engine, channel } = setup({ maxQueue: 2 });
    const inFlight = engine.send('AT');
    const waiting = [engine.send('AT'), engine.send('AT')];
    await expect(engine.send('AT')).rejects.toMatchObject({ code: 'QUEUE_FULL' });
    channel.feed(framed('OK', 'OK', 'OK'));
    await Promise.all([inFlight, ...waiting]);
    expect(channel.commands).toEqual(['AT', 'AT', 'AT']);
  });

  it('cancels a waiting command without sending it', async () => {
    const { engine, channel } = setup();
    const first = engine.send('AT+CGMI');
    const controller = new AbortController();
    const second = engine.send('AT+CGMM', { signal: controller.signal });
    controller.abort();
    await expect(second).rejects.toMatchObject({ code: 'ABORTED', message: 'AT+CGMM was cancelled before it was sent' });
    channel.feed(framed('huawei', 'OK'));
    await first;
    expect(channel.commands).toEqual(['AT+CGMI']);
    await expect(engine.send('AT', { signal: AbortSignal.abort() })).rejects.toMatchObject({ code: 'ABORTED' });
  });

  it('cancels a command in flight and resynchronises before the next', async () => {
    const { engine, channel } = setup();
    const controller = new AbortController();
    const p = engine.send(CSIM, { signal: controller.signal });
    const next = engine.send('AT+CSQ');
    controller.abort();
    await expect(p).rejects.toMatchObject({ code: 'ABORTED' });
    expect(channel.commands).toEqual([CSIM, 'AT+CMEE?']);
    channel.feed(framed('+CSIM: 4,"9000"', 'OK', '+CMEE: 1', 'OK'));
    expect(channel.commands).toEqual([CSIM, 'AT+CMEE?', 'AT+CSQ']);
    channel.feed(framed('+CSQ: 20,99', 'OK'));
    expect((await next).lines).toEqual(['+CSQ: 20,99']);
  });

  it('fails a command whose write fails, and goes on', async () => {
    const { engine, channel } = setup();
    channel.failWrites = new Error('EIO');
    await expect(engine.send('AT')).rejects.toMatchObject({ code: 'WRITE_FAILED', message: 'Could not send AT to fake modem: EIO' });
    channel.failWrites = undefined;
    const p = engine.send('AT');
    channel.feed(framed('OK'));
    await expect(p).resolves.toEqual({ lines: [] });
  });
});

describe('AtEngine: timeouts and recovery', () => {
  it('uses per-command default time limits', () => {
    const { engine } = setup();
    expect(engine.timeoutFor(CSIM)).toBe(10_000);
    expect(engine.timeoutFor('AT+COPS?')).toBe(30_000);
    expect(engine.timeoutFor('AT+COPS=?')).toBe(180_000);
    expect(engine.timeoutFor('AT+CSQ')).toBe(5_000);
    const custom = setup({ timeouts: { csim: 2_000, default: undefined } });
    expect(custom.engine.timeoutFor(CSIM)).toBe(2_000);
    expect(custom.engine.timeoutFor('AT+CSQ')).toBe(5_000);
  });

  it('times out, discards the late answer while resynchronising, then runs the next command cleanly', async () => {
    const { engine, channel, timers } = setup();
    const slow = engine.send(CSIM);
    const next = engine.send('AT+CSIM=10,"00C0000035"');
    timers.advance(9_999);
    expect(channel.commands).toEqual([CSIM]);
    timers.advance(1);
    await expect(slow).rejects.toMatchObject({ code: 'TIMEOUT', message: 'fake modem did not answer AT+CSIM within 10000 ms' });
    expect(channel.commands).toEqual([CSIM, 'AT+CMEE?']);
    // The late answer of the timed-out command, including its OK, must not end the resync nor reach the next command.
    channel.feed(framed('+CSIM: 4,"6135"', '^RSSI: 12', 'OK'));
    expect(channel.commands).toEqual([CSIM, 'AT+CMEE?']);
    channel.feed(framed('+CMEE: 1', 'OK'));
    expect(channel.commands.at(-1)).toBe('AT+CSIM=10,"00C0000035"');
    channel.feed(framed('+CSIM: 4,"9000"', 'OK'));
    expect((await next).lines).toEqual(['+CSIM: 4,"9000"']);
    expect(timers.pending).toBe(0);
  });

  it('falls back to a plain AT when AT+CMEE? is not answered', async () => {
    const { engine, channel, timers } = setup();
    const slow = engine.send('AT+CSQ');
    timers.advance(5_000);
    await expect(slow).rejects.toMatchObject({ code: 'TIMEOUT' });
    const next = engine.send('AT+CGMI');
    channel.feed(framed('ERROR'));
    timers.advance(3_000);
    expect(channel.commands).toEqual(['AT+CSQ', 'AT+CMEE?', 'AT']);
    channel.feed(framed('OK'));
    expect(channel.commands.at(-1)).toBe('AT+CGMI');
    channel.feed(framed('huawei', 'OK'));
    expect((await next).lines).toEqual(['huawei']);
  });

  it('skips the late answer of AT+CMEE? during the plain AT step', async () => {
    const { engine, channel, timers } = setup();
    const slow = engine.send('AT+CSQ');
    timers.advance(5_000);
    await expect(slow).rejects.toMatchObject({ code: 'TIMEOUT' });
    const next = engine.send('AT+CGMI');
    timers.advance(3_000);
    channel.feed(framed('+CMEE: 1', 'OK'));
    expect(channel.commands.at(-1)).toBe('AT');
    channel.feed(framed('OK'));
    expect(channel.commands.at(-1)).toBe('AT+CGMI');
    channel.feed(framed('huawei', 'OK'));
    expect((await next).lines).toEqual(['huawei']);
  });

  it('fails what waits when the modem stops answering, and resynchronises again for the next command', async () => {
    const { engine, channel, timers } = setup();
    const slow = engine.send('AT+CSQ');
    const waiting = engine.send('AT+CGMI');
    timers.advance(5_000 + 3_000 + 3_000);
    await expect(slow).rejects.toMatchObject({ code: 'TIMEOUT' });
    await expect(waiting).rejects.toMatchObject({
      code: 'TIMEOUT',
      message: expect.stringContaining('stopped answering') as unknown as string,
    });
    expect(channel.commands).toEqual(['AT+CSQ', 'AT+CMEE?', 'AT']);
    const later = engine.send('AT+CGMM');
    expect(channel.commands.at(-1)).toBe('AT+CMEE?');
    channel.feed(framed('+CMEE: 1', 'OK', 'E3372', 'OK'));
    expect((await later).lines).toEqual(['E3372']);
  });

  it('does not resynchronise after a probe that asked not to', async () => {
    const { engine, channel, timers } = setup();
    const probe = engine.send('AT', { timeoutMs: 1_000, resyncOnTimeout: false });
    timers.advance(1_000);
    await expect(probe).rejects.toMatchObject({ code: 'TIMEOUT' });
    const again = engine.send('AT');
    expect(channel.commands).toEqual(['AT', 'AT']);
    channel.feed(framed('OK'));
    await again;
    const resync = engine.resync();
    expect(channel.commands.at(-1)).toBe('AT+CMEE?');
    channel.feed(framed('OK', '+CMEE: 1', 'OK'));
    await expect(resync).resolves.toBeUndefined();
  });

  it('refuses a non-positive time limit', async () => {
    const { engine, channel } = setup();
    await expect(engine.send('AT', { timeoutMs: 0 })).rejects.toMatchObject({ code: 'REFUSED' });
    expect(channel.commands).toEqual([]);
  });
});

describe('AtEngine: close and disconnect', () => {
  it('close() fails the command in flight and those waiting, closes the channel, refuses later commands', async () => {
    const { engine, channel, timers } = setup();
    const a = engine.send(CSIM);
    const b = engine.send('AT+CSQ');
    await engine.close();
    await expect(a).rejects.toMatchObject({ code: 'CLOSED' });
    await expect(b).rejects.toMatchObject({ code: 'CLOSED' });
    expect(toTransportError(await a.catch((e: unknown) => e)).code).toBe('TRANSPORT_CLOSED');
    await expect(engine.send('AT')).rejects.toMatchObject({ code: 'CLOSED' });
    expect(engine.state).toBe('closed');
    expect(channel.closeCalls).toBe(1);
    await engine.close();
    expect(channel.closeCalls).toBe(1);
    expect(timers.pending).toBe(0);
    expect(channel.commands).toEqual([CSIM]);
  });

  it('an unplug mid-command fails everything with a clear error and emits disconnect', async () => {
    const { engine, channel, timers } = setup();
    const events: AtError[] = [];
    engine.on('disconnect', (e) => events.push(e));
    const a = engine.send(CSIM);
    const b = engine.send('AT+CSQ');
    channel.feed('\r\n+CSIM: 4,"90');
    channel.unplug(new TransportError('NO_CARD', 'Huawei modem (12d1:1506) was unplugged (the device has been lost)'));
    const message = 'The modem (fake modem) went away: Huawei modem (12d1:1506) was unplugged (the device has been lost)';
    await expect(a).rejects.toMatchObject({ code: 'DISCONNECTED', message });
    await expect(b).rejects.toMatchObject({ code: 'DISCONNECTED' });
    expect(events).toHaveLength(1);
    expect(events[0]!.message).toBe(message);
    expect(toTransportError(events[0]).code).toBe('NO_CARD');
    expect(engine.state).toBe('disconnected');
    await expect(engine.send('AT')).rejects.toMatchObject({ code: 'DISCONNECTED' });
    expect(timers.pending).toBe(0);
    expect(channel.closeCalls).toBe(1);
    channel.unplug();
    expect(events).toHaveLength(1);
  });

  it('an end without a reason still reads clearly', async () => {
    const { engine, channel } = setup();
    const a = engine.send('AT');
    channel.unplug();
    await expect(a).rejects.toMatchObject({ code: 'DISCONNECTED', message: 'The modem (fake modem) went away' });
    expect(toTransportError(await a.catch((e: unknown) => e)).code).toBe('TRANSPORT_FAILED');
  });

  it('a listener that throws does not stop the engine', async () => {
    const { engine, channel } = setup();
    const off = engine.on('urc', () => {
      throw new Error('listener bug');
    });
    const errors: unknown[] = [];
    const onError = (e: unknown) => errors.push(e);
    process.on('uncaughtException', onError);
    try {
      const p = engine.send('AT+CSQ');
      channel.feed(framed('^RSSI: 1', '+CSQ: 1,99', 'OK'));
      expect((await p).lines).toEqual(['+CSQ: 1,99']);
      await new Promise((r) => setTimeout(r, 0));
      expect(errors).toHaveLength(1);
      expect((errors[0] as Error).message).toBe('listener bug');
    } finally {
      process.off('uncaughtException', onError);
      off();
    }
  });
});

describe('AtEngine: the command guard', () => {
  const refused: [string, RegExp][] = [
    ['AT^U2DIAG=0', /\^U2DIAG.*USB port layout/],
    ['at^u2diag=276', /\^U2DIAG/],
    ['AT^SETPORT="A1,A2;1,2,3,7,A1,A2"', /\^SETPORT.*USB port layout/],
    ['AT+CMEE=1;^U2DIAG=0', /\^U2DIAG/],
    ['AT ^ SETPORT?', /\^SETPORT/],
    ['AT+CCID', /\+CCID.*AT\^ICCID\?/],
    ['AT\rAT^U2DIAG=0', /not printable ASCII/],
    ['AT+CSQ\n', /not printable ASCII/],
    ['+CSQ', /starts with "AT"/],
    [`AT+CSIM=1000,"${'00'.repeat(500)}"`, /longer than 600/],
  ];
  for (const [command, message] of refused) {
    it(`refuses ${JSON.stringify(command.slice(0, 40))} without sending anything`, async () => {
      const { engine, channel } = setup();
      const e = await engine.send(command).catch((x: unknown) => x);
      expect(e).toBeInstanceOf(AtError);
      expect(e).toMatchObject({ code: 'REFUSED' });
      expect((e as Error).message).toMatch(message);
      expect(channel.written).toEqual([]);
    });
  }

  it('lets ordinary Huawei commands through', () => {
    const { engine, channel } = setup();
    for (const c of ['AT^ICCID?', 'AT^HCSQ?', 'AT^CURC=0', 'AT^SYSINFOEX']) void engine.send(c).catch(() => undefined);
    expect(channel.commands).toEqual(['AT^ICCID?']);
  });
});
