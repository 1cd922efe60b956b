import { parseTranscript, REDACTED, type StepName, type Transcript, type TranscriptEvent } from '@krypton-web/krypton-core';
import type { RunTrace } from '../worker/api.ts';

/** One row of a run's trace view; `at` is ms epoch, `step` the step it belongs to when known. */
export type TraceRow = { at: number; step?: StepName } & (
  | { kind: 'apdu'; name: string; command: string; sw?: number; durationMs: number }
  | { kind: 'at'; dir: 'send' | 'recv'; line: string }
  | { kind: 'http'; method: string; host: string; path: string; status?: number; failure?: string; durationMs: number }
  | { kind: 'step'; ok: boolean; failure?: string; durationMs?: number }
);

/** A run's trace, read back from the file the worker kept: what the view shows is what the download holds. */
export interface ReadRunTrace {
  transcript: Transcript;
  /** How the link was opened (the SIM's and modem's first exchanges), before the run. */
  opening: TraceRow[];
  /** The run's own rows. */
  rows: TraceRow[];
  /** ms epoch the run started. */
  startedAt: number;
}

const STEPS: ReadonlySet<string> = new Set<StepName>([
  'imsi',
  'pin',
  'key-agreement',
  'authenticate',
  'resync',
  'verify',
  'provisioning',
  'cognito',
]);

/** Parses a run's trace (defensively, as any transcript) and turns the run's events into rows. */
export function readRunTrace(trace: RunTrace): ReadRunTrace {
  const transcript = parseTranscript(trace.jsonl);
  const origin = Date.parse(transcript.header.recordedAt);
  const own = transcript.events.slice(trace.firstRunEvent);
  const steps = new StepTracker();
  return {
    transcript,
    opening: transcript.events.slice(0, trace.firstRunEvent).flatMap((e) => rowOf(e, origin, steps)),
    rows: own.flatMap((e) => rowOf(e, origin, steps)),
    startedAt: origin + (own[0]?.t ?? 0),
  };
}

/** The step running at each point of the file: AT lines carry none of their own, but happen inside one. */
class StepTracker {
  private readonly open: string[] = [];

  /** The step an event belongs to: its own, or the innermost one running. */
  stepOf(e: TranscriptEvent): string | undefined {
    if (e.type === 'step' && e.phase === 'start') this.open.push(e.step);
    const own = 'step' in e ? e.step : undefined;
    const step = own ?? this.open.at(-1);
    const ended = e.type === 'step' && e.phase === 'end' ? this.open.lastIndexOf(e.step) : -1;
    if (ended >= 0) this.open.splice(ended, 1);
    return step;
  }
}

function rowOf(e: TranscriptEvent, origin: number, steps: StepTracker): TraceRow[] {
  const at = origin + e.t;
  const name = steps.stepOf(e);
  const step = name !== undefined && STEPS.has(name) ? { step: name as StepName } : {};
  switch (e.type) {
    case 'apdu': {
      const sw = statusWordOf(e.response);
      return [
        {
          at,
          ...step,
          kind: 'apdu',
          name: apduName(e.command),
          command: e.command,
          ...(sw === undefined ? {} : { sw }),
          durationMs: e.durationMs,
        },
      ];
    }
    case 'at':
      return [{ at, ...step, kind: 'at', dir: e.dir, line: e.line }];
    case 'http': {
      const { host, path } = hostAndPath(e.url);
      return [
        {
          at,
          ...step,
          kind: 'http',
          method: e.method,
          host,
          path,
          ...(e.status === undefined ? {} : { status: e.status }),
          ...(e.failure === undefined ? {} : { failure: e.failure }),
          durationMs: e.durationMs,
        },
      ];
    }
    case 'step':
      if (e.phase !== 'end') return [];
      return [
        {
          at,
          ...step,
          kind: 'step',
          ok: e.ok !== false,
          ...(e.failure === undefined ? {} : { failure: e.failure }),
          ...(e.durationMs === undefined ? {} : { durationMs: e.durationMs }),
        },
      ];
    case 'note':
      return [];
  }
}

/** The status word at the end of a response in hex (a masked answer keeps its status word). */
export function statusWordOf(response: string): number | undefined {
  const hex = response.slice(-4);
  return /^[0-9A-Fa-f]{4}$/.test(hex) ? parseInt(hex, 16) : undefined;
}

// Files a USIM session reads, by file identifier and by short file identifier (TS 102 221, TS 31.102).
const FILES: Record<string, string> = { '3F00': 'MF', '7FFF': 'ADF USIM', '6F07': 'EF_IMSI', '2FE2': 'EF_ICCID', '2F00': 'EF_DIR' };
const SFI: Record<number, string> = { 0x07: 'EF_IMSI', 0x02: 'EF_ICCID' };
const USIM_AID = 'A0000000871002';

/** The command's name as the specifications call it, with what it selects or reads: "SELECT USIM", "READ BINARY EF_IMSI". */
export function apduName(command: string): string {
  const hex = command.toUpperCase();
  const ins = hex.slice(2, 4);
  const p1 = parseInt(hex.slice(4, 6), 16);
  const p2 = hex.slice(6, 8);
  const data = hex.length > 10 && !hex.includes(REDACTED.toUpperCase()) ? hex.slice(10, 10 + parseInt(hex.slice(8, 10), 16) * 2) : '';
  switch (ins) {
    case 'A4': {
      if (p1 === 0x04) return data.startsWith(USIM_AID) ? 'SELECT USIM' : `SELECT AID ${data}`;
      const fid = data.slice(-4);
      return `SELECT ${FILES[fid] ?? fid}`;
    }
    case 'B0':
      return p1 & 0x80 ? `READ BINARY ${SFI[p1 & 0x1f] ?? `SFI ${(p1 & 0x1f).toString(16).toUpperCase()}`}` : 'READ BINARY';
    case 'B2':
      return `READ RECORD ${p1}`;
    case 'C0':
      return 'GET RESPONSE';
    case '88':
      return 'AUTHENTICATE';
    case '20':
      return p2 === '81' ? 'VERIFY PIN2' : 'VERIFY PIN';
    case '2C':
      return 'UNBLOCK PIN';
    case '24':
      return 'CHANGE PIN';
    case '26':
      return 'DISABLE PIN';
    case '28':
      return 'ENABLE PIN';
    case 'F2':
      return 'STATUS';
    case '70':
      return 'MANAGE CHANNEL';
    default:
      return `INS ${ins}`;
  }
}

function hostAndPath(url: string): { host: string; path: string } {
  try {
    const u = new URL(url);
    return { host: u.host, path: u.pathname };
  } catch {
    return { host: '', path: url };
  }
}

/** The file name of a run's trace: the time it started (UTC, sortable), nothing about the SIM. */
export function traceFileName(startedAt: number): string {
  const stamp = new Date(startedAt)
    .toISOString()
    .replace(/\.\d{3}Z$/, 'Z')
    .replace(/:/g, '-');
  return `krypton-trace-${stamp}.jsonl`;
}
