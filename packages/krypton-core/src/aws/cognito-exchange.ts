import type { CognitoIdentityClient, CognitoIdentityClientConfig } from '@aws-sdk/client-cognito-identity';
import { KryptonError } from '../errors/index.ts';
import { redactUrl, type Tracer } from '../trace/index.ts';
import { cognitoError, type CognitoCallContext } from './cognito-error.ts';
import type { KryptonOpenIdToken } from './krypton-cognito-source.ts';

/** The Logins key under which a developer-authenticated OpenID token is presented to Cognito. */
export const COGNITO_LOGIN_PROVIDER = 'cognito-identity.amazonaws.com';

/** How the Cognito Identity client is built and how long a call may take. */
export interface CognitoExchangeOptions {
  /** Cognito Identity endpoint; by default the SDK's regional endpoint for the token's region. */
  endpoint?: string;
  /** HTTP handler for the SDK (a FetchHttpHandler with its own fetch, a NodeHttpHandler, options). */
  requestHandler?: CognitoIdentityClientConfig['requestHandler'];
  /** Attempts per exchange, retries of network failures, throttling and 5xx included. */
  maxAttempts: number;
  /** Deadline for one exchange, all attempts included. */
  timeoutMs: number;
  tracer: Tracer;
}

/** Credentials as Cognito answered them, with the server's clock reading when it answered. */
export interface ExchangedCredentials {
  identityId: string;
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken: string;
  /** Expiration on the server's clock. */
  expiration: Date;
  /** The answer's `Date` header (ms epoch), when it had a readable one. */
  serverDate: number | undefined;
}

interface HttpRequestLike {
  method: string;
  protocol: string;
  hostname: string;
  port?: number;
  path: string;
}

type CognitoSdk = typeof import('@aws-sdk/client-cognito-identity');
let sdkLoading: Promise<CognitoSdk> | undefined;

/** The Cognito Identity SDK, loaded on the first exchange: a command that never reaches AWS (the CLI's -version, the bridge) does not pay for it at start. */
function cognitoSdk(): Promise<CognitoSdk> {
  sdkLoading ??= import('@aws-sdk/client-cognito-identity').catch((e: unknown) => {
    sdkLoading = undefined;
    throw e;
  });
  return sdkLoading;
}

interface HttpResponseLike {
  statusCode: number;
  headers: Record<string, string | undefined>;
}

/** Calls Cognito Identity `GetCredentialsForIdentity` with a Krypton OpenID token: unsigned, traced, errors mapped. */
export class CognitoExchange {
  private client: { region: string; client: CognitoIdentityClient } | undefined;

  constructor(private readonly options: CognitoExchangeOptions) {}

  /** Exchanges the token for AWS credentials. */
  async credentialsFor(openId: KryptonOpenIdToken): Promise<ExchangedCredentials> {
    const sdk = await cognitoSdk();
    const command = new sdk.GetCredentialsForIdentityCommand({
      IdentityId: openId.identityId,
      Logins: { [COGNITO_LOGIN_PROVIDER]: openId.token },
    });
    const { tracer, timeoutMs } = this.options;
    const endpoint = this.options.endpoint ?? `https://cognito-identity.${openId.region}.amazonaws.com`;
    const ctx: CognitoCallContext = {
      host: hostOf(endpoint),
      region: openId.region,
      identityId: openId.identityId,
      token: openId.token,
      timeoutMs,
      timedOut: false,
      status: undefined,
      attempts: 0,
    };
    let serverDate: number | undefined;

    // Innermost in the deserialize step, so it sees every attempt's raw request and response (the
    // retry loop is outside it) and 4xx answers before the deserializer turns them into exceptions.
    command.middlewareStack.add(
      (next) => async (args) => {
        const request = args.request;
        const start = tracer.clock();
        ctx.attempts += 1;
        const method = isHttpRequest(request) ? request.method : 'POST';
        const url = isHttpRequest(request) ? redactUrl(urlOf(request)) : redactUrl(endpoint);
        try {
          const out = await next(args);
          const response = out.response;
          const status = isHttpResponse(response) ? response.statusCode : undefined;
          ctx.status = status;
          if (isHttpResponse(response)) serverDate = parseHttpDate(response.headers['date'] ?? response.headers['Date']);
          tracer.emit({ type: 'http', step: 'cognito', method, url, status, durationMs: tracer.since(start) });
          return out;
        } catch (e) {
          ctx.status = undefined;
          const failure = ctx.timedOut
            ? { code: 'TIMEOUT', message: `No answer within ${Math.round(timeoutMs / 1000)} s` }
            : { code: 'NETWORK_UNREACHABLE', message: `No answer from ${ctx.host}${networkCode(e)}` };
          tracer.emit({ type: 'http', step: 'cognito', method, url, status: undefined, durationMs: tracer.since(start), failure });
          throw e;
        }
      },
      { step: 'deserialize', priority: 'low', name: 'kryptonHttpTrace' },
    );

    const abort = new AbortController();
    const timer = setTimeout(() => {
      ctx.timedOut = true;
      abort.abort();
    }, timeoutMs);
    try {
      const client = this.clientFor(openId.region, sdk);
      const out = await client.send(command, { abortSignal: abort.signal });
      return readAnswer(out, openId, ctx, serverDate);
    } catch (e) {
      throw cognitoError(e, ctx);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Closes the SDK client's connections; a later exchange opens new ones. */
  destroy(): void {
    this.client?.client.destroy();
    this.client = undefined;
  }

  private clientFor(region: string, sdk: CognitoSdk): CognitoIdentityClient {
    if (this.client?.region === region) return this.client.client;
    this.destroy();
    const { endpoint, requestHandler, maxAttempts } = this.options;
    const client = new sdk.CognitoIdentityClient({
      region,
      ...(endpoint !== undefined ? { endpoint } : {}),
      ...(requestHandler !== undefined ? { requestHandler } : {}),
      maxAttempts,
      retryMode: 'standard',
      // GetCredentialsForIdentity is modelled `smithy.api#noAuth`: the SDK picks the no-auth scheme and
      // never asks for credentials, so no `credentials` are given. Should a future SDK sign it after
      // all, this refusing default makes the call fail here instead of quietly reaching for the
      // environment's chain (env vars, ~/.aws, instance metadata) in Node.
      credentialDefaultProvider: () => async () => {
        throw new KryptonError(
          'SERVER_ERROR',
          'The AWS SDK asked for credentials to sign GetCredentialsForIdentity, which must be an unsigned call',
          'Report this: the Cognito Identity SDK version changed how it authenticates this operation',
          { step: 'cognito' },
        );
      },
      // In Node the SDK would otherwise read these from AWS_* variables and ~/.aws/config; the call
      // should behave the same in every runtime.
      useFipsEndpoint: false,
      useDualstackEndpoint: false,
      authSchemePreference: [],
    });
    this.client = { region, client };
    return client;
  }
}

function readAnswer(
  out: {
    IdentityId?: string | undefined;
    Credentials?:
      | {
          AccessKeyId?: string | undefined;
          SecretKey?: string | undefined;
          SessionToken?: string | undefined;
          Expiration?: Date | undefined;
        }
      | undefined;
  },
  openId: KryptonOpenIdToken,
  ctx: CognitoCallContext,
  serverDate: number | undefined,
): ExchangedCredentials {
  const c = out.Credentials;
  const malformed = (what: string) =>
    new KryptonError(
      'MALFORMED_ANSWER',
      `Cognito's GetCredentialsForIdentity answer from ${ctx.host} ${what}`,
      'Check the Cognito endpoint URL: it must point at Cognito Identity',
      { step: 'cognito', ...(ctx.status !== undefined ? { status: ctx.status } : {}) },
    );
  if (!c) throw malformed('has no Credentials');
  if (!nonEmpty(c.AccessKeyId) || !nonEmpty(c.SecretKey) || !nonEmpty(c.SessionToken))
    throw malformed('lacks AccessKeyId, SecretKey or SessionToken');
  // The SDK reads Expiration as epoch seconds into a Date; a missing or non-Date value means no usable expiry.
  if (!(c.Expiration instanceof Date) || !Number.isFinite(c.Expiration.getTime())) throw malformed('has no valid Expiration');
  return {
    // Cognito may answer another identity id when identities were merged; its answer wins.
    identityId: nonEmpty(out.IdentityId) ? out.IdentityId : openId.identityId,
    accessKeyId: c.AccessKeyId,
    secretAccessKey: c.SecretKey,
    sessionToken: c.SessionToken,
    expiration: c.Expiration,
    serverDate,
  };
}

function nonEmpty(value: unknown): value is string {
  return typeof value === 'string' && value.length > 0;
}

function isHttpRequest(value: unknown): value is HttpRequestLike {
  const v = value as Partial<HttpRequestLike> | null;
  return (
    typeof v === 'object' && v !== null && typeof v.method === 'string' && typeof v.hostname === 'string' && typeof v.path === 'string'
  );
}

function isHttpResponse(value: unknown): value is HttpResponseLike {
  const v = value as Partial<HttpResponseLike> | null;
  return typeof v === 'object' && v !== null && typeof v.statusCode === 'number' && typeof v.headers === 'object' && v.headers !== null;
}

function urlOf(request: HttpRequestLike): string {
  const protocol = request.protocol.endsWith(':') ? request.protocol : `${request.protocol}:`;
  return `${protocol}//${request.hostname}${request.port ? `:${request.port}` : ''}${request.path}`;
}

function parseHttpDate(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const ms = Date.parse(value);
  return Number.isFinite(ms) ? ms : undefined;
}

function networkCode(e: unknown): string {
  const code = (e as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? ` (${code})` : '';
}

function hostOf(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return 'the Cognito endpoint';
  }
}
