import type { SimConnection } from '../links/sim-connection.ts';

/** What a lane (a reader, a modem) asks of the batch. */
export interface LaneHost {
  /** A lane exists (its name sets the width of the lane column). */
  addLane(name: string): void;
  /**
   * Checks the SIM on an opened connection, closes the connection (a lane that keeps its link open
   * across SIMs, as a modem's, passes a close that does nothing), then records the outcome;
   * `cardSignal` aborts when the SIM leaves.
   */
  check(lane: string, connection: SimConnection, cardSignal: AbortSignal): Promise<void>;
  /** A notice on stderr, about one lane or (lane undefined) the run. */
  notice(lane: string | undefined, text: string): void;
}

/** Resolves when `signal` aborts (at once if it has). */
export function aborted(signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
}
