import { describe, expect, it } from 'vitest';
import { exchange, transportFailure, TransportError } from '../../src/apdu/index.ts';
import { fromHex, toHex } from '../../src/bytes/index.ts';
import { KryptonError } from '../../src/errors/index.ts';
import { REDACTED, Tracer, type TraceEvent } from '../../src/trace/index.ts';
import { ScriptedLink } from './scripted-link.test-support.ts';

function tracer(events: TraceEvent[]): Tracer {
  let t = 0;
  return new Tracer(
    (e) => events.push(e),
    () => (t += 2),
  );
}

describe('exchange', () => {
  it('emits one event per physical APDU, with the step and a duration', async () => {
    const link = new ScriptedLink([
      ['00A40004022F00', '611C'],
      ['00C000001C', '621A8205422100260283022F008A01058B032F06018002004C8801F09000'],
    ]);
    const events: TraceEvent[] = [];
    const t = tracer(events);
    const r = await t.run('imsi', () => exchange(link, fromHex('00A40004022F00'), { tracer: t }));
    expect(r.sw).toBe(0x9000);
    const apdus = events.filter((e) => e.type === 'apdu');
    expect(apdus).toEqual([
      { type: 'apdu', step: 'imsi', command: '00a40004022f00', response: '611c', durationMs: 2 },
      {
        type: 'apdu',
        step: 'imsi',
        command: '00c000001c',
        response: '621a8205422100260283022f008a01058b032f06018002004c8801f09000',
        durationMs: 2,
      },
    ]);
  });

  it('redacts every response of a secret exchange, keeping the status words', async () => {
    const link = new ScriptedLink([
      ['0088008122' + '11'.repeat(34), '6112'],
      ['00C0000012', 'DB08A54211D5E3BA50BF 6108'],
      ['00C0000008', 'B40BA9A3C58B2A05 9000'],
    ]);
    const events: TraceEvent[] = [];
    const r = await exchange(link, fromHex('0088008122' + '11'.repeat(34)), { tracer: tracer(events), secretResponse: true });
    expect(toHex(r.data)).toBe('db08a54211d5e3ba50bfb40ba9a3c58b2a05');
    const responses = events.map((e) => (e.type === 'apdu' ? e.response : ''));
    expect(responses).toEqual(['6112', `${REDACTED}6108`, `${REDACTED}9000`]);
    expect(JSON.stringify(events).toLowerCase()).not.toContain('a54211d5');
  });

  it('redacts PIN data in commands', async () => {
    const link = new ScriptedLink([['002000010831323334FFFFFFFF', '9000']]);
    const events: TraceEvent[] = [];
    await exchange(link, fromHex('002000010831323334FFFFFFFF'), { tracer: tracer(events) });
    expect(events).toMatchObject([{ command: `0020000108${REDACTED}`, response: '9000' }]);
  });

  it('maps transport errors by name and code, with an action', async () => {
    for (const code of ['TRANSPORT_BUSY', 'TRANSPORT_CLOSED', 'TRANSPORT_FAILED', 'NO_CARD', 'ABORTED', 'TIMEOUT'] as const) {
      const failing = {
        kind: 'x',
        name: 'x',
        transmit: () => Promise.reject(new TransportError(code, `link says ${code}`)),
        close: async () => {},
      };
      const err = await exchange(failing, fromHex('00B0870009')).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(KryptonError);
      expect((err as KryptonError).code).toBe(code);
      expect((err as KryptonError).action.length).toBeGreaterThan(10);
      expect((err as KryptonError).cause).toBeInstanceOf(TransportError);
    }
  });

  it('recognises transport errors by shape, not class identity (another bundle copy)', () => {
    const foreign = Object.assign(new Error('The device has been lost'), { name: 'TransportError', code: 'NO_CARD' });
    expect(transportFailure(foreign)).toMatchObject({ code: 'NO_CARD', action: expect.stringMatching(/reinsert the card/i) });
    expect(transportFailure(Object.assign(new Error('x'), { name: 'TransportError', code: 'WHATEVER' })).code).toBe('TRANSPORT_FAILED');
    expect(transportFailure(new DOMException('stop', 'AbortError')).code).toBe('ABORTED');
    expect(transportFailure(new Error('serial port gone')).message).toContain('serial port gone');
    const own = new KryptonError('TIMEOUT', 'm', 'a');
    expect(transportFailure(own)).toBe(own);
    expect(transportFailure(undefined).code).toBe('TRANSPORT_FAILED');
  });
});
