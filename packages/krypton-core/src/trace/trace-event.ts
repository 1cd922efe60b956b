/** The steps of getting from a SIM to cloud credentials, as a timeline shows them. */
export type StepName = 'imsi' | 'pin' | 'key-agreement' | 'authenticate' | 'resync' | 'verify' | 'provisioning' | 'cognito';

/** A failure as a trace records it: the error's code and message, never its secrets (errors hold none). */
export interface TraceFailure {
  code: string;
  message: string;
}

/**
 * What happened, as events a UI can draw and a log can keep. Secrets never enter an event:
 * APDU data that carries PINs, RES, CK, IK or Kc is replaced at the source, and HTTP events carry
 * no bodies, no signatures and no tokens.
 */
export type TraceEvent =
  | { type: 'step-start'; step: StepName; at: number }
  | { type: 'step-end'; step: StepName; at: number; durationMs: number; ok: boolean; failure?: TraceFailure; note?: string }
  | { type: 'apdu'; step: StepName | undefined; command: string; response: string; durationMs: number }
  | {
      type: 'http';
      step: StepName | undefined;
      method: string;
      url: string;
      status: number | undefined;
      durationMs: number;
      failure?: TraceFailure;
    };

/** Receives trace events as they happen. */
export type TraceSink = (event: TraceEvent) => void;
