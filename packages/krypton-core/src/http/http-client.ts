import { concatBytes, type Bytes } from '../bytes/index.ts';
import { KryptonError } from '../errors/index.ts';
import { redactUrl, type Tracer } from '../trace/index.ts';

/** The fetch function core uses; injectable (a proxy, a test double, a worker's fetch). */
export type FetchLike = (input: string, init: RequestInit) => Promise<Response>;

/** A finished HTTP exchange, body read. */
export interface HttpAnswer {
  status: number;
  headers: Headers;
  text: string;
  /** Local time (ms epoch) when the answer arrived, for clock-offset measurement. */
  receivedAt: number;
}

/** Options of one POST. */
export interface PostOptions {
  fetch: FetchLike;
  tracer: Tracer;
  headers?: Record<string, string>;
  /** Give up after this long (default 15 s): SORACOM's own client waits forever, a person should not. */
  timeoutMs?: number;
  signal?: AbortSignal;
  /** Local clock, ms epoch. */
  now?: () => number;
  /** Largest answer body accepted, bytes (default 1 MiB): answers are small JSON documents. */
  maxBodyBytes?: number;
}

const DEFAULT_TIMEOUT_MS = 15_000;
const DEFAULT_MAX_BODY = 1024 * 1024;

/** POSTs a body and reads the answer; network failures, timeouts and aborts become KryptonErrors. */
export async function postText(url: string, body: string, options: PostOptions): Promise<HttpAnswer> {
  const { tracer } = options;
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const timeout = AbortSignal.timeout(timeoutMs);
  const signal = options.signal ? AbortSignal.any([options.signal, timeout]) : timeout;
  const start = tracer.clock();
  const step = tracer.step;
  const shownUrl = redactUrl(url);
  try {
    const response = await options.fetch(url, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', ...options.headers },
      body,
      signal,
      // Credentials (cookies) are never part of a Krypton call.
      credentials: 'omit',
    });
    const text = await readBounded(response, options.maxBodyBytes ?? DEFAULT_MAX_BODY);
    tracer.emit({ type: 'http', step, method: 'POST', url: shownUrl, status: response.status, durationMs: tracer.since(start) });
    return { status: response.status, headers: response.headers, text, receivedAt: (options.now ?? Date.now)() };
  } catch (e) {
    const error = toHttpError(e, url, timeoutMs, options.signal);
    tracer.emit({
      type: 'http',
      step,
      method: 'POST',
      url: shownUrl,
      status: undefined,
      durationMs: tracer.since(start),
      failure: { code: error.code, message: error.message },
    });
    throw error;
  }
}

async function readBounded(response: Response, max: number): Promise<string> {
  const declared = Number(response.headers.get('content-length') ?? 'NaN');
  if (declared > max) {
    await response.body?.cancel();
    throw new KryptonError(
      'MALFORMED_ANSWER',
      `The server sent ${declared} bytes where a small JSON answer was expected`,
      'Check that the endpoint URL points at SORACOM Krypton',
    );
  }
  const body = await readBodyWithin(response, max);
  if (body === undefined) {
    throw new KryptonError(
      'MALFORMED_ANSWER',
      `The server sent more than ${max} bytes where a small JSON answer was expected`,
      'Check that the endpoint URL points at SORACOM Krypton',
    );
  }
  return new TextDecoder().decode(body);
}

/** Reads a response body of at most `max` bytes; undefined (and the stream cancelled) when it is longer. */
export async function readBodyWithin(response: Response, max: number): Promise<Bytes | undefined> {
  const reader = response.body?.getReader();
  if (!reader) return new Uint8Array();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.length;
    if (size > max) {
      await reader.cancel();
      return undefined;
    }
    chunks.push(value);
  }
  return concatBytes(...chunks);
}

function toHttpError(e: unknown, url: string, timeoutMs: number, callerSignal: AbortSignal | undefined): KryptonError {
  if (e instanceof KryptonError) return e;
  const host = hostOf(url);
  const name = (e as { name?: string } | undefined)?.name;
  if (callerSignal?.aborted)
    return new KryptonError('ABORTED', `The request to ${host} was cancelled`, 'Start again when ready', {}, { cause: e });
  if (name === 'TimeoutError' || name === 'AbortError') {
    return new KryptonError(
      'TIMEOUT',
      `${host} did not answer within ${Math.round(timeoutMs / 1000)} s`,
      'Check the network connection and try again',
      {},
      { cause: e },
    );
  }
  return new KryptonError(
    'NETWORK_UNREACHABLE',
    `Cannot reach ${host}: no internet, a DNS failure or a proxy in the way`,
    'Check the network connection, the endpoint URL, and (from a browser) that the bridge is running to forward the request',
    { host },
    { cause: e },
  );
}

/** The host part of a URL for messages (never the query). */
export function hostOf(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return 'the server';
  }
}

/** Parses a JSON object answer, or says the answer is malformed. */
export function parseJsonObject(text: string, what: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new KryptonError('MALFORMED_ANSWER', `${what}: the answer is not JSON`, 'Check that the endpoint URL points at SORACOM Krypton');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new KryptonError(
      'MALFORMED_ANSWER',
      `${what}: the answer is not a JSON object`,
      'Check that the endpoint URL points at SORACOM Krypton',
    );
  }
  return value as Record<string, unknown>;
}

/** Whether an HTTP status counts as success: any 2xx (SORACOM may answer 201 or 204 where our lab says 200). */
export function isSuccess(status: number): boolean {
  return status >= 200 && status <= 299;
}

/**
 * The server's own words for a message: ` (CODE: message)`, or '' when the answer carried neither.
 * Errors show them whatever the status, so a person can quote them to SORACOM support.
 */
export function serverSays(server: { serverCode?: string; serverMessage?: string }): string {
  const words = [server.serverCode, server.serverMessage].filter((w): w is string => !!w).join(': ');
  return words ? ` (${words.replace(/[\r\n]+/g, ' ')})` : '';
}

/** SORACOM's `{code, message}` error body, if the text holds one. */
export function soracomError(text: string): { serverCode?: string; serverMessage?: string } {
  try {
    const v = JSON.parse(text) as { code?: unknown; message?: unknown };
    return {
      ...(typeof v.code === 'string' ? { serverCode: v.code.slice(0, 100) } : {}),
      ...(typeof v.message === 'string' ? { serverMessage: v.message.slice(0, 500) } : {}),
    };
  } catch {
    return {};
  }
}
