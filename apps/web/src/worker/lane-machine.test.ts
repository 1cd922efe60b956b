import type { CheckResult } from '@krypton-web/sim-check';
import { describe, expect, it } from 'vitest';
import { LaneMachine, laneView } from './lane-machine.ts';

const failure = { code: 'TRANSPORT_FAILED', message: 'gone', action: 'reconnect', details: {} };
const result = { id: 'r1', verdict: 'PASS', iccid: '8981100000000000016' } as CheckResult;

describe('a lane’s state machine', () => {
  it('checks a card the moment it arrives, and shows its steps, then its result', () => {
    const m = new LaneMachine();
    expect(m.state).toEqual({ name: 'empty' });
    expect(m.send({ type: 'reader', card: false, inUse: false })).toEqual([]);
    expect(m.send({ type: 'reader', card: true, inUse: false })).toEqual([{ type: 'start', run: 1, force: false }]);
    // Our own session makes the reader "in use": that changes nothing while we check.
    expect(m.send({ type: 'reader', card: true, inUse: true })).toEqual([]);
    m.send({ type: 'sim-read', run: 1, iccid: '8981100000000000016' });
    m.send({ type: 'step', run: 1, step: 'key' });
    expect(laneView('R', m.state)).toEqual({ reader: 'R', status: 'checking', iccid: '8981100000000000016', step: 'key' });
    m.send({ type: 'finished', run: 1, result });
    expect(laneView('R', m.state)).toEqual({ reader: 'R', status: 'done', result });
    // The card stays in: no second check, whatever the bridge repeats.
    expect(m.send({ type: 'reader', card: true, inUse: false })).toEqual([]);
    expect(m.state.name).toBe('done');
  });

  it('a card pulled mid-check aborts it and clears the lane; the abandoned check’s answer is not shown', () => {
    const m = new LaneMachine();
    m.send({ type: 'reader', card: true, inUse: false });
    m.send({ type: 'sim-read', run: 1, iccid: '8981100000000000016' });
    expect(m.send({ type: 'reader', card: false, inUse: false })).toEqual([{ type: 'abort', run: 1, reason: 'card' }]);
    expect(m.state).toEqual({ name: 'empty' });
    m.send({ type: 'finished', run: 1, result });
    expect(m.state).toEqual({ name: 'empty' });
    // The next card is a new run; news of run 1 cannot touch it.
    expect(m.send({ type: 'reader', card: true, inUse: false })).toEqual([{ type: 'start', run: 2, force: false }]);
    m.send({ type: 'step', run: 1, step: 's3' });
    expect(m.state).toEqual({ name: 'checking', run: 2 });
  });

  it('never keeps a result once the card is gone: by the reader list, by a lost session, or the reader unplugged', () => {
    for (const leave of [{ type: 'reader', card: false, inUse: false }, { type: 'card-gone' }] as const) {
      const m = new LaneMachine();
      m.send({ type: 'reader', card: true, inUse: false });
      m.send({ type: 'finished', run: 1, result });
      expect(m.send(leave)).toEqual([]);
      expect(m.state).toEqual({ name: 'empty' });
    }
    const m = new LaneMachine();
    m.send({ type: 'reader', card: true, inUse: false });
    expect(m.send({ type: 'reader-gone' })).toEqual([{ type: 'abort', run: 1, reason: 'card' }]);
    expect(laneView('R', m.state)).toEqual({ reader: 'R', status: 'gone' });
    // Plugged back in with a card: checked again.
    expect(m.send({ type: 'reader', card: true, inUse: false })).toEqual([{ type: 'start', run: 2, force: false }]);
  });

  it('asks for the PIN, and a card pulled at the prompt clears it', () => {
    const m = new LaneMachine();
    m.send({ type: 'reader', card: true, inUse: false });
    m.send({ type: 'sim-read', run: 1, iccid: '8981100000000000024' });
    m.send({ type: 'step', run: 1, step: 'pin' });
    m.send({ type: 'pin-asked', run: 1, triesLeft: 3 });
    expect(laneView('R', m.state)).toEqual({ reader: 'R', status: 'pin', iccid: '8981100000000000024', triesLeft: 3 });
    m.send({ type: 'pin-answered', run: 1 });
    expect(m.state).toEqual({ name: 'checking', run: 1, iccid: '8981100000000000024', step: 'pin' });
    m.send({ type: 'pin-asked', run: 1, triesLeft: 2 });
    expect(m.send({ type: 'card-gone' })).toEqual([{ type: 'abort', run: 1, reason: 'card' }]);
    expect(m.state).toEqual({ name: 'empty' });
  });

  it('an ICCID checked before: says when and how, and checks again only when asked', () => {
    const m = new LaneMachine();
    m.send({ type: 'reader', card: true, inUse: false });
    const previous = { at: Date.UTC(2026, 11, 3, 1, 42), verdict: 'PASS' as const };
    m.send({ type: 'declined', run: 1, iccid: '8981100000000000016', previous });
    expect(laneView('R', m.state)).toEqual({ reader: 'R', status: 'already', iccid: '8981100000000000016', previous });
    expect(m.send({ type: 'reader', card: true, inUse: false })).toEqual([]);
    expect(m.send({ type: 'recheck' })).toEqual([{ type: 'start', run: 2, force: true }]);
    // A recheck while a check runs does nothing.
    expect(m.send({ type: 'recheck' })).toEqual([]);
  });

  it('waits for a reader another page holds; a failure to open waits for "try again" or the next card', () => {
    const m = new LaneMachine();
    expect(m.send({ type: 'reader', card: true, inUse: true })).toEqual([]);
    expect(m.state).toEqual({ name: 'in-use' });
    expect(m.send({ type: 'reader', card: true, inUse: false })).toEqual([{ type: 'start', run: 1, force: false }]);
    m.send({ type: 'failed', run: 1, failure });
    expect(laneView('R', m.state)).toEqual({ reader: 'R', status: 'error', failure });
    expect(m.send({ type: 'reader', card: true, inUse: false })).toEqual([]);
    expect(m.send({ type: 'recheck' })).toEqual([{ type: 'start', run: 2, force: true }]);
    m.send({ type: 'failed', run: 2, failure });
    m.send({ type: 'reader', card: false, inUse: false });
    expect(m.send({ type: 'reader', card: true, inUse: false })).toEqual([{ type: 'start', run: 3, force: false }]);
  });

  it('losing the bridge or stopping drops the check (not a card leaving), and a stopped lane hears nothing more', () => {
    const m = new LaneMachine();
    m.send({ type: 'reader', card: true, inUse: false });
    expect(m.send({ type: 'offline', failure })).toEqual([{ type: 'abort', run: 1, reason: 'offline' }]);
    expect(m.send({ type: 'reader', card: true, inUse: false })).toEqual([{ type: 'start', run: 2, force: false }]);
    expect(m.send({ type: 'stop' })).toEqual([{ type: 'abort', run: 2, reason: 'stop' }]);
    expect(m.send({ type: 'reader', card: true, inUse: false })).toEqual([]);
    expect(laneView('R', m.state)).toEqual({ reader: 'R', status: 'stopped' });
  });
});
