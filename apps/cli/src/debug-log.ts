import { REDACTED, type TraceEvent } from '@krypton-web/krypton-core';

/**
 * What -debug prints on stderr: the CLI's own notes and krypton-core's trace (steps, one line per
 * APDU and per HTTP call). Core redacts at the source — no CK, IK, Kc, RES, PIN or token reaches an
 * event — and the CLI adds nothing secret: no keys, no request or answer bodies.
 */
export class DebugLog {
  private readonly start: number;

  constructor(
    private readonly write: (text: string) => void,
    private readonly clock: () => number = () => performance.now(),
  ) {
    this.start = clock();
  }

  /** One note. */
  log(message: string): void {
    const t = Math.round(this.clock() - this.start);
    for (const line of message.split('\n')) this.write(`krypton-cli [debug +${t}ms] ${line}\n`);
  }

  /** A trace sink for krypton-core's Tracer. */
  readonly trace = (event: TraceEvent): void => {
    this.log(formatTraceEvent(event));
  };
}

/** One trace event as one line. */
export function formatTraceEvent(event: TraceEvent): string {
  const ms = (d: number) => `${Math.round(d)} ms`;
  switch (event.type) {
    case 'step-start':
      return `step ${event.step}: started`;
    case 'step-end': {
      const note = event.note ? ` (${event.note})` : '';
      const failure = event.failure ? `: ${event.failure.code} ${event.failure.message}` : '';
      return `step ${event.step}: ${event.ok ? 'done' : 'failed'} in ${ms(event.durationMs)}${note}${failure}`;
    }
    case 'apdu':
      return `  APDU ${upperHex(event.command)} -> ${upperHex(event.response)} (${ms(event.durationMs)})`;
    case 'http': {
      const outcome =
        event.status !== undefined ? `HTTP ${event.status}` : `${event.failure?.code ?? 'failed'}: ${event.failure?.message ?? ''}`;
      return `  ${event.method} ${event.url} -> ${outcome} (${ms(event.durationMs)})`;
    }
  }
}

/** Hex in capitals, as APDUs are usually written; the redaction marker left as it is. */
function upperHex(text: string): string {
  return text
    .split(REDACTED)
    .map((part) => part.toUpperCase())
    .join(REDACTED);
}
