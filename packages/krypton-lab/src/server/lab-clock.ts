/**
 * The lab's notion of "now". Every emulated service reads time from here, so a test can skew the
 * whole cloud side (timestamps checked, tokens issued, Date headers, SigV4) by one offset.
 */
export class LabClock {
  /** Milliseconds added to the machine's clock; positive means the lab runs ahead. */
  offsetMs = 0;

  /** The lab's current time in milliseconds since the epoch. */
  now(): number {
    return Date.now() + this.offsetMs;
  }

  /** The lab's current time as a Date. */
  date(): Date {
    return new Date(this.now());
  }
}
