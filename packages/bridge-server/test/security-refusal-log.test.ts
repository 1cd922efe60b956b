import { afterEach, describe, expect, it } from 'vitest';
import { Logger } from '../src/index.ts';
import type { PendingApproval } from '../src/security/approvals.ts';
import { RefusalLog } from '../src/security/refusal-log.ts';
import { rawUpgrade, startTestBridge, type TestBridge } from './support/harness.test-support.ts';

// Refusals do not flood the log: the first few of a minute get a line each, the rest a summary with
// counts, and the codes of pending approvals are repeated with every summary.

/** A clock the test moves, timers that fire when it passes them, and every log line. */
function rig(pending: PendingApproval[] = []) {
  let now = 1_000_000;
  const timers: { at: number; fn: () => void; cancelled: boolean }[] = [];
  const lines: string[] = [];
  const log = new RefusalLog(new Logger((l) => lines.push(l), 'debug'), {
    now: () => now,
    schedule: (fn, ms) => {
      const timer = { at: now + ms, fn, cancelled: false };
      timers.push(timer);
      return () => (timer.cancelled = true);
    },
    pending: () => pending,
    expected: (origin) => origin === 'http://localhost:4173',
    approvalsUrl: 'http://127.0.0.1:8787/approvals',
  });
  const advance = (ms: number) => {
    now += ms;
    for (const t of timers.splice(0)) {
      if (t.cancelled) continue;
      if (t.at <= now) t.fn();
      else timers.push(t);
    }
  };
  return { log, lines, advance };
}

const PENDING: PendingApproval = { id: 'x', origin: 'http://localhost:4173', code: '314159', createdAt: 0 };

describe('refusals under a flood (injected clock, captured log)', () => {
  it('30 s of 10 000 refusals from 7 origins: 10 lines, then one summary with the counts and the pending code', () => {
    const { log, lines, advance } = rig([PENDING]);
    log.approvalRequested(PENDING.origin, PENDING.code);
    for (let i = 0; i < 10_000; i++) {
      log.refused({
        reason: i % 10 === 0 ? 'too many connections' : 'origin not approved',
        origin: `http://o${i % 7}.example`,
        path: '/ws',
      });
      advance(3); // 10 000 in 30 s
    }
    expect(lines).toHaveLength(11);
    advance(30_000); // the minute ends: its summary
    expect(lines.length).toBeLessThanOrEqual(14);
    const summary = lines.find((l) => l.includes('refused upgrades'))!;
    expect(summary).toContain('9990 refused upgrades from 7 origins in the last minute');
    expect(summary).toContain('origin not approved: 8991');
    expect(summary).toContain('too many connections: 999');
    expect(lines.at(-1)).toContain('approval still waiting for http://localhost:4173: code 314159');
  });

  it('ten minutes of refusals: a summary a minute, each repeating the pending code', () => {
    const { log, lines, advance } = rig([PENDING]);
    for (let i = 0; i < 60_000; i++) {
      log.refused({ reason: 'origin not approved', origin: `http://o${i % 3}.example`, path: '/ws' });
      advance(10);
    }
    advance(60_000);
    const summaries = lines.filter((l) => /\d+ refused upgrades from 3 origins in the last minute/.test(l));
    expect(summaries).toHaveLength(10);
    expect(lines.filter((l) => l.includes('code 314159'))).toHaveLength(10);
    expect(lines.length).toBeLessThan(10 * (10 + 2) + 1);
  });

  it('a flood of approval requests: 10 lines a minute, the expected origin always logged, the rest summarised', () => {
    const { log, lines, advance } = rig([PENDING]);
    for (let i = 0; i < 1000; i++) log.approvalRequested(`http://a${i}.flood.example`, String(100000 + i));
    log.approvalRequested(PENDING.origin, PENDING.code);
    advance(60_000);
    expect(lines.filter((l) => l.includes('flood.example'))).toHaveLength(10);
    expect(lines.some((l) => l.includes('approval requested by http://localhost:4173: code 314159'))).toBe(true);
    expect(lines.some((l) => l.includes('990 more approval requests in the last minute'))).toBe(true);
  });

  it('a few refusals: each its own line, no summary', () => {
    const { log, lines, advance } = rig();
    for (let i = 0; i < 5; i++) log.refused({ reason: 'origin not approved', origin: 'http://evil.example', path: '/ws' });
    advance(120_000);
    expect(lines).toHaveLength(5);
    expect(lines.every((l) => l.includes('WebSocket refused'))).toBe(true);
  });
});

const bridges: TestBridge[] = [];
afterEach(async () => {
  await Promise.all(bridges.splice(0).map((b) => b.close()));
});

describe('refusals of a real bridge', () => {
  it('2000 refused upgrades from 40 origins: a bounded log, and the summary arrives at the end of the window', async () => {
    const t = await startTestBridge({ refusalLog: { windowMs: 1500 } });
    bridges.push(t);
    for (let batch = 0; batch < 20; batch++)
      await Promise.all(
        Array.from({ length: 100 }, (_, i) =>
          rawUpgrade(t.port, '/ws', `Host: ${t.host}\r\nOrigin: http://o${(batch * 100 + i) % 40}.evil.example\r\n`),
        ),
      );
    await new Promise((r) => setTimeout(r, 1700));
    const refusalLines = t.lines.filter((l) => l.includes('refused'));
    expect(refusalLines.length).toBeLessThan(40);
    const counted = t.lines
      .map((l) => /(\d+) refused upgrades from/.exec(l)?.[1])
      .filter((n): n is string => n !== undefined)
      .reduce((a, n) => a + Number(n), 0);
    const single = t.lines.filter((l) => l.includes('WebSocket refused')).length;
    expect(counted + single).toBe(2000);
  });
});
