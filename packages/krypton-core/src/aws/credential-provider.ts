import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from '@smithy/types';
import type { CognitoIdentityClientConfig } from '@aws-sdk/client-cognito-identity';
import { KryptonError, type KryptonErrorDetails } from '../errors/index.ts';
import { Tracer, failureOf, type TraceFailure } from '../trace/index.ts';
import { CognitoExchange } from './cognito-exchange.ts';
import type { KryptonCognitoSource, KryptonOpenIdToken, KryptonSessionCredentials } from './krypton-cognito-source.ts';

/** How the provider turns the SIM into AWS credentials: an OpenID token exchanged at Cognito by us, or credentials Krypton got from Cognito. */
export type KryptonCredentialMode = 'openid' | 'direct';

/** AWS credentials from Krypton, as the AWS SDK takes them, plus the Cognito identity they belong to. */
export interface KryptonAwsCredentials extends AwsCredentialIdentity {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken: string;
  /** When the credentials stop working, on this device's clock. */
  readonly expiration: Date;
  readonly identityId?: string;
}

/** What the UI may show about the credentials in use: never the secret key or the session token. */
export interface KryptonCredentialInfo {
  mode: KryptonCredentialMode;
  identityId: string | undefined;
  accessKeyId: string;
  expiration: Date;
}

/** Why a refresh started. */
export type KryptonRefreshReason = 'initial' | 'expiring' | 'forced' | 'invalidated';

/** What the provider reports as it works, for a UI (no secrets: the failure is a code and a message). */
export type KryptonCredentialEvent =
  | { type: 'refreshing'; mode: KryptonCredentialMode; reason: KryptonRefreshReason }
  | ({ type: 'refreshed' } & KryptonCredentialInfo)
  | {
      type: 'refresh-failed';
      mode: KryptonCredentialMode;
      failure: TraceFailure;
      /** The failure's facts and advice when it was a KryptonError (its texts need them: an HTTP status, a step). */
      error?: { action: string; details: KryptonErrorDetails };
    };

/** Settings of a Krypton credential provider. */
export interface KryptonCredentialProviderOptions {
  /** The Krypton calls (the Krypton client implements them). */
  source: KryptonCognitoSource;
  /** `openid` (default): Krypton gives an OpenID token, we call Cognito. `direct`: Krypton gives the credentials. */
  mode?: KryptonCredentialMode;
  /** Cognito Identity endpoint (e.g. the lab's emulator); by default AWS's endpoint for the token's region. */
  cognitoEndpoint?: string;
  /** HTTP handler for the Cognito Identity SDK client (e.g. a FetchHttpHandler with its own fetch). */
  requestHandler?: CognitoIdentityClientConfig['requestHandler'];
  /** Attempts per Cognito call, retries of network failures, throttling and 5xx included (default 3). */
  cognitoMaxAttempts?: number;
  /** Deadline for one Cognito call, all attempts included (default 15 s). */
  cognitoTimeoutMs?: number;
  /** Refresh this long before expiration (default 5 minutes). */
  refreshMarginMs?: number;
  /** This device's clock, ms epoch (default `Date.now`). */
  now?: () => number;
  /** Receives the `cognito` step and its HTTP events. */
  tracer?: Tracer;
  /** Receives refresh events for the UI. */
  onEvent?: (event: KryptonCredentialEvent) => void;
}

/** An AWS SDK v3 credential provider backed by SORACOM Krypton, with cache control for the app. */
export interface KryptonCredentialProvider extends AwsCredentialIdentityProvider {
  /** Cached credentials, or fresh ones when they are missing, within the margin of expiry, or `forceRefresh` is set. */
  (identityProperties?: Record<string, unknown>): Promise<KryptonAwsCredentials>;
  /** Forgets the cached credentials (a different SIM, revoked credentials); the next call fetches new ones. */
  invalidate(): void;
  /** What is cached now, without refreshing. */
  current(): KryptonCredentialInfo | undefined;
  /** Closes the Cognito client's connections. */
  destroy(): void;
}

/** Default margin before expiration at which credentials are refreshed: the AWS SDK's own window. */
export const DEFAULT_REFRESH_MARGIN_MS = 5 * 60_000;
const DEFAULT_TIMEOUT_MS = 15_000;
const DEFAULT_MAX_ATTEMPTS = 3;
// Cognito's credentials last an hour (STS allows 12). Anything beyond a week is a unit mistake
// (milliseconds read as seconds), not a long-lived credential.
const MAX_LIFETIME_MS = 7 * 24 * 3600_000;
// The pattern Cognito enforces on identity ids.
const IDENTITY_ID = /^[\w-]+:[0-9a-f-]+$/;
const REGION = /^[a-z]{2}(-[a-z]+)+-\d+$/;

interface Cached {
  credentials: KryptonAwsCredentials;
  /** Local time from which the credentials count as expiring. */
  refreshAt: number;
}

interface InFlight {
  promise: Promise<KryptonAwsCredentials>;
  generation: number;
}

/**
 * An AWS SDK v3 credential provider backed by SORACOM Krypton: pass it as `credentials` to any
 * client. It caches, refreshes within `refreshMarginMs` of expiry, and never runs two refreshes at
 * once (every refresh is a SIM authentication, and the SIM link admits one user at a time).
 */
export function fromKrypton(options: KryptonCredentialProviderOptions): KryptonCredentialProvider {
  const mode = options.mode ?? 'openid';
  const now = options.now ?? (() => Date.now());
  const margin = options.refreshMarginMs ?? DEFAULT_REFRESH_MARGIN_MS;
  const tracer = options.tracer ?? new Tracer();
  if (options.cognitoEndpoint !== undefined) checkEndpoint(options.cognitoEndpoint);
  const exchange = new CognitoExchange({
    ...(options.cognitoEndpoint !== undefined ? { endpoint: options.cognitoEndpoint } : {}),
    ...(options.requestHandler !== undefined ? { requestHandler: options.requestHandler } : {}),
    maxAttempts: options.cognitoMaxAttempts ?? DEFAULT_MAX_ATTEMPTS,
    timeoutMs: options.cognitoTimeoutMs ?? DEFAULT_TIMEOUT_MS,
    tracer,
  });

  let cached: Cached | undefined;
  let inFlight: InFlight | undefined;
  // Bumped by invalidate(): a refresh started before it must not refill the cache.
  let generation = 0;
  let invalidated = false;

  const emit = (event: KryptonCredentialEvent) => {
    try {
      options.onEvent?.(event);
    } catch {
      // A UI listener that throws must not break AWS calls.
    }
  };

  const obtain = async (): Promise<{ credentials: KryptonAwsCredentials; lifetimeMs: number }> => {
    if (mode === 'direct')
      return fromSession(await callSource(() => options.source.sessionCredentials(), 'aws/cognito/credentials'), now());
    const openId = checkOpenIdToken(await callSource(() => options.source.openIdToken(), 'aws/cognito/open_id_tokens'));
    const answer = await tracer.run(
      'cognito',
      () => exchange.credentialsFor(openId),
      (a) => ({
        code: 'cognito',
        text: `identity ${a.identityId}, credentials until ${a.expiration.toISOString()}`,
        facts: { identityId: a.identityId, expiresAt: a.expiration.getTime() },
      }),
    );
    // Cognito states expiry on its own clock; measured against its Date header it becomes a lifetime,
    // which holds on this device's clock however far the two clocks disagree.
    const receivedAt = now();
    const lifetimeMs = answer.expiration.getTime() - (answer.serverDate ?? receivedAt);
    checkLifetime(lifetimeMs, answer.expiration, 'Cognito', 'cognito');
    return {
      credentials: freeze({
        accessKeyId: answer.accessKeyId,
        secretAccessKey: answer.secretAccessKey,
        sessionToken: answer.sessionToken,
        expiration: new Date(receivedAt + lifetimeMs),
        identityId: answer.identityId,
      }),
      lifetimeMs,
    };
  };

  const refresh = async (forGeneration: number, reason: KryptonRefreshReason): Promise<KryptonAwsCredentials> => {
    emit({ type: 'refreshing', mode, reason });
    try {
      const { credentials, lifetimeMs } = await obtain();
      if (generation === forGeneration) {
        // Credentials shorter-lived than twice the margin would count as expiring on arrival and be
        // fetched again on every call; for them, refresh at half their life instead.
        const effectiveMargin = Math.min(margin, lifetimeMs / 2);
        cached = { credentials, refreshAt: credentials.expiration.getTime() - effectiveMargin };
        invalidated = false;
      }
      emit({ type: 'refreshed', ...infoOf(mode, credentials) });
      return credentials;
    } catch (e) {
      emit({
        type: 'refresh-failed',
        mode,
        failure: failureOf(e),
        ...(KryptonError.is(e) ? { error: { action: e.action, details: e.details } } : {}),
      });
      throw e;
    }
  };

  const provide = async (identityProperties?: Record<string, unknown>): Promise<KryptonAwsCredentials> => {
    const forced = identityProperties?.['forceRefresh'] === true;
    if (!forced && cached && now() < cached.refreshAt) return cached.credentials;
    // Callers arriving while a refresh runs share it, forced ones included: its answer is newer than their request.
    if (inFlight && inFlight.generation === generation) return inFlight.promise;
    const reason: KryptonRefreshReason = forced ? 'forced' : cached ? 'expiring' : invalidated ? 'invalidated' : 'initial';
    const forGeneration = generation;
    // A refresh made stale by invalidate() still owns the SIM until it settles: wait for it.
    const stale = inFlight?.promise;
    const promise = (async () => {
      if (stale) await stale.catch(() => undefined);
      return refresh(forGeneration, reason);
    })();
    const entry: InFlight = { promise, generation: forGeneration };
    inFlight = entry;
    // A failure is not kept: once settled the slot is free and the next call starts afresh.
    void promise.then(
      () => release(entry),
      () => release(entry),
    );
    return promise;
  };

  const release = (entry: InFlight) => {
    if (inFlight === entry) inFlight = undefined;
  };

  return Object.assign(provide, {
    invalidate(): void {
      cached = undefined;
      generation += 1;
      invalidated = true;
    },
    current(): KryptonCredentialInfo | undefined {
      return cached ? infoOf(mode, cached.credentials) : undefined;
    },
    destroy(): void {
      exchange.destroy();
    },
    // The AWS SDK wraps providers in its own memo unless they say they memoize (`memoized`, read by
    // @aws-sdk/core's resolveAwsSdkSigV4Config). Its memo would keep credentials after invalidate()
    // and judge expiry without our clock correction, so the SDK is told to ask us every time: a
    // cache hit here costs nothing.
    memoized: true,
  });
}

/**
 * Runs a Krypton call; its KryptonErrors and the SIM link's coded errors (a card pulled out, a closed
 * transport) pass unchanged, so the page names what really failed; anything else is a failure of the Krypton client.
 */
async function callSource<T>(call: () => Promise<T>, operation: string): Promise<T> {
  try {
    return await call();
  } catch (e) {
    if (e instanceof KryptonError || isCodedError(e)) throw e;
    throw new KryptonError(
      'SERVER_ERROR',
      `The Krypton ${operation} call failed unexpectedly: ${e instanceof Error ? e.message : String(e)}`,
      'Try again; if it keeps failing, check the Krypton endpoint and the SIM group’s settings',
      { step: 'provisioning' },
      { cause: e },
    );
  }
}

/** An error that says what it is by a code (TransportError, a bridge's or a modem's error). */
function isCodedError(e: unknown): e is Error & { code: string } {
  if (!(e instanceof Error)) return false;
  const code: unknown = (e as Error & { code?: unknown }).code;
  return typeof code === 'string' && code !== '';
}

function checkEndpoint(endpoint: string): void {
  let protocol: string | undefined;
  try {
    protocol = new URL(endpoint).protocol;
  } catch {
    protocol = undefined;
  }
  if (protocol !== 'https:' && protocol !== 'http:') {
    throw new KryptonError(
      'BAD_INPUT',
      `The Cognito endpoint "${endpoint}" is not an http(s) URL`,
      'Give the Cognito Identity endpoint as a URL, e.g. https://cognito-identity.ap-northeast-1.amazonaws.com',
      {
        step: 'cognito',
      },
    );
  }
}

function malformedKrypton(operation: string, what: string): KryptonError {
  return new KryptonError(
    'MALFORMED_ANSWER',
    `Krypton's ${operation} answer ${what}`,
    "Check that the Krypton endpoint is SORACOM Krypton and that the SIM group's AWS Cognito integration is configured",
    { step: 'provisioning' },
  );
}

function checkOpenIdToken(answer: unknown): KryptonOpenIdToken {
  const op = 'aws/cognito/open_id_tokens';
  const a = (typeof answer === 'object' && answer !== null ? answer : {}) as Partial<Record<keyof KryptonOpenIdToken, unknown>>;
  if (typeof a.region !== 'string' || !REGION.test(a.region)) throw malformedKrypton(op, 'has no valid AWS region');
  if (typeof a.identityId !== 'string' || !IDENTITY_ID.test(a.identityId)) throw malformedKrypton(op, 'has no valid Cognito identity id');
  if (typeof a.token !== 'string' || a.token.length === 0) throw malformedKrypton(op, 'has no token');
  return { region: a.region, identityId: a.identityId, token: a.token };
}

function fromSession(answer: unknown, receivedAt: number): { credentials: KryptonAwsCredentials; lifetimeMs: number } {
  const op = 'aws/cognito/credentials';
  const a = (typeof answer === 'object' && answer !== null ? answer : {}) as Partial<Record<keyof KryptonSessionCredentials, unknown>>;
  const c = (typeof a.credentials === 'object' && a.credentials !== null ? a.credentials : {}) as Partial<
    Record<keyof KryptonSessionCredentials['credentials'], unknown>
  >;
  if (typeof c.accessKeyId !== 'string' || c.accessKeyId.length === 0) throw malformedKrypton(op, 'has no accessKeyId');
  if (typeof c.secretKey !== 'string' || c.secretKey.length === 0) throw malformedKrypton(op, 'has no secretKey');
  if (typeof c.sessionToken !== 'string' || c.sessionToken.length === 0) throw malformedKrypton(op, 'has no sessionToken');
  if (typeof c.expiration !== 'number' || !Number.isFinite(c.expiration)) throw malformedKrypton(op, 'has no numeric expiration');
  const expiration = new Date(c.expiration);
  // Krypton's answer carries no server time, so its expiration is taken on this device's clock.
  const lifetimeMs = c.expiration - receivedAt;
  checkLifetime(lifetimeMs, expiration, `Krypton's ${op}`, 'provisioning');
  return {
    credentials: freeze({
      accessKeyId: c.accessKeyId,
      secretAccessKey: c.secretKey,
      sessionToken: c.sessionToken,
      expiration,
      ...(typeof a.identityId === 'string' && a.identityId.length > 0 ? { identityId: a.identityId } : {}),
    }),
    lifetimeMs,
  };
}

function checkLifetime(lifetimeMs: number, expiration: Date, who: string, step: string): void {
  if (!Number.isFinite(lifetimeMs) || lifetimeMs <= 0) {
    throw new KryptonError(
      'MALFORMED_ANSWER',
      `${who} answered credentials that expire at ${isoOf(expiration)}, already past`,
      "Check this device's clock; if it is right, the answer is wrong (expiration in seconds where milliseconds are expected?)",
      { step },
    );
  }
  if (lifetimeMs > MAX_LIFETIME_MS) {
    throw new KryptonError(
      'MALFORMED_ANSWER',
      `${who} answered credentials that expire at ${isoOf(expiration)}, too far ahead for temporary credentials`,
      "Check this device's clock; if it is right, the answer is wrong (expiration in milliseconds where seconds are expected?)",
      { step },
    );
  }
}

function isoOf(date: Date): string {
  return Number.isFinite(date.getTime()) ? date.toISOString() : 'an invalid time';
}

function freeze(credentials: KryptonAwsCredentials): KryptonAwsCredentials {
  // Every caller gets the same object; freezing keeps one caller from changing it for the others.
  return Object.freeze({ ...credentials, expiration: new Date(credentials.expiration.getTime()) });
}

function infoOf(mode: KryptonCredentialMode, c: KryptonAwsCredentials): KryptonCredentialInfo {
  return { mode, identityId: c.identityId, accessKeyId: c.accessKeyId, expiration: new Date(c.expiration.getTime()) };
}
