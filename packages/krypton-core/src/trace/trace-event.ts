/** The steps of getting from a SIM to cloud credentials, as a timeline shows them. */
export type StepName = 'imsi' | 'pin' | 'key-agreement' | 'authenticate' | 'resync' | 'verify' | 'provisioning' | 'cognito';

/** A failure as a trace records it: the error's code and message, never its secrets (errors hold none). */
export interface TraceFailure {
  code: string;
  message: string;
}

/**
 * A step's note by code, with its facts: a UI says it in its own language (the English `text` is for
 * logs and for a UI that does not know the code).
 */
export type StepNoteCode = 'cached-key' | 'sync-failure' | 'cognito';

/** What a step adds about how it went, in English and by code. */
export interface StepNote {
  code: StepNoteCode;
  text: string;
  facts?: Record<string, string | number>;
}

/**
 * What happened, as events a UI can draw and a log can keep. Secrets never enter an event:
 * APDU data that carries PINs, RES, CK, IK or Kc is replaced at the source, and HTTP events carry
 * no bodies, no signatures and no tokens.
 */
export type TraceEvent =
  | { type: 'step-start'; step: StepName; at: number }
  | {
      type: 'step-end';
      step: StepName;
      at: number;
      durationMs: number;
      ok: boolean;
      failure?: TraceFailure;
      /** The note in English. */
      note?: string;
      /** The same note by code and facts. */
      noteCode?: StepNoteCode;
      noteFacts?: Record<string, string | number>;
    }
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
