import type { Context, ErrorHandler } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { errorFacts, type LogFacts, type Logger } from '../log.ts';

/**
 * Every failure the bridge's HTTP side answers with, by a stable code. Pages rely on the status and
 * show the message; the code tells a test or a log reader which failure it was.
 */
export type BridgeHttpErrorCode =
  // The Krypton proxy's upstream
  | 'UPSTREAM_UNREACHABLE'
  | 'UPSTREAM_TIMEOUT'
  | 'UPSTREAM_BROKEN'
  | 'UPSTREAM_TOO_LARGE'
  | 'UPSTREAM_REDIRECT'
  | 'UPSTREAM_NOT_JSON'
  // The request as it arrived
  | 'REQUEST_INCOMPLETE'
  // Anything else: a fault of the bridge itself
  | 'BRIDGE_ERROR';

const STATUS: Record<BridgeHttpErrorCode, ContentfulStatusCode> = {
  UPSTREAM_UNREACHABLE: 502,
  UPSTREAM_TIMEOUT: 504,
  UPSTREAM_BROKEN: 502,
  UPSTREAM_TOO_LARGE: 502,
  UPSTREAM_REDIRECT: 502,
  UPSTREAM_NOT_JSON: 502,
  REQUEST_INCOMPLETE: 400,
  BRIDGE_ERROR: 500,
};

/**
 * The one error type the bridge's HTTP handlers throw. The message says what happened and what to
 * do and goes to the page as is; `facts` go to the log only and must be facts (names, codes, counts),
 * never bodies, tokens or keys.
 */
export class BridgeHttpError extends Error {
  override readonly name = 'BridgeHttpError';
  readonly code: BridgeHttpErrorCode;
  readonly status: ContentfulStatusCode;
  readonly facts: LogFacts;
  /** Extra fields of the answer's body the page shows (the upstream host, which failure, what to do); never secrets. */
  readonly answer: BridgeErrorAnswerFacts;

  constructor(
    code: BridgeHttpErrorCode,
    message: string,
    facts: LogFacts = {},
    options?: { cause?: unknown; answer?: BridgeErrorAnswerFacts },
  ) {
    super(message, options);
    this.code = code;
    this.status = STATUS[code];
    this.facts = facts;
    this.answer = options?.answer ?? {};
  }
}

/** Why the bridge could not reach an upstream host, for the page to word it: the name did not resolve, the host refused, or another network failure. */
export type UpstreamReason = 'dns' | 'refused' | 'network' | 'timeout';

/** What a typed error answer may carry besides its code and message. */
export interface BridgeErrorAnswerFacts {
  /** The upstream host the bridge tried (g.api.soracom.io), never a path or query. */
  host?: string;
  reason?: UpstreamReason;
  /** What to do next, when the message alone does not say it. */
  action?: string;
}

/** What the page reads for a fault of ours: no detail of it, only what to do. */
const INTERNAL_MESSAGE =
  'The bridge failed while handling this request: try again; if it repeats, restart `pnpm bridge` and report what you did';

/**
 * The bridge app's one error hook: every error thrown in a handler or middleware (sub-apps mounted
 * with `route` included) ends as a typed `{ code, message }` answer and one log line of facts, never
 * as hono's plain-text 500 and never on console.error.
 */
export function bridgeErrorHook(log: Logger): ErrorHandler {
  return (err, c) => errorAnswer(err, c, log);
}

/** Answers an error with the typed JSON body (headers already set on `c`, such as CORS, kept) and logs it as facts. */
export function errorAnswer(err: unknown, c: Context, log: Logger): Response {
  const { status, body } = describeError(err, { method: c.req.method, route: routeOf(c) }, log);
  return c.json(body, status);
}

/**
 * The answer for an error that escaped the app altogether (hono passes on a thrown non-Error): the
 * same typed body, so not even that ends in the server's empty 500.
 */
export function escapedErrorAnswer(err: unknown, request: Request, log: Logger): Response {
  const { status, body } = describeError(err, { method: request.method, route: '(outside the app)' }, log);
  return Response.json(body, { status, headers: { 'Cache-Control': 'no-store', 'X-Content-Type-Options': 'nosniff' } });
}

/** Logs an error as one line of facts and says what the page is told. */
function describeError(
  err: unknown,
  where: { method: string; route: string },
  log: Logger,
): { status: ContentfulStatusCode; body: { code: BridgeHttpErrorCode; message: string } & BridgeErrorAnswerFacts } {
  if (err instanceof BridgeHttpError) {
    // The answer's own facts come first and cannot be overwritten by the thrower's.
    const facts: LogFacts = { code: err.code, status: err.status, ...where };
    for (const [k, v] of Object.entries(err.facts)) if (!Object.hasOwn(facts, k)) facts[k] = v;
    log.warn('request failed', facts);
    return { status: err.status, body: { code: err.code, message: err.message, ...err.answer } };
  }
  // An error's message can carry anything (a URL with a query, a value from a body): only its kind is logged.
  log.error('request failed', { code: 'BRIDGE_ERROR', status: 500, ...where, ...errorFacts(err) });
  return { status: 500, body: { code: 'BRIDGE_ERROR', message: INTERNAL_MESSAGE } };
}

/** The route pattern that was running (`/krypton/:target/*`), not the path: paths carry ids. */
function routeOf(c: Context): string {
  try {
    return c.req.routePath;
  } catch {
    return '(none)';
  }
}
