import type { FetchLike } from '../http/index.ts';
import { redactUrl } from '../trace/redact.ts';
import type { TraceEvent, TraceSink } from '../trace/trace-event.ts';
import { AtMasker, upperHex } from './mask-at.ts';
import {
  TRANSCRIPT_FORMAT,
  TRANSCRIPT_VERSION,
  type TranscriptEvent,
  type TranscriptHeader,
  type TranscriptIdentity,
} from './transcript.ts';

/** What a recorder is told when it starts. */
export interface TranscriptRecorderOptions {
  tool: string;
  identity: TranscriptIdentity;
  args?: readonly string[];
  /** Milliseconds clock for `t` and durations; performance.now by default. */
  now?: () => number;
  /** Called with each event as it is recorded, for a writer that appends as it goes (a crash then loses nothing written). */
  onEvent?: (event: TranscriptEvent) => void;
  /** Keep the events for `toJsonl()` (default true); a long-running appender sets false so memory stays flat. */
  retain?: boolean;
}

/**
 * Collects one run into a transcript: the tracer's steps and APDUs (already masked by core), HTTP
 * calls through `wrapFetch` (method, URL without query, status, header names — no values, no
 * bodies) and AT lines through `at` (masked here). `toJsonl()` gives the file's text.
 */
export class TranscriptRecorder {
  private readonly header: TranscriptHeader;
  private readonly events: TranscriptEvent[] = [];
  private readonly counted: Record<TranscriptEvent['type'], number> = { step: 0, apdu: 0, http: 0, at: 0, note: 0 };
  private readonly now: () => number;
  private readonly start: number;
  private readonly masker = new AtMasker();
  private readonly steps: string[] = [];
  // A call the wrapped fetch recorded (it sees header names) is recorded once: the tracer's copy of it is
  // dropped. Calls that did not go through the wrapper (Cognito's, through the AWS SDK) keep the tracer's.
  private readonly fromFetch = new Map<string, number>();
  private readonly onEvent: ((event: TranscriptEvent) => void) | undefined;
  private readonly retain: boolean;

  constructor(options: TranscriptRecorderOptions) {
    this.now = options.now ?? (() => performance.now());
    this.onEvent = options.onEvent;
    this.retain = options.retain ?? true;
    this.start = this.now();
    this.header = {
      format: TRANSCRIPT_FORMAT,
      version: TRANSCRIPT_VERSION,
      recordedAt: new Date().toISOString(),
      tool: options.tool,
      identity: { ...options.identity },
      ...(options.args ? { args: [...options.args] } : {}),
    };
  }

  /** Fills in what became known about the link once it opened (reader, ATR, modem). */
  identify(identity: Partial<TranscriptIdentity>): void {
    Object.assign(this.header.identity, identity);
  }

  /** A trace sink for krypton-core's Tracer. */
  readonly trace: TraceSink = (event: TraceEvent): void => {
    const t = this.elapsed();
    switch (event.type) {
      case 'step-start':
        this.steps.push(event.step);
        this.add({ type: 'step', t, step: event.step, phase: 'start' });
        return;
      case 'step-end':
        this.steps.pop();
        this.add({
          type: 'step',
          t,
          step: event.step,
          phase: 'end',
          ok: event.ok,
          durationMs: round(event.durationMs),
          ...(event.failure ? { failure: `${event.failure.code}: ${event.failure.message}` } : {}),
        });
        return;
      case 'apdu':
        this.add({
          type: 'apdu',
          t,
          ...(event.step ? { step: event.step } : {}),
          command: upperHex(event.command),
          response: upperHex(event.response),
          durationMs: round(event.durationMs),
        });
        return;
      case 'http': {
        const key = callKey(event.method, redactUrl(event.url));
        const pending = this.fromFetch.get(key) ?? 0;
        if (pending > 0) {
          if (pending === 1) this.fromFetch.delete(key);
          else this.fromFetch.set(key, pending - 1);
          return;
        }
        this.add({
          type: 'http',
          t,
          ...(event.step ? { step: event.step } : {}),
          method: event.method,
          url: redactUrl(event.url),
          ...(event.status !== undefined ? { status: event.status } : {}),
          requestHeaders: [],
          responseHeaders: [],
          durationMs: round(event.durationMs),
          ...(event.failure ? { failure: `${event.failure.code}: ${event.failure.message}` } : {}),
        });
        return;
      }
    }
  };

  /**
   * A fetch that records each call's method, URL (no query), status, header names and time; the
   * tracer's event for the same call (core's HTTP client emits one) is then not recorded twice.
   */
  wrapFetch(inner: FetchLike): FetchLike {
    return async (input, init) => {
      const started = this.now();
      const t = this.elapsed();
      const step = this.steps.at(-1);
      const url = input;
      const method = (init.method ?? 'GET').toUpperCase();
      const requestHeaders = headerNames(new Headers(init.headers));
      const key = callKey(method, redactUrl(url));
      const recorded = (): void => void this.fromFetch.set(key, (this.fromFetch.get(key) ?? 0) + 1);
      try {
        const response = await inner(input, init);
        this.add({
          type: 'http',
          t,
          ...(step ? { step } : {}),
          method,
          url: redactUrl(url),
          status: response.status,
          requestHeaders,
          responseHeaders: headerNames(response.headers),
          durationMs: round(this.now() - started),
        });
        recorded();
        return response;
      } catch (e) {
        this.add({
          type: 'http',
          t,
          ...(step ? { step } : {}),
          method,
          url: redactUrl(url),
          requestHeaders,
          responseHeaders: [],
          durationMs: round(this.now() - started),
          failure: e instanceof Error ? e.name : 'failed',
        });
        recorded();
        throw e;
      }
    };
  }

  /** One AT line sent to or received from a modem, masked before it is kept. */
  at(dir: 'send' | 'recv', line: string): void {
    this.add({ type: 'at', t: this.elapsed(), dir, line: this.masker.mask(line, dir) });
  }

  /** A free note (what the recorder could not otherwise say); must hold nothing secret. */
  note(text: string): void {
    this.add({ type: 'note', t: this.elapsed(), text });
  }

  /** How many events of each type were recorded. */
  counts(): Record<TranscriptEvent['type'], number> {
    return { ...this.counted };
  }

  /** The header as its JSON line (without the line break), for a writer that appends events as they come. */
  headerLine(): string {
    return JSON.stringify(this.header);
  }

  /** The transcript as JSON Lines: the header, then one event per line (none when `retain` is false). */
  toJsonl(): string {
    return [this.header, ...this.events].map((o) => JSON.stringify(o)).join('\n') + '\n';
  }

  private add(event: TranscriptEvent): void {
    this.counted[event.type]++;
    if (this.retain) this.events.push(event);
    this.onEvent?.(event);
  }

  private elapsed(): number {
    return round(this.now() - this.start);
  }
}

function callKey(method: string, url: string): string {
  return `${method.toUpperCase()} ${url}`;
}

function headerNames(headers: Headers): string[] {
  return [...headers.keys()].map((k) => k.toLowerCase()).sort();
}

function round(ms: number): number {
  return Math.round(ms * 10) / 10;
}
