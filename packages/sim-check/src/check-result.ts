/** The steps of one SIM's check, in the order they run. */
export const CHECK_STEPS = ['sim', 'pin', 'key', 'credentials', 's3', 'metadata'] as const;

/** A step of the check: read the SIM, verify its PIN, agree a key with Krypton, get AWS credentials, probe S3, read metadata. */
export type CheckStep = (typeof CHECK_STEPS)[number];

/** The SIM's outcome: everything passed, passed with something to look at, or a step failed. */
export type Verdict = 'PASS' | 'WARN' | 'FAIL';

/** How one step ended. */
export type StepStatus = 'pass' | 'warn' | 'fail' | 'skipped';

/**
 * The codes sim-check raises itself; a problem may also carry a code of the error that caused it
 * (krypton-core's, a link's), or UNEXPECTED for anything without one.
 */
export type CheckProblemCode =
  | 'CARD_REMOVED'
  | 'PIN_BLOCKED'
  | 'PIN_TRIES_LOW'
  | 'PIN_REQUIRED'
  | 'S3_NO_BUCKET'
  | 'S3_EMPTY'
  | 'TAG_MISSING'
  | 'TAG_MISMATCH'
  | 'BAD_CHECKLIST'
  | 'UNEXPECTED';

/**
 * Why a step warned or failed, as the single-SIM screen explains it: a stable code the UI translates,
 * the English message and action as the fallback, and plain facts (no secrets ever).
 */
export interface CheckProblem {
  code: string;
  message: string;
  action: string;
  details?: Record<string, string | number>;
  /** The CORS configuration the action asks to paste, when a bucket's CORS rule refused the page. */
  cors?: { origin: string; bucket: string; json: string };
}

/** A problem's CORS configuration read from any value (a thrown failure, a stored result), or undefined. */
export function corsOf(value: unknown): CheckProblem['cors'] {
  const c = value as { origin?: unknown; bucket?: unknown; json?: unknown } | null | undefined;
  return typeof c?.origin === 'string' && typeof c.bucket === 'string' && typeof c.json === 'string' && c.json.length <= 10_000
    ? { origin: c.origin, bucket: c.bucket, json: c.json }
    : undefined;
}

/** One step as it ran. */
export interface StepResult {
  step: CheckStep;
  status: StepStatus;
  /** How long the step took, milliseconds. */
  ms: number;
  /** What the step found, for the report ("5 keys under logs/", "resynchronised"); English, short. */
  note?: string;
  problem?: CheckProblem;
}

/** What the SIM said about itself. */
export interface CheckedSim {
  iccid?: string;
  imsi?: string;
  pin?: { enabled: boolean; verified: boolean; triesLeft?: number; blocked: boolean };
  /** SORACOM group and tags, when the metadata step ran. */
  groupId?: string;
  tags?: Record<string, string>;
}

/** One SIM's check: a row of the batch report. Plain data: it is persisted (IndexedDB, JSONL) and crosses postMessage. */
export interface CheckResult extends CheckedSim {
  /** Unique per check (a recheck of the same SIM is a new id). */
  id: string;
  batchId: string;
  /** The lane (reader or modem) the SIM was in. */
  lane: string;
  /** ms epoch, this computer's clock. */
  startedAt: number;
  finishedAt: number;
  durationMs: number;
  verdict: Verdict;
  /** The first step that failed (FAIL) or warned (WARN). */
  failedStep?: CheckStep;
  /** The problem of that step. */
  problem?: CheckProblem;
  steps: StepResult[];
  /** The check stopped because the card left the reader (or the lane was stopped): it proves nothing about the SIM. */
  interrupted?: boolean;
}

/** The verdict of a set of steps: any failure fails the SIM, any warning warns. */
export function verdictOf(steps: readonly StepResult[]): { verdict: Verdict; failedStep?: CheckStep; problem?: CheckProblem } {
  const failed = steps.find((s) => s.status === 'fail');
  if (failed) return { verdict: 'FAIL', failedStep: failed.step, ...(failed.problem ? { problem: failed.problem } : {}) };
  const warned = steps.find((s) => s.status === 'warn');
  if (warned) return { verdict: 'WARN', failedStep: warned.step, ...(warned.problem ? { problem: warned.problem } : {}) };
  return { verdict: 'PASS' };
}
