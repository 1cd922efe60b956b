import type { CheckProblem, CheckResult, CheckStep, Verdict } from '@krypton-web/sim-check';
import type { Failure, FailureDetails } from '../worker/api.ts';

/** The report table's columns, in order (the CSV adds the message and what to do). */
export const TABLE_COLUMNS = ['time', 'lane', 'iccid', 'imsi', 'group', 'result', 'step', 'code', 'durationMs'] as const;
/** A column of the report table. */
export type TableColumn = (typeof TABLE_COLUMNS)[number];

/** Which rows the table shows, and in what order. */
export interface ReportView {
  /** Words every shown row contains (lane, ICCID, IMSI, group, result, step, code), case-insensitive. */
  text: string;
  verdict: 'all' | Verdict;
  sort: TableColumn;
  descending: boolean;
}

/** How cells are written in the person's language. */
export interface CellFormat {
  time(epochMs: number): string;
  step(step: CheckStep): string;
  verdict(verdict: Verdict): string;
}

export const DEFAULT_VIEW: Readonly<ReportView> = Object.freeze({ text: '', verdict: 'all', sort: 'time', descending: false });

/** A cell as the table shows it. */
export function cellText(r: CheckResult, column: TableColumn, format: CellFormat): string {
  switch (column) {
    case 'time':
      return format.time(r.startedAt);
    case 'lane':
      return r.lane;
    case 'iccid':
      return r.iccid ?? '';
    case 'imsi':
      return r.imsi ?? '';
    case 'group':
      return r.groupId ?? '';
    case 'result':
      return format.verdict(r.verdict);
    case 'step':
      return r.failedStep ? format.step(r.failedStep) : '';
    case 'code':
      return r.problem?.code ?? '';
    case 'durationMs':
      return `${(r.durationMs / 1000).toFixed(1)} s`;
  }
}

/** The rows the table shows: filtered by verdict and text, sorted by a column (ties keep the order of checking). */
export function viewRows(rows: readonly CheckResult[], view: ReportView, format: CellFormat): CheckResult[] {
  const words = view.text.toLowerCase().split(/\s+/).filter(Boolean);
  const searchable: TableColumn[] = ['lane', 'iccid', 'imsi', 'group', 'result', 'step', 'code'];
  const kept = rows.filter((r) => {
    if (view.verdict !== 'all' && r.verdict !== view.verdict) return false;
    if (words.length === 0) return true;
    const hay = [r.verdict, ...searchable.map((c) => cellText(r, c, format))].join(' ').toLowerCase();
    return words.every((w) => hay.includes(w));
  });
  const key = (r: CheckResult): string | number => {
    if (view.sort === 'time') return r.startedAt;
    if (view.sort === 'durationMs') return r.durationMs;
    if (view.sort === 'result') return ['FAIL', 'WARN', 'PASS'].indexOf(r.verdict);
    return cellText(r, view.sort, format);
  };
  const collator = new Intl.Collator(undefined, { numeric: true });
  const sign = view.descending ? -1 : 1;
  return kept
    .map((r, i) => ({ r, i, k: key(r) }))
    .sort((a, b) => {
      const c = typeof a.k === 'number' && typeof b.k === 'number' ? a.k - b.k : collator.compare(String(a.k), String(b.k));
      return c !== 0 ? sign * c : a.i - b.i;
    })
    .map((e) => e.r);
}

/**
 * The rows a virtualised list renders: those in the viewport and a few either side, so scrolling
 * never shows a blank; the DOM holds about (viewport / row height + 2 × overscan) rows at any size.
 */
export function visibleRange(
  scrollTop: number,
  viewportHeight: number,
  rowHeight: number,
  total: number,
  overscan = 8,
): { start: number; end: number } {
  if (total <= 0 || rowHeight <= 0) return { start: 0, end: 0 };
  const first = Math.floor(Math.max(0, scrollTop) / rowHeight);
  const count = Math.ceil(Math.max(0, viewportHeight) / rowHeight) + 1;
  const start = Math.max(0, Math.min(first, total - 1) - overscan);
  const end = Math.min(total, first + count + overscan);
  return { start, end: Math.max(start, end) };
}

/** A report file's name: when it was exported (this computer's local time) and which batch. */
export function reportFileName(batchId: string, at: number, extension: 'csv' | 'json'): string {
  const d = new Date(at);
  const two = (n: number) => String(n).padStart(2, '0');
  const stamp = `${d.getFullYear()}${two(d.getMonth() + 1)}${two(d.getDate())}-${two(d.getHours())}${two(d.getMinutes())}${two(d.getSeconds())}`;
  return `krypton-check-${stamp}-${batchId.replace(/[^A-Za-z0-9]/g, '').slice(0, 8)}.${extension}`;
}

/** A check's problem as the page's failure translation (and FailureNotice) takes it: the same codes, the same facts. */
export function problemAsFailure(p: CheckProblem): Failure {
  // FailureDetails names the facts the single-SIM screen shows; a check's problem carries the same ones, as plain values.
  const details: FailureDetails = { ...p.details };
  return { code: p.code, message: p.message, action: p.action, details, ...(p.cors ? { cors: p.cors } : {}) };
}
