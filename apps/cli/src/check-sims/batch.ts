import { BatchLedger, type CheckCredentials, type CheckResult } from '@krypton-web/sim-check';
import { alreadyCheckedLine, laneNotice, resultLine, summaryLine } from './format.ts';
import type { JsonlLog } from './report-file.ts';

/** Where a batch prints: results on stdout, notices on stderr. */
export interface BatchOutput {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  now: () => number;
}

/**
 * One batch as the terminal runs it: every finished check goes to the JSONL log (on disk first),
 * then to stdout as one line, then into the ledger that knows which SIMs are checked; it keeps the
 * last credentials a passing SIM earned, for the upload, and never prints or writes them.
 */
export class TerminalBatch {
  readonly ledger: BatchLedger;
  #laneWidth = 0;
  #credentials: CheckCredentials | undefined;
  #checks = 0;
  #firstStart: number | undefined;
  #lastFinish: number | undefined;

  constructor(
    batchId: string,
    earlier: readonly CheckResult[],
    private readonly out: BatchOutput,
    private readonly log: JsonlLog | undefined,
  ) {
    this.ledger = new BatchLedger(batchId, earlier);
  }

  get batchId(): string {
    return this.ledger.batchId;
  }

  /** Lines of every lane line up: the lane column is as wide as the longest lane name known. */
  addLane(name: string): void {
    this.#laneWidth = Math.max(this.#laneWidth, name.length);
  }

  /** Records a finished check: persisted, then printed, then counted. Rejects when the log cannot be written (the line is printed all the same). */
  async record(result: CheckResult, credentials: CheckCredentials | undefined): Promise<void> {
    this.ledger.add(result);
    this.#checks++;
    this.#firstStart = Math.min(this.#firstStart ?? result.startedAt, result.startedAt);
    this.#lastFinish = Math.max(this.#lastFinish ?? result.finishedAt, result.finishedAt);
    if (credentials) this.#credentials = credentials;
    try {
      await this.log?.append(result);
    } finally {
      this.out.stdout(resultLine(result, this.#laneWidth));
    }
  }

  /** The SIM was checked before in this batch: said, not checked again. */
  alreadyChecked(lane: string, previous: CheckResult): void {
    this.out.stdout(alreadyCheckedLine(lane, this.#laneWidth, this.out.now(), previous));
  }

  /** A notice about a lane, on stderr. */
  laneNotice(lane: string, text: string): void {
    this.out.stderr(laneNotice(this.out.now(), lane, this.#laneWidth, text));
  }

  /** The last credentials a SIM of this run earned in a check that did not fail. */
  get credentials(): CheckCredentials | undefined {
    return this.#credentials;
  }

  /** Checks this run finished (earlier rows of a continued log not counted). */
  get checks(): number {
    return this.#checks;
  }

  summary(): string {
    return summaryLine(this.ledger.summary(), {
      checks: this.#checks,
      ...(this.#firstStart !== undefined ? { firstStart: this.#firstStart } : {}),
      ...(this.#lastFinish !== undefined ? { lastFinish: this.#lastFinish } : {}),
    });
  }

  /** 0 when the batch has SIMs and none failed (WARN passes); 1 otherwise. */
  exitStatus(): 0 | 1 {
    const counts = this.ledger.summary();
    return counts.total > 0 && counts.FAIL === 0 ? 0 : 1;
  }
}
