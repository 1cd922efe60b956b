/**
 * A transcript of one run (krypton-cli `-record`, the bridge's `--record`) that a person with real
 * hardware can send in and the lab can replay (`pnpm lab replay`). JSON Lines: the first line is the
 * header, every further line one event. Secrets are masked at the source with `REDACTED` (core's
 * tracer masks PIN data and AUTHENTICATE answers; AT lines go through `maskAtLine`): a transcript
 * never holds CK, IK, Kc, RES, a PIN, a signature, a token or a body.
 */

/** The `format` field of every transcript header. */
export const TRANSCRIPT_FORMAT = 'krypton-web-transcript';

/** The version this code writes; readers accept it and refuse newer ones. */
export const TRANSCRIPT_VERSION = 1;

/** What the link to the SIM was, as far as the recorder knew it. */
export interface TranscriptIdentity {
  /** virtual, iso7816 (PC/SC), comm (modem), bridge, cellular. */
  link: string;
  /** One human line: "PC/SC reader Gemalto USB ... 00 00", "modem on /dev/ttyUSB2". */
  description: string;
  /** A PC/SC reader's name. */
  reader?: string;
  /** The card's answer to reset, hex. */
  atr?: string;
  /** A modem's maker, model, firmware and IMEI as it reported them. */
  modem?: { manufacturer?: string; model?: string; revision?: string; imei?: string };
}

/** The first line of a transcript. */
export interface TranscriptHeader {
  format: typeof TRANSCRIPT_FORMAT;
  version: typeof TRANSCRIPT_VERSION;
  /** ISO 8601 time the recording started. */
  recordedAt: string;
  /** The program and version that recorded ("krypton-cli 0.4.1+krypton-web.0.1.0"). */
  tool: string;
  identity: TranscriptIdentity;
  /** The command line, with nothing secret in it (flags only; PINs come from the environment). */
  args?: string[];
}

/** One line after the header; `t` is milliseconds since the recording started. */
export type TranscriptEvent =
  | { type: 'step'; t: number; step: string; phase: 'start' | 'end'; ok?: boolean; durationMs?: number; failure?: string }
  | {
      type: 'apdu';
      t: number;
      step?: string;
      /** Hex, upper case; PIN data replaced by `REDACTED`. */
      command: string;
      /** Hex, upper case; AUTHENTICATE answers' data replaced by `REDACTED`, status word kept. */
      response: string;
      durationMs: number;
    }
  | {
      type: 'http';
      t: number;
      step?: string;
      method: string;
      /** Origin and path, never the query string. */
      url: string;
      status?: number;
      /** Header names only, lower case, sorted: values may be signatures or tokens. */
      requestHeaders: string[];
      responseHeaders: string[];
      durationMs: number;
      failure?: string;
    }
  | {
      type: 'at';
      t: number;
      /** `send`: written to the modem; `recv`: one line the modem answered. */
      dir: 'send' | 'recv';
      /** The line, PINs and AUTHENTICATE answers masked (`maskAtLine`). */
      line: string;
    }
  | { type: 'note'; t: number; text: string };

/** A parsed transcript. */
export interface Transcript {
  header: TranscriptHeader;
  events: TranscriptEvent[];
}

/** A transcript that cannot be read; `action` says what to do. */
export class TranscriptError extends Error {
  override readonly name = 'TranscriptError';

  constructor(
    readonly code: 'BAD_TRANSCRIPT' | 'UNSUPPORTED_TRANSCRIPT_VERSION',
    message: string,
    readonly action: string,
  ) {
    super(message);
  }
}
