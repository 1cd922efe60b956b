/**
 * A personality of the lab's S3 that AWS never shows: a server that ignores the Range header of an
 * object GET and answers 200 with the whole object, no Content-Range. Some S3-compatible servers and
 * proxies in between do, and a client reading a download in ranges must refuse such an answer
 * instead of saving the whole object where one part belongs.
 */

/** Whether ranged GETs are answered whole, as the control API takes it. */
export interface IgnoreRangeSettings {
  enabled: boolean;
  /** Ranged GETs still to pass untouched first (a download's first range succeeds, its later ones meet the personality). */
  skip?: number | undefined;
}

/** The personality as the control API shows it. */
export interface IgnoreRangeState {
  enabled: boolean;
  /** Ranged GETs still to pass untouched before the personality applies. */
  skip: number;
  /** Ranged GETs answered whole so far. */
  ignored: number;
}

/** Mutable, shared by every gate request; read per request, so a change applies to the next one. */
export class RangePersonality {
  private enabled = false;
  private skip = 0;
  private ignored = 0;

  constructor(initial?: IgnoreRangeSettings) {
    if (initial !== undefined) this.set(initial);
  }

  /** Turns the personality on or off; `skip` (default 0) lets that many ranged GETs through first. RangeError names a bad field. */
  set(settings: IgnoreRangeSettings): void {
    if (typeof settings.enabled !== 'boolean') throw new RangeError('enabled must be true or false');
    const skip = settings.skip ?? 0;
    if (typeof skip !== 'number' || !Number.isInteger(skip) || skip < 0 || skip > 1000)
      throw new RangeError('skip must be a whole number from 0 to 1000');
    this.enabled = settings.enabled;
    this.skip = skip;
  }

  /** The settings and how many ranged GETs were answered whole. */
  snapshot(): IgnoreRangeState {
    return { enabled: this.enabled, skip: this.skip, ignored: this.ignored };
  }

  /** Whether this ranged object GET is answered whole (one of `skip` passes first). */
  takeIgnore(): boolean {
    if (!this.enabled) return false;
    if (this.skip > 0) {
      this.skip--;
      return false;
    }
    this.ignored++;
    return true;
  }
}
