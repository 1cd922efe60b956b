export type { StepName, StepNote, StepNoteCode, TraceEvent, TraceFailure, TraceSink } from './trace-event.ts';
export { Tracer, failureOf, type Now } from './tracer.ts';
export { REDACTED, redactCommand, redactResponse, redactUrl } from './redact.ts';
