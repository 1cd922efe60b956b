import { fromBase64, toBase64, type Bytes } from '../bytes/index.ts';
import { KryptonError, type BridgeUpstreamCode } from '../errors/index.ts';
import { hostOf, isSuccess, parseJsonObject, postText, serverSays, soracomError, type FetchLike } from '../http/index.ts';
import type { Tracer } from '../trace/index.ts';

/** A challenge from the Keys API: the key's id and the RAND/AUTN to run on the SIM. */
export interface KeyChallenge {
  keyId: string;
  rand: Bytes;
  autn: Bytes;
}

/** How to reach the Keys API. */
export interface KeysApiOptions {
  /** e.g. https://g.api.soracom.io/v1/keys */
  url: string;
  fetch: FetchLike;
  tracer: Tracer;
  timeoutMs?: number;
  signal?: AbortSignal;
}

/** Longest keyId accepted: SORACOM publishes no format, so anything a person could read back, within reason. */
export const MAX_KEY_ID_LENGTH = 256;
// Printable: no control characters (C0, DEL, C1), no invisible format characters (bidi overrides,
// zero-width joiners: a keyId that reads differently from what it is), no line or paragraph separators,
// and no lone surrogates, which could not travel in a URL.
const PRINTABLE = /^[^\p{Cc}\p{Cf}\p{Cs}\p{Zl}\p{Zp}]+$/u;

/** The Keys API ("Endorse") client: start, resynchronise and verify a key agreement. */
export class KeysApiClient {
  constructor(private readonly options: KeysApiOptions) {}

  /** Starts a key agreement for an IMSI: `POST /v1/keys {imsi}` (200 or 401 both carry the challenge). */
  async start(imsi: string): Promise<KeyChallenge> {
    return this.challenge({ imsi }, 'start');
  }

  /** Restarts after a synchronisation failure: `POST /v1/keys {imsi, rand, auts}` (TS 33.102 §6.3.5). */
  async resync(imsi: string, rand: Uint8Array, auts: Uint8Array): Promise<KeyChallenge> {
    return this.challenge({ imsi, rand: toBase64(rand), auts: toBase64(auts) }, 'resync');
  }

  /** Proves the SIM's answer: `POST /v1/keys/{keyId}/verify {res}`; any 2xx means both sides hold CK. */
  async verify(keyId: string, res: Uint8Array): Promise<void> {
    const answer = await postText(keyVerifyUrl(this.options.url, keyId), JSON.stringify({ res: toBase64(res) }), this.post());
    if (isSuccess(answer.status)) return;
    if (answer.status >= 500) throw serverError(answer.status, answer.text, this.options.url, 'verify', answer.headers);
    throw new KryptonError(
      'VERIFY_REFUSED',
      `The Keys API did not accept the SIM's answer (HTTP ${answer.status})${serverSays(soracomError(answer.text))}`,
      'Run the authentication again; if it keeps failing, the SIM may not be registered for Krypton in this coverage area (global or Japan)',
      { status: answer.status, step: 'verify', ...soracomError(answer.text) },
    );
  }

  private async challenge(body: Record<string, string>, step: 'start' | 'resync'): Promise<KeyChallenge> {
    const answer = await postText(this.options.url, JSON.stringify(body), this.post());
    // SORACOM answers a start with 200 or 401; both carry {keyId, rand, autn} (the public clients accept
    // both). Any other 2xx is taken as success too: a server may well say 201 for a key it created.
    if (!isSuccess(answer.status) && answer.status !== 401) {
      if (answer.status >= 500) throw serverError(answer.status, answer.text, this.options.url, `keys.${step}`, answer.headers);
      throw refused(answer.status, answer.text, step);
    }
    let json: Record<string, unknown>;
    try {
      json = parseJsonObject(answer.text, 'Keys API');
    } catch (e) {
      if (answer.status === 401) throw refused(answer.status, answer.text, step);
      throw e;
    }
    if (answer.status === 401 && json.keyId === undefined) throw refused(answer.status, answer.text, step);
    return parseChallenge(json);
  }

  private post() {
    return { fetch: this.options.fetch, tracer: this.options.tracer, timeoutMs: this.options.timeoutMs, signal: this.options.signal };
  }
}

/** Validates a `{keyId, rand, autn}` answer: a printable keyId and exactly 16-byte RAND and AUTN. */
export function parseChallenge(json: Record<string, unknown>): KeyChallenge {
  const { keyId, rand, autn } = json;
  if (!isValidKeyId(keyId)) throw malformed(`keyId is missing, longer than ${MAX_KEY_ID_LENGTH} characters, or not printable`);
  return { keyId, rand: decode16(rand, 'rand'), autn: decode16(autn, 'autn') };
}

/**
 * Whether a keyId can be used: a non-empty printable string of at most 256 characters. `.` and `..`
 * are refused because URL parsers resolve them as path segments, so they cannot travel in the verify path.
 */
export function isValidKeyId(keyId: unknown): keyId is string {
  return (
    typeof keyId === 'string' &&
    keyId.length <= 4 * MAX_KEY_ID_LENGTH &&
    PRINTABLE.test(keyId) &&
    [...keyId].length <= MAX_KEY_ID_LENGTH &&
    keyId !== '.' &&
    keyId !== '..'
  );
}

/**
 * The verify URL of a key: the keyId as one path segment, percent-encoded with encodeURIComponent
 * (so `:`, `+`, `/`, `=` and `%` travel as `%3A`, `%2B`, `%2F`, `%3D`, `%25`). The bridge's proxy and
 * the lab read it back with exactly one decodeURIComponent.
 */
export function keyVerifyUrl(keysApiUrl: string, keyId: string): string {
  return `${keysApiUrl}/${encodeURIComponent(keyId)}/verify`;
}

function decode16(value: unknown, name: string): Bytes {
  if (typeof value !== 'string') throw malformed(`${name} is missing`);
  let bytes: Bytes;
  try {
    bytes = fromBase64(value, name);
  } catch {
    throw malformed(`${name} is not standard base64`);
  }
  if (bytes.length !== 16) throw malformed(`${name} has ${bytes.length} bytes instead of 16`);
  return bytes;
}

function malformed(what: string): KryptonError {
  return new KryptonError(
    'MALFORMED_ANSWER',
    `The Keys API answer is malformed: ${what}`,
    'Check that the Keys API URL points at SORACOM Krypton (…/v1/keys)',
    { step: 'key-agreement' },
  );
}

function refused(status: number, text: string, step: 'start' | 'resync'): KryptonError {
  const server = soracomError(text);
  if (step === 'resync') {
    return new KryptonError(
      'RESYNC_FAILED',
      `The Keys API refused to resynchronise the SIM's sequence number (HTTP ${status})${serverSays(server)}`,
      'The SIM and SORACOM disagree on the SIM keys or sequence; try once more, and if it repeats contact SORACOM support with the IMSI',
      { status, step: 'resync', ...server },
    );
  }
  return new KryptonError(
    'KEYS_API_REFUSED',
    `The Keys API refused to start SIM authentication (HTTP ${status})${serverSays(server)}`,
    status === 404 || status === 400
      ? 'Check that this SIM is a SORACOM IoT SIM, that Krypton is enabled for its group, and that the endpoint (global or Japan) matches the SIM'
      : 'Check the SIM group settings in the SORACOM console and the endpoint (global or Japan)',
    { status, step: 'key-agreement', ...server },
  );
}

/** The bridge proxy's upstream codes: its own 502/504 for a Krypton endpoint it could not get a sound answer from. */
const BRIDGE_UPSTREAM_CODES: ReadonlySet<string> = new Set<BridgeUpstreamCode>([
  'UPSTREAM_UNREACHABLE',
  'UPSTREAM_TIMEOUT',
  'UPSTREAM_BROKEN',
  'UPSTREAM_TOO_LARGE',
  'UPSTREAM_REDIRECT',
  'UPSTREAM_NOT_JSON',
]);

/** The header a bridge sets on a forwarded answer naming the upstream host (bridge-server's `UPSTREAM_HOST_HEADER`). */
export const UPSTREAM_HOST_HEADER = 'x-krypton-upstream-host';

/**
 * A 5xx (or 429) answer from any SORACOM endpoint, with the server's own code and message. Through
 * the bridge, its own 502/504 for an upstream it could not reach keeps the bridge's code and words
 * (they name the SORACOM host, not the bridge's), and SORACOM's own 5xx names SORACOM's host.
 */
export function serverError(status: number, text: string, url: string, step: string, headers?: Headers): KryptonError {
  const server = soracomError(text);
  const relayed = bridgeUpstreamFailure(status, text, step);
  if (relayed) return relayed;
  const upstream = headers?.get(UPSTREAM_HOST_HEADER) ?? undefined;
  const host = upstream ?? hostOf(url);
  return new KryptonError(
    'SERVER_ERROR',
    `${upstream && /(^|\.)soracom\.io(:\d+)?$/.test(upstream) ? `SORACOM (${upstream})` : host} answered HTTP ${status}${serverSays(server)}`,
    status === 429 ? 'Too many requests: wait a minute and try again' : 'The service is having trouble; wait a minute and try again',
    { status, step, host, ...server },
  );
}

/** The bridge's typed 502/504 (`{code: 'UPSTREAM_…', message, host, reason, action}`) as the error it names, or undefined. */
export function bridgeUpstreamFailure(status: number, text: string, step: string): KryptonError | undefined {
  if (status !== 502 && status !== 504) return undefined;
  let body: { code?: unknown; message?: unknown; host?: unknown; reason?: unknown; action?: unknown };
  try {
    body = JSON.parse(text) as typeof body;
  } catch {
    return undefined;
  }
  if (typeof body !== 'object' || body === null || typeof body.code !== 'string' || !BRIDGE_UPSTREAM_CODES.has(body.code)) return undefined;
  const str = (v: unknown, max: number): string | undefined => (typeof v === 'string' && v ? v.slice(0, max) : undefined);
  const host = str(body.host, 253);
  const reason = str(body.reason, 20);
  return new KryptonError(
    body.code as BridgeUpstreamCode,
    str(body.message, 500) ?? `The bridge could not get an answer from ${host ?? 'the Krypton endpoint'}`,
    str(body.action, 300) ?? 'Check this computer’s internet connection, its DNS and any proxy or firewall, then try again',
    { status, step, ...(host ? { host } : {}), ...(reason ? { reason } : {}) },
  );
}
