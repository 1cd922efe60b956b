import {
  CHECK_STEPS,
  corsOf,
  type CheckProblem,
  type CheckResult,
  type CheckStep,
  type StepResult,
  type StepStatus,
  type Verdict,
} from './check-result.ts';

/** The report's columns, in order. */
export const REPORT_COLUMNS = [
  'time',
  'lane',
  'iccid',
  'imsi',
  'group',
  'result',
  'step',
  'code',
  'durationMs',
  'message',
  'action',
] as const;
/** A column of the report. */
export type ReportColumn = (typeof REPORT_COLUMNS)[number];

/** Column headings in English (the web app passes its own language's). */
export const ENGLISH_HEADINGS: Record<ReportColumn, string> = {
  time: 'time',
  lane: 'lane',
  iccid: 'ICCID',
  imsi: 'IMSI',
  group: 'group',
  result: 'result',
  step: 'failing step',
  code: 'code',
  durationMs: 'duration (ms)',
  message: 'message',
  action: 'what to do',
};

/**
 * The rows a report shows: one per SIM, its latest check (a recheck replaces the earlier row), in
 * the order the SIMs were first checked. A check that never learned its ICCID keeps a row of its own.
 */
export function reportRows(results: readonly CheckResult[]): CheckResult[] {
  const bySim = new Map<string, { first: number; latest: CheckResult }>();
  for (const r of results) {
    const key = r.iccid ? `iccid:${r.iccid}` : `id:${r.id}`;
    const seen = bySim.get(key);
    if (!seen) bySim.set(key, { first: r.startedAt, latest: r });
    else if (r.startedAt >= seen.latest.startedAt) seen.latest = r;
  }
  return [...bySim.values()].sort((a, b) => a.first - b.first).map((e) => e.latest);
}

/** Counts of a report's rows by verdict. */
export function summarise(rows: readonly CheckResult[]): Record<Verdict, number> & { total: number } {
  const out = { PASS: 0, WARN: 0, FAIL: 0, total: rows.length };
  for (const r of rows) out[r.verdict]++;
  return out;
}

/** Options of the CSV export. */
export interface CsvOptions {
  headings?: Record<ReportColumn, string>;
  /** How a time is written; default ISO 8601 with this computer's UTC offset. */
  formatTime?: (epochMs: number) => string;
  /** Translates a problem (the web app's language); default its English message and action. */
  describe?: (problem: CheckProblem) => { message: string; action: string };
  /** Translates a step name; default the step's own name. */
  stepName?: (step: CheckStep) => string;
}

/**
 * The report as CSV: RFC 4180 (CRLF, quotes doubled, fields quoted when needed), UTF-8 with a BOM so
 * Excel (Japanese Windows included) opens it as UTF-8. A text field that a spreadsheet would run as
 * a formula (starting with = + - @) is prefixed with ' (OWASP's CSV-injection advice): its text
 * comes partly from servers.
 */
export function toCsv(rows: readonly CheckResult[], options: CsvOptions = {}): string {
  const headings = options.headings ?? ENGLISH_HEADINGS;
  const formatTime = options.formatTime ?? isoWithOffset;
  const lines = [REPORT_COLUMNS.map((c) => csvField(headings[c])).join(',')];
  for (const r of rows) {
    const text = r.problem ? (options.describe?.(r.problem) ?? r.problem) : undefined;
    const values: Record<ReportColumn, string> = {
      time: formatTime(r.startedAt),
      lane: r.lane,
      iccid: r.iccid ?? '',
      imsi: r.imsi ?? '',
      group: r.groupId ?? '',
      result: r.verdict,
      step: r.failedStep ? (options.stepName?.(r.failedStep) ?? r.failedStep) : '',
      code: r.problem?.code ?? '',
      durationMs: String(Math.round(r.durationMs)),
      message: text?.message ?? '',
      action: text?.action ?? '',
    };
    lines.push(REPORT_COLUMNS.map((c) => csvField(values[c])).join(','));
  }
  return `\uFEFF${lines.join('\r\n')}\r\n`;
}

function csvField(value: string): string {
  const safe = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

/** ISO 8601 with this computer's UTC offset (2026-12-03T14:05:09+09:00): what a person reads as local time, unambiguous. */
export function isoWithOffset(epochMs: number): string {
  const d = new Date(epochMs);
  const offset = -d.getTimezoneOffset();
  const local = new Date(epochMs + offset * 60_000).toISOString().slice(0, 19);
  if (offset === 0) return `${local}Z`;
  const sign = offset > 0 ? '+' : '-';
  const abs = Math.abs(offset);
  return `${local}${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
}

/** The report as JSON: the rows with every step, for tools. */
export function toReportJson(rows: readonly CheckResult[], meta: { batchId?: string; exportedAt?: number } = {}): string {
  return `${JSON.stringify(
    {
      ...(meta.batchId ? { batchId: meta.batchId } : {}),
      exportedAt: new Date(meta.exportedAt ?? Date.now()).toISOString(),
      summary: summarise(rows),
      rows,
    },
    null,
    2,
  )}\n`;
}

/** One result as a line of the append-only JSONL log. */
export function toJsonLine(result: CheckResult): string {
  return `${JSON.stringify(result)}\n`;
}

/**
 * Reads a JSONL log back. A line that is not a whole result (the last line torn by a power cut, a
 * hand edit) is counted and skipped, never guessed at: every whole line before and after it stays.
 */
export function parseJsonLines(text: string): { results: CheckResult[]; skipped: number } {
  const results: CheckResult[] = [];
  let skipped = 0;
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      skipped++;
      continue;
    }
    const r = parseCheckResult(value);
    if (r) results.push(r);
    else skipped++;
  }
  return { results, skipped };
}

const VERDICTS: readonly Verdict[] = ['PASS', 'WARN', 'FAIL'];
const STATUSES: readonly StepStatus[] = ['pass', 'warn', 'fail', 'skipped'];

/** A stored result checked field by field (IndexedDB and JSONL are inputs like any other); undefined when it is not one. */
export function parseCheckResult(value: unknown): CheckResult | undefined {
  if (!isObject(value)) return undefined;
  const v = value;
  if (!str(v.id) || !str(v.batchId) || typeof v.lane !== 'string') return undefined;
  if (!num(v.startedAt) || !num(v.finishedAt) || !num(v.durationMs)) return undefined;
  if (!VERDICTS.includes(v.verdict as Verdict) || !Array.isArray(v.steps)) return undefined;
  const steps: StepResult[] = [];
  for (const s of v.steps) {
    if (!isObject(s) || !CHECK_STEPS.includes(s.step as CheckStep) || !STATUSES.includes(s.status as StepStatus) || !num(s.ms))
      return undefined;
    const problem = s.problem === undefined ? undefined : problemOf(s.problem);
    if (s.problem !== undefined && !problem) return undefined;
    steps.push({
      step: s.step as CheckStep,
      status: s.status as StepStatus,
      ms: s.ms,
      ...(typeof s.note === 'string' ? { note: s.note } : {}),
      ...(problem ? { problem } : {}),
    });
  }
  const problem = v.problem === undefined ? undefined : problemOf(v.problem);
  if (v.problem !== undefined && !problem) return undefined;
  if (v.failedStep !== undefined && !CHECK_STEPS.includes(v.failedStep as CheckStep)) return undefined;
  const tags: Record<string, string> = {};
  if (isObject(v.tags)) for (const [k, t] of Object.entries(v.tags)) if (typeof t === 'string') tags[k] = t;
  const pin = isObject(v.pin) && typeof v.pin.enabled === 'boolean' && typeof v.pin.verified === 'boolean' ? v.pin : undefined;
  return {
    id: v.id,
    batchId: v.batchId,
    lane: v.lane,
    ...(str(v.iccid) && /^[0-9A-Fa-f]{1,22}$/.test(v.iccid) ? { iccid: v.iccid } : {}),
    ...(str(v.imsi) && /^[0-9]{5,15}$/.test(v.imsi) ? { imsi: v.imsi } : {}),
    ...(pin
      ? {
          pin: {
            enabled: pin.enabled as boolean,
            verified: pin.verified as boolean,
            blocked: pin.blocked === true,
            ...(num(pin.triesLeft) ? { triesLeft: pin.triesLeft } : {}),
          },
        }
      : {}),
    ...(str(v.groupId) ? { groupId: v.groupId } : {}),
    ...(isObject(v.tags) ? { tags } : {}),
    startedAt: v.startedAt,
    finishedAt: v.finishedAt,
    durationMs: v.durationMs,
    verdict: v.verdict as Verdict,
    ...(v.failedStep !== undefined ? { failedStep: v.failedStep as CheckStep } : {}),
    ...(problem ? { problem } : {}),
    steps,
    ...(v.interrupted === true ? { interrupted: true } : {}),
  };
}

function problemOf(value: unknown): CheckProblem | undefined {
  if (!isObject(value) || !str(value.code) || typeof value.message !== 'string' || typeof value.action !== 'string') return undefined;
  const details: Record<string, string | number> = {};
  if (isObject(value.details))
    for (const [k, d] of Object.entries(value.details)) if (typeof d === 'string' || typeof d === 'number') details[k] = d;
  const cors = corsOf(value.cors);
  return {
    code: value.code,
    message: value.message,
    action: value.action,
    ...(Object.keys(details).length > 0 ? { details } : {}),
    ...(cors ? { cors } : {}),
  };
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
function str(v: unknown): v is string {
  return typeof v === 'string' && v.length > 0 && v.length <= 200;
}
function num(v: unknown): v is number {
  return typeof v === 'number' && Number.isFinite(v) && v >= 0;
}
