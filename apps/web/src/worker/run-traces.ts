import {
  TranscriptRecorder,
  type FetchLike,
  type TraceEvent,
  type TranscriptEvent,
  type TranscriptIdentity,
} from '@krypton-web/krypton-core';
import type { RunTrace } from './api.ts';

// A few runs back is what a person reports; a long session must not grow without bound.
const KEPT_RUNS = 5;
// A link's opening is a few dozen events; a bound keeps a misbehaving modem's chatter from growing without end.
const MAX_OPENING_EVENTS = 2000;

/**
 * What the worker records of each link, as krypton-cli's `-record` does (transcript v1, core's
 * recorder): the tracer's steps, APDUs and HTTP calls, and a modem's AT lines, all masked at the
 * source. A run's file holds how the link was opened (the SELECTs and reads a replay must answer,
 * the modem's identity) and then the run itself; what happens between runs (status polls) is not
 * kept, so a long session stays small. The last few runs' files are kept for the page's trace view
 * and "Download trace".
 */
export class RunTraces {
  private link: LinkRecording | undefined;
  private previous: LinkRecording | undefined;
  private readonly runs = new Map<number, RunTrace>();

  /** Starts the recording of a link about to open; the previous link's recording ends. */
  startLink(identity: TranscriptIdentity): void {
    this.previous = this.link;
    this.link = new LinkRecording(identity);
  }

  /** The link did not open: the link still attached goes on with its own recording. */
  openFailed(): void {
    this.link = this.previous;
    this.previous = undefined;
  }

  /** Adds what became known once the link opened (a modem's maker, model, firmware, IMEI). */
  identify(identity: Partial<TranscriptIdentity>): void {
    this.link?.recorder.identify(identity);
  }

  /** A trace sink: krypton-core's events, already masked by core. */
  trace(event: TraceEvent): void {
    this.link?.recorder.trace(event);
  }

  /** One AT line to or from the modem; the recorder masks it before keeping it. */
  at(dir: 'send' | 'recv', line: string): void {
    this.link?.recorder.at(dir, line);
  }

  /** A fetch whose calls the open link's recording notes with their header names (the link may change under it). */
  wrapFetch(inner: FetchLike): FetchLike {
    return (input, init) => {
      const recorder = this.link?.recorder;
      return recorder ? recorder.wrapFetch(inner)(input, init) : inner(input, init);
    };
  }

  /** Marks where a run starts, in the file too (support reads the note, the page the index). */
  runStarted(run: number): void {
    this.link?.runStarted(run);
  }

  /** Keeps the run's file as it stands at its end, failed or not. */
  runEnded(run: number): void {
    const trace = this.link?.runEnded(run);
    if (!trace) return;
    this.runs.set(run, trace);
    for (const old of this.runs.keys()) if (this.runs.size > KEPT_RUNS) this.runs.delete(old);
  }

  /** The transcript kept for a run, or undefined when it was never recorded or is too old. */
  runTrace(run: number): RunTrace | undefined {
    return this.runs.get(run);
  }
}

/** One link's recorder, with the events of its opening and of the run under way. */
class LinkRecording {
  readonly recorder: TranscriptRecorder;
  private readonly opening: string[] = [];
  private run: { id: number; events: string[] } | undefined;
  private ranOnce = false;

  constructor(identity: TranscriptIdentity) {
    this.recorder = new TranscriptRecorder({ tool: toolName(), identity, retain: false, onEvent: (e) => this.keep(e) });
  }

  runStarted(id: number): void {
    this.run = { id, events: [] };
    this.recorder.note(`Authenticate pressed: run ${id} starts here`);
  }

  runEnded(id: number): RunTrace | undefined {
    const run = this.run;
    if (run?.id !== id) return undefined;
    this.run = undefined;
    this.ranOnce = true;
    // The recorder's header line (identity as known now) and its events, one JSON line each, as the bridge appends them.
    const lines = [this.recorder.headerLine(), ...this.opening, ...run.events];
    return { jsonl: `${lines.join('\n')}\n`, firstRunEvent: this.opening.length };
  }

  private keep(event: TranscriptEvent): void {
    if (this.run) this.run.events.push(JSON.stringify(event));
    else if (!this.ranOnce && this.opening.length < MAX_OPENING_EVENTS) this.opening.push(JSON.stringify(event));
  }
}

// The browser says which browser and system ran it: what support asks first.
function toolName(): string {
  const agent = typeof navigator === 'undefined' ? 'unknown browser' : navigator.userAgent;
  return `krypton-web (${agent})`;
}
