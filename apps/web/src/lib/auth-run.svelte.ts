import type { StepName, StepNoteCode, TraceEvent } from '@krypton-web/krypton-core';
import type { AuthOutcome, Failure, LinkKind, SessionEvent } from '../worker/api.ts';
import { asFailure } from './session.svelte.ts';
import type { WorkerApi } from './worker-api.ts';

/** One row of the timeline. */
export interface StepRow {
  step: StepName;
  status: 'running' | 'ok' | 'failed';
  durationMs?: number;
  note?: string;
  /** The note by code and facts, to say it in the page's language (the English `note` for a code the page does not know). */
  noteCode?: StepNoteCode;
  noteFacts?: Record<string, string | number>;
  /** The Cognito step's facts, for a note in the page's language and time zone (core's note is English, in UTC). */
  credentials?: CognitoNote;
  failure?: { code: string; message: string };
}

/** What the Cognito step's note says: whose credentials, and until when (epoch ms). */
export interface CognitoNote {
  identityId: string;
  expiresAt: number;
}

/** Reads krypton-core's Cognito note (`identity …, credentials until <ISO time>`); undefined for any other note. */
export function cognitoNote(step: StepName, note: string): CognitoNote | undefined {
  if (step !== 'cognito') return undefined;
  const [, identityId, until] = /^identity (\S+), credentials until (\S+)$/.exec(note) ?? [];
  const expiresAt = until === undefined ? Number.NaN : Date.parse(until);
  return identityId !== undefined && Number.isFinite(expiresAt) ? { identityId, expiresAt } : undefined;
}

/**
 * One press of Authenticate, as a live timeline: the steps as they start and end (with durations),
 * the APDUs and HTTP requests counted, whether the cached key was used, and on failure the step
 * that failed with the reason and what to do.
 */
export class AuthRun {
  steps = $state<StepRow[]>([]);
  apdus = $state(0);
  http = $state(0);
  running = $state(false);
  outcome = $state<AuthOutcome | undefined>(undefined);
  failure = $state<Failure | undefined>(undefined);
  totalMs = $state(0);
  linkKind = $state<LinkKind | undefined>(undefined);
  forgotten = $state(false);
  /** Why forgetting the cached key failed (not a step of the run, so kept apart from `failure`). */
  forgetFailure = $state<Failure | undefined>(undefined);
  /** The last run that ended (failed or not): its trace can be shown and downloaded. */
  finishedRun = $state<number | undefined>(undefined);
  readonly failedStep: StepRow | undefined = $derived(this.steps.findLast((s) => s.status === 'failed'));
  /** The run whose events this timeline shows (events may arrive after the run's answer). */
  private runId = 0;
  private static runs = 0;

  /** `onSuccess` receives each successful outcome (the credentials panel takes its credentials). */
  constructor(private readonly onSuccess: (outcome: AuthOutcome) => void = () => undefined) {}

  /** Takes the trace events of this timeline's run. */
  onEvent(event: SessionEvent): void {
    if (event.type === 'trace' && event.run !== undefined && event.run === this.runId) this.onTrace(event.event);
  }

  onTrace(event: TraceEvent): void {
    switch (event.type) {
      case 'step-start':
        this.steps.push({ step: event.step, status: 'running' });
        break;
      case 'step-end': {
        // The innermost running row of that step ends (steps nest: provisioning holds the IMSI read).
        const row = this.steps.findLast((s) => s.step === event.step && s.status === 'running');
        if (!row) break;
        row.status = event.ok ? 'ok' : 'failed';
        row.durationMs = Math.round(event.durationMs);
        if (event.note) {
          row.note = event.note;
          if (event.noteCode) row.noteCode = event.noteCode;
          if (event.noteFacts) row.noteFacts = event.noteFacts;
          const credentials = cognitoNote(event.step, event.note);
          if (credentials) row.credentials = credentials;
        }
        if (event.failure) row.failure = event.failure;
        break;
      }
      case 'apdu':
        this.apdus++;
        break;
      case 'http':
        this.http++;
        break;
    }
  }

  /** Runs the authentication in the worker. */
  async run(api: WorkerApi, linkKind: LinkKind, now: () => number = () => performance.now()): Promise<void> {
    if (this.running) return;
    this.steps = [];
    this.apdus = 0;
    this.http = 0;
    this.outcome = undefined;
    this.failure = undefined;
    this.forgotten = false;
    this.forgetFailure = undefined;
    this.linkKind = linkKind;
    this.running = true;
    this.runId = ++AuthRun.runs;
    const start = now();
    try {
      this.outcome = await api.authenticate(this.runId);
      this.onSuccess(this.outcome);
    } catch (e) {
      this.failure = asFailure(e);
    } finally {
      this.totalMs = Math.round(now() - start);
      this.running = false;
      this.finishedRun = this.runId;
    }
  }

  /**
   * Forgets the SIM's cached key. Its confirmation (or failure) replaces the last run's answer in the
   * status line: the key that answer reports on is gone.
   */
  async forgetKey(api: WorkerApi): Promise<void> {
    this.forgotten = false;
    this.forgetFailure = undefined;
    try {
      await api.forgetKey();
      this.forgotten = true;
    } catch (e) {
      this.forgetFailure = asFailure(e);
    }
  }
}
