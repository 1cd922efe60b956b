import type { MiddlewareHandler } from 'hono';
import type { LabClock } from './lab-clock.ts';

/** Which emulated service a fault applies to. */
export type LabService = 'keys' | 'provisioning' | 'cellular' | 'cognito' | 's3';

/** Faults the lab injects so tests and benchmarks can see the product cope with a bad day. */
export interface FaultSettings {
  /** Added before every answer, in milliseconds. */
  latencyMs: number;
  /** Fraction (0..1) of requests answered with `errorStatus` instead of being served. */
  errorRate: number;
  /** Status of injected errors (5xx by default). */
  errorStatus: number;
  /** Services the error rate applies to; empty means all. */
  errorServices: LabService[];
}

/** Mutable fault settings shared by every lab service; read on each request. */
export class Faults implements FaultSettings {
  latencyMs = 0;
  errorRate = 0;
  errorStatus = 503;
  errorServices: LabService[] = [];
  /** Source of randomness for the error rate; replaceable so tests can be deterministic. */
  random: () => number = Math.random;

  /** Applies a partial update, validating each field. */
  update(patch: Partial<FaultSettings>): void {
    if (patch.latencyMs !== undefined) this.latencyMs = checkRange('latencyMs', patch.latencyMs, 0, 60_000);
    if (patch.errorRate !== undefined) this.errorRate = checkRange('errorRate', patch.errorRate, 0, 1);
    if (patch.errorStatus !== undefined) this.errorStatus = checkRange('errorStatus', patch.errorStatus, 400, 599);
    if (patch.errorServices !== undefined) this.errorServices = [...patch.errorServices];
  }

  /** The current settings as plain data. */
  snapshot(): FaultSettings {
    return { latencyMs: this.latencyMs, errorRate: this.errorRate, errorStatus: this.errorStatus, errorServices: [...this.errorServices] };
  }

  /** Whether this request to `service` should fail. */
  shouldFail(service: LabService): boolean {
    if (this.errorRate <= 0) return false;
    if (this.errorServices.length > 0 && !this.errorServices.includes(service)) return false;
    return this.random() < this.errorRate;
  }
}

function checkRange(name: string, value: number, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max) {
    throw new RangeError(`${name} must be a number from ${min} to ${max}`);
  }
  return value;
}

/** Sleeps for `ms` milliseconds (no timer at all for 0, so the fast path stays fast). */
export function delay(ms: number): Promise<void> {
  return ms > 0 ? new Promise((resolve) => setTimeout(resolve, ms)) : Promise.resolve();
}

/**
 * Middleware every lab service runs first: the added latency, the injected errors, and a `Date`
 * header from the lab clock (clients measure clock skew from it, as they would against SORACOM).
 */
export function faultMiddleware(service: LabService, faults: Faults, clock: LabClock): MiddlewareHandler {
  return async (c, next) => {
    await delay(faults.latencyMs);
    if (c.req.method !== 'OPTIONS' && faults.shouldFail(service)) {
      c.header('Date', clock.date().toUTCString());
      return c.json(
        { code: 'LAB0503', message: `Injected fault: the lab answered ${faults.errorStatus} on purpose` },
        faults.errorStatus as 503,
      );
    }
    await next();
    c.res.headers.set('Date', clock.date().toUTCString());
  };
}
