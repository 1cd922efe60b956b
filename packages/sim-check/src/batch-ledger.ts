import { reportRows, summarise } from './batch-report.ts';
import type { CheckResult, Verdict } from './check-result.ts';

/**
 * A batch's results in memory, as both the web app and the CLI keep them: every check in order
 * (the persisted log), the report's one row per SIM, and whether a SIM was checked already.
 */
export class BatchLedger {
  private readonly all: CheckResult[] = [];
  private readonly lastFinished = new Map<string, CheckResult>();

  constructor(
    readonly batchId: string,
    earlier: readonly CheckResult[] = [],
  ) {
    for (const r of earlier) this.add(r);
  }

  /** Records a finished check. */
  add(result: CheckResult): void {
    this.all.push(result);
    // An interrupted check proves nothing: the SIM counts as not checked, so putting it back runs it again.
    if (result.iccid && !result.interrupted) this.lastFinished.set(result.iccid, result);
  }

  /** The last completed check of a SIM, if any (for "already checked at 10:42 — PASS"). */
  previous(iccid: string): CheckResult | undefined {
    return this.lastFinished.get(iccid);
  }

  /** Every check, in the order they finished. */
  get results(): readonly CheckResult[] {
    return this.all;
  }

  /** The report: one row per SIM, its latest check. */
  rows(): CheckResult[] {
    return reportRows(this.all);
  }

  summary(): Record<Verdict, number> & { total: number } {
    return summarise(this.rows());
  }
}
