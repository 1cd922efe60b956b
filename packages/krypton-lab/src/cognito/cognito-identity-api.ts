import { Hono, type Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { COGNITO_LOGIN_PROVIDER, TokenRejected, type IdentityPool } from './identity-pool.ts';

const TARGET_PREFIX = 'AWSCognitoIdentityService.';
const IDENTITY_ID_PATTERN = /^[\w-]+:[0-9a-f-]+$/;
const EXPOSED_HEADERS = 'x-amzn-RequestId,x-amzn-ErrorType,x-amzn-ErrorMessage,Date';

/**
 * The Cognito Identity service as the AWS SDK reaches it: AWS JSON 1.1 over `POST /` with an
 * `X-Amz-Target` header, errors as `{__type, message}`, and CORS open to any origin (the calls are
 * unsigned and carry no cookies, so Cognito answers browsers from anywhere).
 */
export function cognitoIdentityApi(pool: IdentityPool): Hono {
  const app = new Hono();

  app.use('*', async (c, next) => {
    c.header('Access-Control-Allow-Origin', '*');
    c.header('Access-Control-Expose-Headers', EXPOSED_HEADERS);
    c.header('x-amzn-RequestId', crypto.randomUUID());
    await next();
  });

  app.options('*', (c) => {
    c.header('Access-Control-Allow-Methods', 'POST, OPTIONS');
    c.header(
      'Access-Control-Allow-Headers',
      c.req.header('access-control-request-headers') ?? 'content-type,x-amz-target,x-amz-user-agent',
    );
    c.header('Access-Control-Max-Age', '172800');
    return c.body(null, 200);
  });

  app.post('/', async (c) => {
    const target = c.req.header('x-amz-target') ?? '';
    if (!target.startsWith(TARGET_PREFIX)) return awsError(c, 400, 'UnknownOperationException', undefined);
    const operation = target.slice(TARGET_PREFIX.length);
    let input: unknown;
    try {
      input = JSON.parse(await c.req.text());
    } catch {
      return awsError(c, 400, 'SerializationException', 'Request body is not valid JSON');
    }
    if (typeof input !== 'object' || input === null)
      return awsError(c, 400, 'SerializationException', 'Request body must be a JSON object');

    switch (operation) {
      case 'GetCredentialsForIdentity':
        return getCredentialsForIdentity(c, pool, input as Record<string, unknown>);
      default:
        return awsError(c, 400, 'UnknownOperationException', undefined);
    }
  });

  app.all('*', (c) => awsError(c, 404, 'UnknownOperationException', undefined));
  return app;
}

async function getCredentialsForIdentity(c: Context, pool: IdentityPool, input: Record<string, unknown>): Promise<Response> {
  const identityId = input.IdentityId;
  if (typeof identityId !== 'string' || !IDENTITY_ID_PATTERN.test(identityId) || identityId.length > 55) {
    return awsError(
      c,
      400,
      'ValidationException',
      "1 validation error detected: Value at 'identityId' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w-]+:[0-9a-f-]+",
    );
  }
  if (!identityId.startsWith(`${pool.region}:`))
    return awsError(c, 400, 'ResourceNotFoundException', `Identity '${identityId}' not found.`);
  const logins = input.Logins;
  const token = typeof logins === 'object' && logins !== null ? (logins as Record<string, unknown>)[COGNITO_LOGIN_PROVIDER] : undefined;
  if (typeof token !== 'string' || token.length === 0) {
    return awsError(c, 400, 'NotAuthorizedException', 'Unauthenticated access is not supported for this identity pool.');
  }
  try {
    const credentials = await pool.credentialsForToken(identityId, token);
    return c.json(
      {
        IdentityId: identityId,
        Credentials: {
          AccessKeyId: credentials.accessKeyId,
          SecretKey: credentials.secretAccessKey,
          SessionToken: credentials.sessionToken,
          Expiration: credentials.expiration.getTime() / 1000,
        },
      },
      200,
      { 'Content-Type': 'application/x-amz-json-1.1' },
    );
  } catch (e) {
    if (e instanceof TokenRejected) return awsError(c, 400, 'NotAuthorizedException', e.message);
    throw e;
  }
}

function awsError(c: Context, status: number, type: string, message: string | undefined): Response {
  c.header('x-amzn-ErrorType', `${type}:`);
  const body: Record<string, string> = { __type: type };
  if (message !== undefined) body.message = message;
  return c.json(body, status as ContentfulStatusCode, { 'Content-Type': 'application/x-amz-json-1.1' });
}
