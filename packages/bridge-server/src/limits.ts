/** A token bucket's shape: `burst` actions at once, refilled at `perMinute`. */
export interface RateSpec {
  burst: number;
  perMinute: number;
}

/**
 * Every rate, size and time limit the bridge enforces, in one place. Each has a safe default; tests
 * shorten the timeouts (and a conformance run may widen a rate) through `startBridge({ limits })`.
 */
export interface BridgeLimits {
  /** WebSocket upgrades (`/ws` and `/pair`), per origin. */
  connects: RateSpec;
  /** Approval requests (`/pair`), per origin. */
  pairings: RateSpec;
  /** Session opens, per origin and reader (names no reader has share one bucket per origin). */
  opens: RateSpec;
  /** AUTHENTICATE commands, per reader (so opening new sessions does not refill it). */
  authenticates: RateSpec;
  /** A `/ws` connection must say hello within this long (ms). */
  helloMs: number;
  /** A `/ws` connection that sends nothing for this long is closed (ms), freeing its reader. */
  idleMs: number;
  /** The whole request head must arrive within this long (ms): slow-header clients are dropped. */
  headersTimeoutMs: number;
  /** A whole request must arrive within this long (ms). */
  requestTimeoutMs: number;
  /** How often Node checks the two timeouts above (ms). */
  timeoutCheckMs: number;
  /** How long a Krypton call through the proxy may take (ms). */
  upstreamTimeoutMs: number;
  /** How long `close()` lets WebSocket peers answer the close handshake before cutting them off (ms). */
  closeGraceMs: number;
}

/** The limits a bridge runs with unless told otherwise. */
export const DEFAULT_LIMITS: Readonly<BridgeLimits> = Object.freeze({
  connects: { burst: 20, perMinute: 60 },
  pairings: { burst: 3, perMinute: 6 },
  opens: { burst: 10, perMinute: 30 },
  authenticates: { burst: 5, perMinute: 30 },
  helloMs: 10_000,
  idleMs: 15 * 60_000,
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 30_000,
  timeoutCheckMs: 1_000,
  upstreamTimeoutMs: 20_000,
  closeGraceMs: 1_000,
});

/** The defaults with some limits replaced; refuses values that would switch a limit off. */
export function resolveLimits(overrides: Partial<BridgeLimits> = {}): BridgeLimits {
  const limits = { ...DEFAULT_LIMITS, ...overrides };
  for (const key of ['connects', 'pairings', 'opens', 'authenticates'] as const) {
    const r = limits[key];
    if (!(Number.isFinite(r.burst) && r.burst >= 1 && Number.isFinite(r.perMinute) && r.perMinute > 0))
      throw new Error(`limits.${key} needs a finite burst >= 1 and perMinute > 0`);
  }
  for (const key of [
    'helloMs',
    'idleMs',
    'headersTimeoutMs',
    'requestTimeoutMs',
    'timeoutCheckMs',
    'upstreamTimeoutMs',
    'closeGraceMs',
  ] as const) {
    if (!(Number.isFinite(limits[key]) && limits[key] > 0)) throw new Error(`limits.${key} must be a positive number of milliseconds`);
  }
  return limits;
}
