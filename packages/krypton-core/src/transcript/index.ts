export {
  TRANSCRIPT_FORMAT,
  TRANSCRIPT_VERSION,
  TranscriptError,
  type Transcript,
  type TranscriptEvent,
  type TranscriptHeader,
  type TranscriptIdentity,
} from './transcript.ts';
export { TranscriptRecorder, type TranscriptRecorderOptions } from './transcript-recorder.ts';
export { parseTranscript, MAX_TRANSCRIPT_CHARS } from './parse-transcript.ts';
export { AtMasker } from './mask-at.ts';
