import { TranscriptRecorder, type TraceEvent, type TranscriptIdentity } from '@krypton-web/krypton-core';
import type { RunTrace } from './api.ts';

// A few runs back is what a person reports; a long session must not grow without bound.
const KEPT_RUNS = 5;

/**
 * What the worker records of each link, as krypton-cli's `-record` does (transcript v1, core's
 * recorder): the tracer's steps, APDUs and HTTP calls, and a modem's AT lines, all masked at the
 * source. A recording starts when a link starts opening, so a run's file also holds how the link was
 * opened (the SELECTs and reads the replay must answer); at the end of each Authenticate run the file
 * so far is kept for that run, for the page's trace view and "Download trace".
 */
export class RunTraces {
  private recorder: TranscriptRecorder | undefined;
  private previous: TranscriptRecorder | undefined;
  private runStart: { run: number; index: number } | undefined;
  private readonly runs = new Map<number, RunTrace>();

  /** Starts the recording of a link about to open; the previous link's recording ends. */
  startLink(identity: TranscriptIdentity): void {
    this.previous = this.recorder;
    this.recorder = new TranscriptRecorder({ tool: toolName(), identity });
    this.runStart = undefined;
  }

  /** The link did not open: the link still attached goes on with its own recording. */
  openFailed(): void {
    this.recorder = this.previous;
    this.previous = undefined;
  }

  /** Adds what became known once the link opened (a modem's maker, model, firmware, IMEI). */
  identify(identity: Partial<TranscriptIdentity>): void {
    this.recorder?.identify(identity);
  }

  /** A trace sink: krypton-core's events, already masked by core. */
  trace(event: TraceEvent): void {
    this.recorder?.trace(event);
  }

  /** One AT line to or from the modem; the recorder masks it before keeping it. */
  at(dir: 'send' | 'recv', line: string): void {
    this.recorder?.at(dir, line);
  }

  /** Marks where a run starts, in the file too (support reads the note, the page the index). */
  runStarted(run: number): void {
    const recorder = this.recorder;
    if (!recorder) return;
    this.runStart = { run, index: eventCount(recorder) };
    recorder.note(`Authenticate pressed: run ${run} starts here`);
  }

  /** Keeps the file as it stands at the end of the run, failed or not. */
  runEnded(run: number): void {
    const recorder = this.recorder;
    if (!recorder || this.runStart?.run !== run) return;
    this.runs.set(run, { jsonl: recorder.toJsonl(), firstRunEvent: this.runStart.index });
    this.runStart = undefined;
    for (const old of this.runs.keys()) if (this.runs.size > KEPT_RUNS) this.runs.delete(old);
  }

  /** The transcript kept for a run, or undefined when it was never recorded or is too old. */
  runTrace(run: number): RunTrace | undefined {
    return this.runs.get(run);
  }
}

function eventCount(recorder: TranscriptRecorder): number {
  return Object.values(recorder.counts()).reduce((a, b) => a + b, 0);
}

// The browser says which browser and system ran it: what support asks first.
function toolName(): string {
  const agent = typeof navigator === 'undefined' ? 'unknown browser' : navigator.userAgent;
  return `krypton-web (${agent})`;
}
