export { DEFAULT_CHECKLIST, ChecklistError, bucketFromUserdata, parseChecklist } from './checklist.ts';
export type { Checklist, MetadataCheckSpec, S3ProbeSpec } from './checklist.ts';
export { CHECK_STEPS, verdictOf } from './check-result.ts';
export type {
  CheckedSim,
  CheckProblem,
  CheckProblemCode,
  CheckResult,
  CheckStep,
  StepResult,
  StepStatus,
  Verdict,
} from './check-result.ts';
export { describeError, runCheck } from './run-check.ts';
export type { CheckCredentials, CheckKrypton, CheckOptions, CheckPinState, CheckS3, CheckSimAccess, PinRequest } from './run-check.ts';
export { kryptonForCheck, pinOf, simForCheck, type UsimLike } from './krypton-adapters.ts';
export {
  ENGLISH_HEADINGS,
  REPORT_COLUMNS,
  isoWithOffset,
  parseCheckResult,
  parseJsonLines,
  reportRows,
  summarise,
  toCsv,
  toJsonLine,
  toReportJson,
  type CsvOptions,
  type ReportColumn,
} from './batch-report.ts';
export { BatchLedger } from './batch-ledger.ts';
