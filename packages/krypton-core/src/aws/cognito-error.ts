import { KryptonError, type KryptonErrorDetails } from '../errors/index.ts';
import { REDACTED } from '../trace/index.ts';

/** What was known about a failed GetCredentialsForIdentity call, for turning its error into a KryptonError. */
export interface CognitoCallContext {
  /** Host of the Cognito endpoint, for messages. */
  host: string;
  region: string;
  identityId: string;
  /** The OpenID token sent; scrubbed from anything the server echoes back. */
  token: string;
  timeoutMs: number;
  /** Whether our own deadline aborted the call. */
  timedOut: boolean;
  /** HTTP status of the last answer, when one arrived. */
  status: number | undefined;
  /** HTTP attempts that reached the network layer. */
  attempts: number;
}

// Cognito's own throttling answers plus the generic ones the SDK recognises.
const THROTTLING = new Set([
  'TooManyRequestsException',
  'ThrottlingException',
  'Throttling',
  'LimitExceededException',
  'RequestLimitExceeded',
]);

const MAX_SERVER_MESSAGE = 500;

/** Turns whatever the AWS SDK threw for GetCredentialsForIdentity into a KryptonError that says what happened and what to do. */
export function cognitoError(e: unknown, ctx: CognitoCallContext): KryptonError {
  if (e instanceof KryptonError) return e;
  const cause = { cause: e };
  const step = 'cognito';

  if (ctx.timedOut) {
    return new KryptonError(
      'TIMEOUT',
      `Cognito (${ctx.host}) did not answer within ${Math.round(ctx.timeoutMs / 1000)} s`,
      'Check the network connection and try again',
      { step },
      cause,
    );
  }

  const err = (typeof e === 'object' && e !== null ? e : {}) as {
    name?: unknown;
    message?: unknown;
    code?: unknown;
    $fault?: unknown;
    $metadata?: { httpStatusCode?: unknown };
  };
  const metaStatus = typeof err.$metadata?.httpStatusCode === 'number' ? err.$metadata.httpStatusCode : undefined;
  const status = ctx.status ?? metaStatus;

  if (ctx.attempts === 0) {
    // The SDK failed before sending anything: its configuration (endpoint, region) is at fault, not the network.
    return new KryptonError(
      'BAD_INPUT',
      `The AWS SDK could not prepare the Cognito request: ${typeof err.message === 'string' ? scrub(err.message, ctx.token) : String(e)}`,
      'Check the Cognito endpoint URL and the region Krypton returned',
      { step },
      cause,
    );
  }

  if (status === undefined) {
    // No HTTP answer at all: refused connection, DNS failure, TLS failure, or a browser's CORS block
    // (which fetch reports as the same opaque TypeError).
    const reason = typeof err.code === 'string' ? ` (${err.code})` : '';
    return new KryptonError(
      'NETWORK_UNREACHABLE',
      `Could not reach Cognito at ${ctx.host}${reason}`,
      `Check the network connection and the Cognito endpoint for region ${ctx.region}, then try again`,
      { step, host: ctx.host },
      cause,
    );
  }

  // A ServiceException carries $fault; anything else that arrived with a status is an answer the SDK
  // could not read (an HTML error page, a proxy, a wrong endpoint).
  const isServiceError = err.$fault === 'client' || err.$fault === 'server';
  const name = typeof err.name === 'string' ? err.name : 'Error';
  const details: KryptonErrorDetails = { step, status };
  if (isServiceError) {
    details.serverCode = name.slice(0, 100);
    if (typeof err.message === 'string' && err.message.length > 0) details.serverMessage = scrub(err.message, ctx.token);
  }

  if (status === 429 || (isServiceError && THROTTLING.has(name))) return throttled(ctx, details, cause);
  if (status >= 500 || err.$fault === 'server') {
    return new KryptonError(
      'SERVER_ERROR',
      `Cognito (${ctx.host}) failed with HTTP ${status}${isServiceError ? ` ${name}` : ''}`,
      'Try again in a moment; if it keeps failing, check the AWS Health Dashboard for Cognito in this region',
      details,
      cause,
    );
  }
  if (!isServiceError) {
    return new KryptonError(
      'MALFORMED_ANSWER',
      `The answer from ${ctx.host} (HTTP ${status}) is not a Cognito Identity answer`,
      'Check the Cognito endpoint URL: it must point at Cognito Identity (cognito-identity.<region>.amazonaws.com)',
      details,
      cause,
    );
  }

  switch (name) {
    case 'NotAuthorizedException':
      if (/expired/i.test(details.serverMessage ?? '')) {
        return new KryptonError(
          'COGNITO_REFUSED',
          'Cognito refused the token: it had expired before it reached Cognito',
          "Try again (a new token is requested each time); if it keeps happening, check this device's clock and the network delay",
          details,
          cause,
        );
      }
      return new KryptonError(
        'COGNITO_REFUSED',
        "Cognito refused the token: the identity pool may not trust SORACOM Krypton's developer provider, or the token expired",
        "Check the identity pool's authentication providers: the developer provider name must be the one configured for SORACOM Krypton",
        details,
        cause,
      );
    case 'ResourceNotFoundException':
      return new KryptonError(
        'COGNITO_REFUSED',
        `Cognito has no identity ${ctx.identityId} in ${ctx.region}: the identity or its pool was deleted, or the pool is in another region or account`,
        "Check the identity pool ID and region in the SIM group's Krypton AWS Cognito settings",
        details,
        cause,
      );
    case 'InvalidIdentityPoolConfigurationException':
      return new KryptonError(
        'COGNITO_REFUSED',
        "Cognito accepted the token but cannot hand out credentials: the identity pool's authenticated role is missing or does not trust Cognito",
        "Check the pool's authenticated IAM role and that its trust policy allows cognito-identity.amazonaws.com for this pool",
        details,
        cause,
      );
    default:
      return new KryptonError(
        'COGNITO_REFUSED',
        `Cognito refused GetCredentialsForIdentity (${name})`,
        "Check the identity pool's configuration and the identity ID Krypton returned, then try again",
        details,
        cause,
      );
  }
}

function throttled(ctx: CognitoCallContext, details: KryptonErrorDetails, cause: { cause: unknown }): KryptonError {
  return new KryptonError(
    'SERVER_ERROR',
    `Cognito (${ctx.host}) is throttling requests`,
    "Wait a minute and try again; if it keeps happening, the account's Cognito request quota is too low for this many devices",
    details,
    cause,
  );
}

// Cognito does not echo tokens today; the scrub keeps it that way should a proxy or a future message do so.
function scrub(message: string, token: string): string {
  const clean = token.length > 0 ? message.split(token).join(REDACTED) : message;
  return clean.slice(0, MAX_SERVER_MESSAGE);
}
