import { REDACTED } from '../trace/redact.ts';
import {
  TRANSCRIPT_FORMAT,
  TRANSCRIPT_VERSION,
  TranscriptError,
  type Transcript,
  type TranscriptEvent,
  type TranscriptHeader,
  type TranscriptIdentity,
} from './transcript.ts';

/** Largest transcript read (a run is a few hundred lines; a field report of a long bridge session more). */
export const MAX_TRANSCRIPT_CHARS = 16 * 1024 * 1024;
const MAX_FIELD_CHARS = 16_384;

const ACTION = 'Give a file written by krypton-cli -record or the bridge --record (JSON Lines, first line the header)';

// Hex with at most one redaction marker, as core's redaction writes it (PIN data after the header; answer data before the SW).
const MASKED_HEX = /^(?:[0-9A-Fa-f]{2})*(?:‹redacted›(?:[0-9A-Fa-f]{2})*)?$/;

/**
 * Reads a transcript (JSON Lines) defensively: every line is checked, the first failure names its line
 * and field, and nothing is trusted further than its type. Event types this version does not know are
 * skipped (a newer minor writer may add some); a newer `version` is refused. A last event line cut
 * short (no line break after it, not JSON) is dropped: it is what a crash mid-append leaves.
 */
export function parseTranscript(text: string): Transcript {
  if (typeof text !== 'string') throw bad('the transcript is not text');
  if (text.length > MAX_TRANSCRIPT_CHARS) throw bad(`the transcript is larger than ${MAX_TRANSCRIPT_CHARS} characters`);
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  let header: TranscriptHeader | undefined;
  const events: TranscriptEvent[] = [];
  for (const [i, raw] of lines.entries()) {
    if (raw.trim() === '') continue;
    const where = `line ${i + 1}`;
    let value: unknown;
    try {
      value = JSON.parse(raw);
    } catch {
      // A writer appending line by line that stopped mid-line (power lost) leaves an unterminated last
      // line: every line before it is whole, so the transcript is still the run up to there.
      if (header && i === lines.length - 1) break;
      throw bad(`${where} is not JSON`);
    }
    if (!header) {
      header = parseHeader(value, where);
      continue;
    }
    const event = parseEvent(value, where);
    if (event) events.push(event);
  }
  if (!header) throw bad('the transcript is empty');
  return { header, events };
}

function parseHeader(value: unknown, where: string): TranscriptHeader {
  const o = object(value, where);
  if (o.format !== TRANSCRIPT_FORMAT) throw bad(`${where}: "format" is not "${TRANSCRIPT_FORMAT}" (is this a transcript?)`);
  if (typeof o.version !== 'number' || !Number.isInteger(o.version) || o.version < 1)
    throw bad(`${where}: "version" must be a positive integer`);
  if (o.version > TRANSCRIPT_VERSION)
    throw new TranscriptError(
      'UNSUPPORTED_TRANSCRIPT_VERSION',
      `the transcript is version ${o.version}; this lab reads version ${TRANSCRIPT_VERSION}`,
      'Update Krypton Web (git pull, pnpm install) and replay it again',
    );
  const id = object(o.identity, `${where}: identity`);
  const identity: TranscriptIdentity = {
    link: str(id.link, `${where}: identity.link`),
    description: str(id.description, `${where}: identity.description`),
  };
  if (id.reader !== undefined) identity.reader = str(id.reader, `${where}: identity.reader`);
  if (id.atr !== undefined) identity.atr = hex(id.atr, `${where}: identity.atr`);
  if (id.modem !== undefined) {
    const m = object(id.modem, `${where}: identity.modem`);
    const modem: NonNullable<TranscriptIdentity['modem']> = {};
    for (const k of ['manufacturer', 'model', 'revision', 'imei'] as const)
      if (m[k] !== undefined) modem[k] = str(m[k], `${where}: identity.modem.${k}`);
    identity.modem = modem;
  }
  const header: TranscriptHeader = {
    format: TRANSCRIPT_FORMAT,
    version: TRANSCRIPT_VERSION,
    recordedAt: str(o.recordedAt, `${where}: recordedAt`),
    tool: str(o.tool, `${where}: tool`),
    identity,
  };
  if (o.args !== undefined) {
    if (!Array.isArray(o.args)) throw bad(`${where}: args must be an array of strings`);
    header.args = o.args.map((a, j) => str(a, `${where}: args[${j}]`));
  }
  return header;
}

function parseEvent(value: unknown, where: string): TranscriptEvent | undefined {
  const o = object(value, where);
  const t = num(o.t, `${where}: t`);
  const step = o.step === undefined ? undefined : str(o.step, `${where}: step`);
  switch (o.type) {
    case 'apdu':
      return {
        type: 'apdu',
        t,
        ...(step !== undefined ? { step } : {}),
        command: maskedHex(o.command, `${where}: command`, 4),
        response: maskedHex(o.response, `${where}: response`, 2),
        durationMs: num(o.durationMs, `${where}: durationMs`),
      };
    case 'http': {
      const status = o.status === undefined ? undefined : num(o.status, `${where}: status`);
      return {
        type: 'http',
        t,
        ...(step !== undefined ? { step } : {}),
        method: str(o.method, `${where}: method`),
        url: str(o.url, `${where}: url`),
        ...(status !== undefined ? { status } : {}),
        requestHeaders: strings(o.requestHeaders, `${where}: requestHeaders`),
        responseHeaders: strings(o.responseHeaders, `${where}: responseHeaders`),
        durationMs: num(o.durationMs, `${where}: durationMs`),
        ...(o.failure !== undefined ? { failure: str(o.failure, `${where}: failure`) } : {}),
      };
    }
    case 'at': {
      if (o.dir !== 'send' && o.dir !== 'recv') throw bad(`${where}: dir must be "send" or "recv"`);
      return { type: 'at', t, dir: o.dir, line: str(o.line, `${where}: line`) };
    }
    case 'step': {
      if (o.phase !== 'start' && o.phase !== 'end') throw bad(`${where}: phase must be "start" or "end"`);
      return {
        type: 'step',
        t,
        step: str(o.step, `${where}: step`),
        phase: o.phase,
        ...(typeof o.ok === 'boolean' ? { ok: o.ok } : {}),
        ...(o.durationMs !== undefined ? { durationMs: num(o.durationMs, `${where}: durationMs`) } : {}),
        ...(o.failure !== undefined ? { failure: str(o.failure, `${where}: failure`) } : {}),
      };
    }
    case 'note':
      return { type: 'note', t, text: str(o.text, `${where}: text`) };
    default:
      if (typeof o.type !== 'string') throw bad(`${where}: "type" must be a string`);
      return undefined;
  }
}

function object(value: unknown, where: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw bad(`${where} must be a JSON object`);
  return value as Record<string, unknown>;
}

function str(value: unknown, where: string): string {
  if (typeof value !== 'string') throw bad(`${where} must be a string`);
  if (value.length > MAX_FIELD_CHARS) throw bad(`${where} is longer than ${MAX_FIELD_CHARS} characters`);
  return value;
}

function strings(value: unknown, where: string): string[] {
  if (!Array.isArray(value)) throw bad(`${where} must be an array of strings`);
  return value.map((v, i) => str(v, `${where}[${i}]`));
}

function num(value: unknown, where: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) throw bad(`${where} must be a non-negative number`);
  return value;
}

function hex(value: unknown, where: string): string {
  const s = str(value, where);
  if (!/^(?:[0-9A-Fa-f]{2})*$/.test(s)) throw bad(`${where} must be hex`);
  return s.toUpperCase();
}

function maskedHex(value: unknown, where: string, minBytes: number): string {
  const s = str(value, where);
  if (!MASKED_HEX.test(s)) throw bad(`${where} must be hex (with at most one ${REDACTED})`);
  const hexDigits = s.replace(REDACTED, '').length;
  if (hexDigits < 2 * minBytes) throw bad(`${where} must hold at least ${minBytes} bytes`);
  return s
    .split(REDACTED)
    .map((p) => p.toUpperCase())
    .join(REDACTED);
}

function bad(message: string): TranscriptError {
  return new TranscriptError('BAD_TRANSCRIPT', message, ACTION);
}
