import type { KryptonError } from '../errors/index.ts';
import type { StepName, StepNote, TraceEvent, TraceFailure, TraceSink } from './trace-event.ts';

/** Clock the tracer reads; replaceable in tests. */
export type Now = () => number;

/** Records steps with their durations and hands every event to a sink; a no-op sink costs nothing. */
export class Tracer {
  private current: StepName | undefined;

  constructor(
    private readonly sink: TraceSink = () => undefined,
    private readonly now: Now = () => performance.now(),
  ) {}

  /** The step running now (APDU and HTTP events are attributed to it). */
  get step(): StepName | undefined {
    return this.current;
  }

  /** Runs `fn` as a named step, emitting its start, end, duration and failure. */
  async run<T>(step: StepName, fn: () => Promise<T>, note?: (result: T) => StepNote | undefined): Promise<T> {
    const outer = this.current;
    this.current = step;
    const start = this.now();
    this.emit({ type: 'step-start', step, at: Date.now() });
    try {
      const result = await fn();
      const n = note?.(result);
      const noted = n ? { note: n.text, noteCode: n.code, ...(n.facts ? { noteFacts: n.facts } : {}) } : {};
      this.emit({ type: 'step-end', step, at: Date.now(), durationMs: this.now() - start, ok: true, ...noted });
      return result;
    } catch (e) {
      this.emit({ type: 'step-end', step, at: Date.now(), durationMs: this.now() - start, ok: false, failure: failureOf(e) });
      throw e;
    } finally {
      this.current = outer;
    }
  }

  /** Emits one event (already redacted by the caller). */
  emit(event: TraceEvent): void {
    try {
      this.sink(event);
    } catch {
      // A broken sink (a UI that went away) must not break an authentication.
    }
  }

  /** Milliseconds since `start` on the tracer's clock. */
  since(start: number): number {
    return this.now() - start;
  }

  /** The tracer's clock. */
  clock(): number {
    return this.now();
  }
}

/** The code and message of any thrown value, for a trace. */
export function failureOf(e: unknown): TraceFailure {
  const err = e as Partial<KryptonError> | undefined;
  return {
    code: typeof err?.code === 'string' ? err.code : 'UNEXPECTED',
    message: typeof err?.message === 'string' ? err.message : String(e),
  };
}
