import type { CheckResult, Verdict } from '@krypton-web/sim-check';

/** Local wall-clock time, HH:MM:SS: what a person next to the readers reads. */
export function clockTime(epochMs: number): string {
  const d = new Date(epochMs);
  return [d.getHours(), d.getMinutes(), d.getSeconds()].map((n) => String(n).padStart(2, '0')).join(':');
}

/** Seconds with one decimal ("2.1 s"). */
export function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

/**
 * One SIM's result as one line: time, lane, ICCID, IMSI, verdict and duration; for WARN and FAIL
 * also the step, its code, and what happened — what to do. Problems never hold secrets (core's
 * errors carry none), so the line is safe to keep in a terminal log.
 */
export function resultLine(r: CheckResult, laneWidth: number): string {
  const head = [clockTime(r.finishedAt), r.lane.padEnd(laneWidth), (r.iccid ?? '-').padEnd(20), (r.imsi ?? '-').padEnd(15), r.verdict];
  const tail = [seconds(r.durationMs)];
  if (r.verdict !== 'PASS' && r.problem) {
    tail.push(r.failedStep ?? '-', r.problem.code, `${flat(r.problem.message)} — ${flat(r.problem.action)}`);
  }
  return `${[...head, ...tail].join('  ')}\n`;
}

/** "already checked at 10:42 — PASS": the batch has a finished check of this SIM. */
export function alreadyCheckedLine(lane: string, laneWidth: number, at: number, previous: CheckResult): string {
  const hhmm = clockTime(previous.finishedAt).slice(0, 5);
  return `${[clockTime(at), lane.padEnd(laneWidth), (previous.iccid ?? '-').padEnd(20), `already checked at ${hhmm} — ${previous.verdict} (--recheck checks it again)`].join('  ')}\n`;
}

/** A notice about a lane (checking, card removed), for stderr. */
export function laneNotice(at: number, lane: string, laneWidth: number, text: string): string {
  return `${clockTime(at)}  ${lane.padEnd(laneWidth)}  ${text}\n`;
}

/** The end of a run: the batch's SIMs by verdict, and what this run did. */
export function summaryLine(
  counts: Record<Verdict, number> & { total: number },
  run: { checks: number; firstStart?: number; lastFinish?: number },
): string {
  const sims = `${counts.total} SIM${counts.total === 1 ? '' : 's'}: ${counts.PASS} PASS, ${counts.WARN} WARN, ${counts.FAIL} FAIL`;
  let thisRun = `${run.checks} check${run.checks === 1 ? '' : 's'} in this run`;
  if (run.checks > 0 && run.firstStart !== undefined && run.lastFinish !== undefined) {
    const span = Math.max(1, run.lastFinish - run.firstStart);
    thisRun += ` in ${seconds(span)}`;
    if (run.checks > 1) thisRun += `, ${((run.checks * 60_000) / span).toFixed(1)} SIMs/min`;
  }
  return `summary: ${sims} (${thisRun})\n`;
}

function flat(text: string): string {
  return text
    .replace(/\s+/g, ' ')
    .trim()
    .replace(/[.\s]+$/, '');
}
