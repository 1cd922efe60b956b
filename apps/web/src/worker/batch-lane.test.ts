import { runCheck, simForCheck, type CheckKrypton, type CheckResult } from '@krypton-web/sim-check';
import { describe, expect, it } from 'vitest';
import type { LaneView } from './batch-api.ts';
import { Lane, type LaneBridgeEvents, type LaneDeps, type LaneReader, type LaneSession } from './batch-lane.ts';

interface Card {
  iccid: string;
  pin?: { code: string; triesLeft: number };
}

/** Resolves when told to; a test holds a check at a step with it. */
function gate(): { wait: Promise<void>; open: () => void } {
  let open!: () => void;
  const wait = new Promise<void>((r) => (open = r));
  return { wait, open };
}

const tick = () => new Promise((r) => setTimeout(r, 0));
async function until(what: string, ok: () => boolean): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (ok()) return;
    await tick();
  }
  throw new Error(`never: ${what}`);
}

/**
 * A lane over a pretend bridge with one reader "R" and sim-check's real runCheck: the card, the
 * reader's events and how long key agreement takes are the test's to decide.
 */
function rig(options: { previous?: Record<string, CheckResult['verdict']>; batchPin?: string; busy?: number } = {}) {
  let busy = options.busy ?? 0;
  let events: LaneBridgeEvents | undefined;
  let card: Card | undefined;
  const views: LaneView[] = [];
  const recorded: CheckResult[] = [];
  const order: string[] = [];
  const opened: string[] = [];
  const closed: string[] = [];
  const verified: string[] = [];
  let keyGate = gate();
  keyGate.open();
  const reader = (): LaneReader => ({ name: 'R', card: card !== undefined, inUse: opened.length > closed.length });

  const session = (id: string): LaneSession => {
    const here = card;
    const need = () => {
      if (card !== here || !here) throw Object.assign(new Error('The card was removed'), { code: 'NO_CARD' });
      return here;
    };
    let pinOk = false;
    return {
      session: id,
      readIccid: async () => need().iccid,
      readImsi: async () => (need(), '001010000000001'),
      pinState: async () => {
        const c = need();
        return c.pin ? { enabled: true, verified: pinOk, triesLeft: c.pin.triesLeft } : { enabled: false, verified: false };
      },
      verifyPin: async (pin) => {
        const c = need();
        verified.push(pin);
        if (c.pin && pin !== c.pin.code)
          throw Object.assign(new Error('wrong'), { code: 'PIN_WRONG', details: { triesLeft: --c.pin.triesLeft } });
        pinOk = true;
      },
      authenticate: async () => {
        throw new Error('not used');
      },
      close: async () => void closed.push(id),
    };
  };

  const deps: LaneDeps = {
    connect: async (e) => {
      events = e;
      return {
        readers: async () => [reader()],
        open: async () => {
          if (busy-- > 0) throw Object.assign(new Error('Too many session opens in a short time'), { code: 'TRANSPORT_BUSY' });
          const id = `s${opened.length + 1}`;
          opened.push(id);
          return session(id);
        },
        close: () => undefined,
      };
    },
    check: (s, run) => {
      const krypton: CheckKrypton = {
        agreeKey: async () => {
          await keyGate.wait;
          await s.readImsi();
          return { resynchronised: false };
        },
        credentials: async () => ({
          accessKeyId: 'ASIA',
          secretAccessKey: 'x',
          sessionToken: 'y',
          expiration: new Date(Date.now() + 3600_000),
        }),
        userData: async () => '{}',
        subscriberMetadata: async () => ({}),
      };
      const guarded =
        <T>(fn: () => Promise<T>) =>
        async () => {
          try {
            return await fn();
          } catch (e) {
            if ((e as { code?: string }).code === 'NO_CARD') run.cardGone();
            throw e;
          }
        };
      return runCheck({
        batchId: 'b',
        lane: run.reader,
        checklist: { credentials: 'openid' },
        sim: simForCheck({
          readIccid: guarded(() => s.readIccid()),
          readImsi: guarded(() => s.readImsi()),
          pinState: async () => {
            const p = await s.pinState();
            return { ...p, triesLeft: p.triesLeft };
          },
          verifyPin: (pin) => s.verifyPin(pin),
        }),
        krypton: {
          ...krypton,
          agreeKey: async () => {
            try {
              return await krypton.agreeKey();
            } catch (e) {
              if ((e as { code?: string }).code === 'NO_CARD') run.cardGone();
              throw e;
            }
          },
        },
        pin: run.pin,
        onSimRead: run.onSimRead,
        onStep: run.onStep,
        signal: run.signal,
      });
    },
    record: async (result) => {
      order.push(`record ${result.verdict}${result.interrupted ? ' interrupted' : ''}`);
      recorded.push(result);
    },
    previous: (iccid) => {
      const v = options.previous?.[iccid];
      return v ? { at: 1000, verdict: v } : undefined;
    },
    batchPin: () => options.batchPin,
    emit: (view) => {
      views.push(view);
      order.push(`show ${view.status}`);
    },
    pollMs: 0,
    busyRetryMs: 1,
  };
  const lane = new Lane('R', deps);
  return {
    lane,
    views,
    recorded,
    order,
    opened,
    closed,
    verified,
    last: () => views.at(-1)!,
    holdKeyAgreement: () => (keyGate = gate()),
    releaseKeyAgreement: () => keyGate.open(),
    insert: (c: Card) => {
      card = c;
      events?.onReaders([reader()]);
    },
    remove: () => {
      card = undefined;
      events?.onReaders([reader()]);
    },
    sessionLost: (id: string) => events?.onSessionLost(id),
  };
}

describe('a lane of the batch', () => {
  it('checks the card in the reader, keeps the result before showing it, and closes the session', async () => {
    const r = rig();
    r.insert({ iccid: '8981100000000000016' });
    await r.lane.start();
    await until('a result', () => r.last().status === 'done');
    expect(r.order.indexOf('record PASS')).toBeLessThan(r.order.lastIndexOf('show done'));
    expect(r.recorded).toHaveLength(1);
    expect(r.recorded[0]).toMatchObject({ lane: 'R', iccid: '8981100000000000016', verdict: 'PASS' });
    await until('the session closed', () => r.closed.length === 1);
    // Removed: the lane says "insert the next SIM" and no longer shows the result.
    r.remove();
    expect(r.last()).toEqual({ reader: 'R', status: 'empty' });
  });

  it('a card pulled mid-check: the lane clears at once, the check is kept as interrupted, never shown', async () => {
    const r = rig();
    await r.lane.start();
    r.holdKeyAgreement();
    r.insert({ iccid: '8981100000000000024' });
    await until(
      'key agreement',
      () => r.last().status === 'checking' && 'step' in r.last() && (r.last() as { step?: string }).step === 'key',
    );
    r.remove();
    expect(r.last()).toEqual({ reader: 'R', status: 'empty' });
    r.releaseKeyAgreement();
    await until('the interrupted check kept', () => r.recorded.length === 1);
    expect(r.recorded[0]).toMatchObject({
      iccid: '8981100000000000024',
      verdict: 'FAIL',
      interrupted: true,
      problem: { code: 'CARD_REMOVED' },
    });
    await tick();
    expect(r.views.some((v) => v.status === 'done')).toBe(false);
    expect(r.last()).toEqual({ reader: 'R', status: 'empty' });
  });

  it('a lost session (or a command that finds no card) interrupts the check the same way', async () => {
    const r = rig();
    await r.lane.start();
    r.holdKeyAgreement();
    r.insert({ iccid: '8981100000000000032' });
    await until('key agreement', () => (r.last() as { step?: string }).step === 'key');
    r.sessionLost('s1');
    expect(r.last()).toEqual({ reader: 'R', status: 'empty' });
    r.releaseKeyAgreement();
    await until('kept', () => r.recorded.length === 1);
    expect(r.recorded[0]).toMatchObject({ interrupted: true, problem: { code: 'CARD_REMOVED' } });
  });

  it('a check dropped by Stop is not a result', async () => {
    const r = rig();
    await r.lane.start();
    r.holdKeyAgreement();
    r.insert({ iccid: '8981100000000000016' });
    await until('key agreement', () => (r.last() as { step?: string }).step === 'key');
    r.lane.stop();
    r.releaseKeyAgreement();
    await until('the session closed', () => r.closed.length === 1);
    expect(r.recorded).toEqual([]);
    expect(r.last()).toEqual({ reader: 'R', status: 'stopped' });
  });

  it('asks for the PIN; the answer opens the SIM', async () => {
    const r = rig();
    await r.lane.start();
    r.insert({ iccid: '8981100000000000024', pin: { code: '1234', triesLeft: 3 } });
    await until('the prompt', () => r.last().status === 'pin');
    expect(r.last()).toEqual({ reader: 'R', status: 'pin', iccid: '8981100000000000024', triesLeft: 3 });
    r.lane.answerPin('1234');
    await until('a result', () => r.last().status === 'done');
    expect(r.recorded[0]).toMatchObject({ verdict: 'PASS', imsi: '001010000000001' });
    expect(r.verified).toEqual(['1234']);
  });

  it('the batch’s PIN is used by itself, but never on a SIM with one try left', async () => {
    const r = rig({ batchPin: '1234' });
    await r.lane.start();
    r.insert({ iccid: '8981100000000000024', pin: { code: '1234', triesLeft: 3 } });
    await until('a result', () => r.last().status === 'done');
    expect(r.views.some((v) => v.status === 'pin')).toBe(false);
    expect(r.verified).toEqual(['1234']);

    r.remove();
    r.insert({ iccid: '8981100000000000099', pin: { code: '1234', triesLeft: 1 } });
    await until('a result', () => r.last().status === 'done');
    expect(r.verified).toEqual(['1234']);
    expect(r.recorded[1]).toMatchObject({ verdict: 'FAIL', failedStep: 'pin', problem: { code: 'PIN_ONE_TRY_LEFT' } });
  });

  it('a SIM checked before says so; "check again" checks it', async () => {
    const r = rig({ previous: { '8981100000000000016': 'PASS' } });
    r.insert({ iccid: '8981100000000000016' });
    await r.lane.start();
    await until('already', () => r.last().status === 'already');
    expect(r.last()).toEqual({ reader: 'R', status: 'already', iccid: '8981100000000000016', previous: { at: 1000, verdict: 'PASS' } });
    expect(r.recorded).toEqual([]);
    r.lane.recheck();
    await until('a result', () => r.last().status === 'done');
    expect(r.recorded).toHaveLength(1);
  });

  it('a busy reader (the bridge’s limit on opens, another page) is waited out while the card stays in', async () => {
    const r = rig({ busy: 3 });
    r.insert({ iccid: '8981100000000000016' });
    await r.lane.start();
    await until('a result', () => r.last().status === 'done');
    expect(r.views.some((v) => v.status === 'error')).toBe(false);
    expect(r.recorded).toHaveLength(1);
  });

  it('sends the page news only: the bridge repeating a reader list changes nothing on screen', async () => {
    const r = rig();
    await r.lane.start();
    const before = r.views.length;
    r.remove();
    r.remove();
    expect(r.views.length).toBe(before);
  });
});
