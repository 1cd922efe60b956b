import { describe, expect, it } from 'vitest';
import type { Failure } from '../worker/api.ts';
import { LinkMachine } from './link-machine.svelte.ts';
import { canConnect, transition, type LinkEvent, type LinkState } from './link-machine.ts';

const failure: Failure = { code: 'NO_CARD', message: 'The card was removed', action: 'Put it back', details: {} };

describe('the link lifecycle', () => {
  it('walks idle → connecting → connected → lost → connecting → connected → closing → idle', () => {
    const m = new LinkMachine();
    expect(m.state).toEqual({ name: 'idle' });
    expect(m.canConnect).toBe(true);
    expect(m.send({ type: 'connect', kind: 'virtual' })).toBe(true);
    expect(m.busy).toBe(true);
    expect(m.canConnect).toBe(false);
    m.send({ type: 'opened', linkName: 'Virtual SIM "demo"' });
    expect(m.connected).toBe(true);
    expect(m.state).toEqual({ name: 'connected', kind: 'virtual', linkName: 'Virtual SIM "demo"' });
    m.send({ type: 'lost', failure });
    expect(m.connected).toBe(false);
    expect(m.canConnect).toBe(true);
    expect(m.state).toEqual({ name: 'lost', kind: 'virtual', failure });
    m.send({ type: 'connect', kind: 'bridge' });
    m.send({ type: 'opened', linkName: 'Virtual PCD 00 00' });
    m.send({ type: 'close' });
    expect(m.state).toEqual({ name: 'closing', kind: 'bridge' });
    m.send({ type: 'closed' });
    expect(m.state).toEqual({ name: 'idle' });
  });

  it('a failed connection can be retried or dismissed', () => {
    const m = new LinkMachine();
    m.send({ type: 'connect', kind: 'modem' });
    m.send({ type: 'failed', failure });
    expect(m.state).toEqual({ name: 'failed', kind: 'modem', failure });
    expect(m.canConnect).toBe(true);
    m.send({ type: 'close' });
    expect(m.state).toEqual({ name: 'idle' });
  });

  it('ignores events that mean nothing in the current state (no silent corruption)', () => {
    const table: [LinkState, LinkEvent][] = [
      [{ name: 'idle' }, { type: 'opened', linkName: 'x' }],
      [{ name: 'idle' }, { type: 'lost', failure }],
      [{ name: 'idle' }, { type: 'closed' }],
      [
        { name: 'connecting', kind: 'virtual' },
        { type: 'connect', kind: 'virtual' },
      ],
      [
        { name: 'connecting', kind: 'virtual' },
        { type: 'lost', failure },
      ],
      [
        { name: 'connected', kind: 'virtual', linkName: 'x' },
        { type: 'connect', kind: 'modem' },
      ],
      [
        { name: 'connected', kind: 'virtual', linkName: 'x' },
        { type: 'opened', linkName: 'y' },
      ],
      [
        { name: 'closing', kind: 'virtual' },
        { type: 'connect', kind: 'virtual' },
      ],
      [
        { name: 'closing', kind: 'virtual' },
        { type: 'lost', failure },
      ],
      [
        { name: 'lost', kind: 'virtual', failure },
        { type: 'lost', failure },
      ],
    ];
    for (const [state, event] of table) expect(transition(state, event), `${state.name} + ${event.type}`).toBeUndefined();
    const m = new LinkMachine();
    expect(m.send({ type: 'closed' })).toBe(false);
    expect(m.state).toEqual({ name: 'idle' });
  });

  it('a connection may start only from idle, failed or lost', () => {
    expect(canConnect({ name: 'idle' })).toBe(true);
    expect(canConnect({ name: 'failed', kind: 'virtual', failure })).toBe(true);
    expect(canConnect({ name: 'lost', kind: 'virtual', failure })).toBe(true);
    expect(canConnect({ name: 'connecting', kind: 'virtual' })).toBe(false);
    expect(canConnect({ name: 'connected', kind: 'virtual', linkName: 'x' })).toBe(false);
    expect(canConnect({ name: 'closing', kind: 'virtual' })).toBe(false);
  });
});
