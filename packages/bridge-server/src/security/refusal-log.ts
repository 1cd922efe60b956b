import type { Logger } from '../log.ts';
import type { PendingApproval } from './approvals.ts';

/** How often refusals are summarised, and how many are logged one by one before that. */
export interface RefusalLogOptions {
  /** Length of a summary window (ms). */
  windowMs: number;
  /** Refusals logged as their own line per window; the rest go into the window's summary. */
  linesPerWindow: number;
  /** Approval requests logged as their own lines per window (an expected origin's always are). */
  approvalLinesPerWindow: number;
  /** Pending approvals repeated with each summary, so their codes stay on screen. */
  pendingShown: number;
}

/** The defaults: one summary a minute at most, after the first 10 refusals and 10 approval requests of that minute. */
export const DEFAULT_REFUSAL_LOG: Readonly<RefusalLogOptions> = Object.freeze({
  windowMs: 60_000,
  linesPerWindow: 10,
  approvalLinesPerWindow: 10,
  pendingShown: 5,
});

/** Origins counted per window at most (a flood of made-up origins cannot grow memory without bound). */
const MAX_ORIGINS_COUNTED = 1000;

/** What happens around the log: time, a timer for the summary, the pending approvals to repeat. */
export interface RefusalLogContext {
  now?: () => number;
  /** Runs `fn` after `ms` (default: an unref'd setTimeout); returns a cancel function. */
  schedule?: (fn: () => void, ms: number) => () => void;
  pending: () => PendingApproval[];
  /** Whether the person named this origin as expected: its approval request is always logged. */
  expected?: (origin: string) => boolean;
  /** Where the person approves (`<bridge>/approvals`). */
  approvalsUrl: string;
}

/**
 * The bridge's log of refused connections and of approval requests, bounded: a hostile page making
 * thousands of attempts a second gets a handful of lines and one summary a minute ("412 refused
 * upgrades from 7 origins in the last minute"), while the codes of pending approvals are repeated
 * with each summary so the person can still find the one they are waiting for.
 */
export class RefusalLog {
  private readonly options: RefusalLogOptions;
  private readonly now: () => number;
  private readonly schedule: (fn: () => void, ms: number) => () => void;
  private windowStart: number | undefined;
  private lines = 0;
  private approvalLines = 0;
  private suppressed = 0;
  private suppressedApprovals = 0;
  private readonly origins = new Map<string, number>();
  private readonly reasons = new Map<string, number>();
  private cancelTimer: (() => void) | undefined;

  constructor(
    private readonly log: Logger,
    private readonly context: RefusalLogContext,
    options: Partial<RefusalLogOptions> = {},
  ) {
    this.options = { ...DEFAULT_REFUSAL_LOG, ...options };
    this.now = context.now ?? Date.now;
    this.schedule =
      context.schedule ??
      ((fn, ms) => {
        const t = setTimeout(fn, ms);
        t.unref();
        return () => clearTimeout(t);
      });
  }

  /** One refused WebSocket upgrade: its own line while few this window, else counted into the summary. */
  refused(facts: { reason: string; origin: string; path: string }): void {
    this.roll();
    if (this.lines < this.options.linesPerWindow) {
      this.lines++;
      this.log.warn('WebSocket refused', facts);
      return;
    }
    this.suppressed++;
    this.reasons.set(facts.reason, (this.reasons.get(facts.reason) ?? 0) + 1);
    if (this.origins.has(facts.origin) || this.origins.size < MAX_ORIGINS_COUNTED)
      this.origins.set(facts.origin, (this.origins.get(facts.origin) ?? 0) + 1);
    this.summaryDue();
  }

  /** A page asks for approval: the person must see its origin and code, unless a flood of them would bury the rest. */
  approvalRequested(origin: string, code: string): void {
    this.roll();
    if (this.approvalLines < this.options.approvalLinesPerWindow || this.context.expected?.(origin)) {
      this.approvalLines++;
      this.log.warn(`approval requested by ${origin}: code ${code} — approve at ${this.context.approvalsUrl}`, { origin, code });
      return;
    }
    this.suppressedApprovals++;
    this.summaryDue();
  }

  /** Writes the summary of the window so far (if anything was held back) and starts a new window. */
  flush(): void {
    this.cancelTimer?.();
    this.cancelTimer = undefined;
    const started = this.windowStart;
    this.windowStart = undefined;
    this.lines = 0;
    this.approvalLines = 0;
    if (started === undefined || (this.suppressed === 0 && this.suppressedApprovals === 0)) return;
    const span = describeSpan(this.now() - started);
    if (this.suppressed > 0) {
      const top = [...this.origins.entries()]
        .sort((a, b) => b[1] - a[1])
        .slice(0, 3)
        .map(([o, n]) => `${o} (${n})`)
        .join(', ');
      this.log.warn(
        `${this.suppressed} refused upgrade${this.suppressed === 1 ? '' : 's'} from ${this.origins.size}${this.origins.size >= MAX_ORIGINS_COUNTED ? '+' : ''} origin${this.origins.size === 1 ? '' : 's'} in the last ${span} (not logged one by one)`,
        {
          reasons: [...this.reasons.entries()].map(([r, n]) => `${r}: ${n}`).join(', '),
          most: top,
        },
      );
    }
    if (this.suppressedApprovals > 0)
      this.log.warn(
        `${this.suppressedApprovals} more approval request${this.suppressedApprovals === 1 ? '' : 's'} in the last ${span} (not logged one by one)`,
      );
    const pending = this.context.pending();
    const expected = pending.filter((p) => this.context.expected?.(p.origin));
    const shown = [...expected, ...pending.filter((p) => !expected.includes(p)).reverse()].slice(0, this.options.pendingShown);
    for (const p of shown)
      this.log.warn(`approval still waiting for ${p.origin}: code ${p.code} — approve at ${this.context.approvalsUrl}`, {
        origin: p.origin,
        code: p.code,
      });
    if (pending.length > shown.length)
      this.log.warn(`${pending.length - shown.length} more approval requests waiting — see ${this.context.approvalsUrl}`);
    this.suppressed = 0;
    this.suppressedApprovals = 0;
    this.origins.clear();
    this.reasons.clear();
  }

  /** Stops the summary timer (the bridge is stopping). */
  close(): void {
    this.cancelTimer?.();
    this.cancelTimer = undefined;
  }

  // A window that has run its length ends (with its summary) before the next event counts.
  private roll(): void {
    const t = this.now();
    if (this.windowStart !== undefined && t - this.windowStart >= this.options.windowMs) this.flush();
    this.windowStart ??= t;
  }

  // Something was held back: the summary comes at the window's end even if nothing else happens.
  private summaryDue(): void {
    if (this.cancelTimer || this.windowStart === undefined) return;
    this.cancelTimer = this.schedule(
      () => {
        this.cancelTimer = undefined;
        this.flush();
      },
      Math.max(0, this.windowStart + this.options.windowMs - this.now()),
    );
  }
}

function describeSpan(ms: number): string {
  if (ms >= 59_000 && ms <= 61_000) return 'minute';
  return ms >= 60_000 ? `${Math.round(ms / 60_000)} minutes` : `${Math.max(1, Math.round(ms / 1000))} s`;
}
