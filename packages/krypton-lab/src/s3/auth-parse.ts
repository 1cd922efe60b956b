/**
 * Reads the SigV4 claim out of a request — from the `Authorization` header or from presigned
 * query parameters — and rejects malformed ones with the errors S3 gives for them.
 */
import { S3Error } from './s3-error.ts';
import { formatAmzDate, parseAmzDate, parseQuery, SIGV4_ALGORITHM, UNSIGNED_PAYLOAD } from './sigv4.ts';

/** The parts of a request the gate authenticates. */
export interface GateRequest {
  method: string;
  /** Path as on the wire, percent-encoded. */
  rawPath: string;
  /** Query as on the wire, without `?`. */
  rawQuery: string;
  /** Request headers (case-insensitive). */
  headers: Headers;
}

/** What a request claims about its signature, before the claim is checked against a secret. */
export interface SigV4Claim {
  mechanism: 'header' | 'query';
  accessKeyId: string;
  /** Credential scope parts. */
  scopeDate: string;
  region: string;
  service: string;
  signedHeaders: string[];
  signature: string;
  /** Request time as given (`yyyymmddThhmmssZ`), and parsed. */
  amzDate: string;
  requestTime: Date;
  /** The raw header / parameter that carried the time, for error details. */
  rawRequestTime: string;
  /** The session token sent, if any. */
  securityToken: string | undefined;
  /** Payload hash that enters the canonical request. */
  payloadHash: string;
  /** Presigned URLs only: validity in seconds from `requestTime`. */
  expiresSeconds?: number;
}

/** The presigned-URL parameters that authenticate a request; the gate strips them before forwarding. */
export const PRESIGN_QUERY_PARAMS = [
  'X-Amz-Algorithm',
  'X-Amz-Credential',
  'X-Amz-Date',
  'X-Amz-Expires',
  'X-Amz-SignedHeaders',
  'X-Amz-Signature',
  'X-Amz-Security-Token',
] as const;

const CREDENTIAL_FORMAT = 'expecting "<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/aws4_request".';

/**
 * Returns the request's SigV4 claim, `undefined` for an anonymous request, or throws the S3
 * error for a malformed one. Only SigV4 is accepted: the lab emulates a SigV4-only region.
 */
export function parseSigV4Claim(req: GateRequest): SigV4Claim | undefined {
  const authorization = req.headers.get('authorization');
  const query = new Map(parseQuery(req.rawQuery));
  const presigned = query.has('X-Amz-Algorithm');
  const presignedV2 = query.has('Signature') && query.has('AWSAccessKeyId');
  if ([authorization !== null, presigned, presignedV2].filter(Boolean).length > 1) {
    throw new S3Error(
      'InvalidArgument',
      'Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter, Signature query string parameter or the Authorization header should be specified',
      { ArgumentName: 'Authorization', ArgumentValue: authorization ?? '' },
    );
  }
  if (authorization !== null) return parseHeaderClaim(authorization, req.headers);
  if (presigned) return parseQueryClaim(query);
  if (presignedV2) throw v2NotSupported();
  return undefined;
}

function parseHeaderClaim(authorization: string, headers: Headers): SigV4Claim {
  const space = authorization.indexOf(' ');
  const algorithm = space < 0 ? authorization : authorization.slice(0, space);
  if (algorithm === 'AWS') throw v2NotSupported();
  if (algorithm !== SIGV4_ALGORITHM) {
    throw new S3Error('InvalidArgument', 'Unsupported Authorization Type', { ArgumentName: 'Authorization', ArgumentValue: authorization });
  }
  const components = new Map<string, string>();
  for (const part of authorization.slice(space + 1).split(',')) {
    const eq = part.indexOf('=');
    if (eq > 0) components.set(part.slice(0, eq).trim(), part.slice(eq + 1).trim());
  }
  const credential = components.get('Credential');
  const signedHeaders = components.get('SignedHeaders');
  const signature = components.get('Signature');
  if (credential === undefined || signedHeaders === undefined || signature === undefined) {
    throw malformedHeader('the authorization header requires three components: Credential, SignedHeaders, and Signature.');
  }
  const scope = parseCredential(credential, malformedHeader);

  const payloadHash = headers.get('x-amz-content-sha256');
  if (payloadHash === null) throw new S3Error('InvalidRequest', 'Missing required header for this request: x-amz-content-sha256');
  if (!/^(UNSIGNED-PAYLOAD|STREAMING-[A-Z0-9-]+|[0-9a-f]{64})$/.test(payloadHash)) {
    throw new S3Error(
      'InvalidArgument',
      'x-amz-content-sha256 must be UNSIGNED-PAYLOAD, STREAMING-AWS4-HMAC-SHA256-PAYLOAD, or a valid sha256 value.',
      {
        ArgumentName: 'x-amz-content-sha256',
        ArgumentValue: payloadHash,
      },
    );
  }

  // x-amz-date wins over Date; with only Date, SigV4 signs that instant in basic ISO form.
  const amzDateHeader = headers.get('x-amz-date');
  const dateHeader = headers.get('date');
  const requestTime = amzDateHeader !== null ? parseAmzDate(amzDateHeader) : dateHeader !== null ? parseHttpDate(dateHeader) : undefined;
  if (requestTime === undefined) throw new S3Error('AccessDenied', 'AWS authentication requires a valid Date or x-amz-date header');
  const amzDate = amzDateHeader ?? formatAmzDate(requestTime);
  if (scope.date !== amzDate.slice(0, 8)) throw malformedHeader('Invalid credential date. Date is not the same as X-Amz-Date.');

  return {
    mechanism: 'header',
    accessKeyId: scope.accessKeyId,
    scopeDate: scope.date,
    region: scope.region,
    service: scope.service,
    signedHeaders: signedHeaders.split(';').map((h) => h.trim().toLowerCase()),
    signature,
    amzDate,
    requestTime,
    rawRequestTime: amzDateHeader ?? dateHeader ?? '',
    securityToken: headers.get('x-amz-security-token') ?? undefined,
    payloadHash,
  };
}

function parseQueryClaim(query: Map<string, string>): SigV4Claim {
  if (query.get('X-Amz-Algorithm') !== SIGV4_ALGORITHM) throw queryError('X-Amz-Algorithm only supports "AWS4-HMAC-SHA256"');
  const credential = query.get('X-Amz-Credential');
  const amzDate = query.get('X-Amz-Date');
  const expires = query.get('X-Amz-Expires');
  const signedHeaders = query.get('X-Amz-SignedHeaders');
  const signature = query.get('X-Amz-Signature');
  if (
    credential === undefined ||
    amzDate === undefined ||
    expires === undefined ||
    signedHeaders === undefined ||
    signature === undefined
  ) {
    throw queryError(
      'Query-string authentication version 4 requires the X-Amz-Algorithm, X-Amz-Credential, X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, and X-Amz-Expires parameters.',
    );
  }
  const scope = parseCredential(credential, (detail) => queryError(`Error parsing the X-Amz-Credential parameter; ${detail}`));
  const requestTime = parseAmzDate(amzDate);
  if (requestTime === undefined) throw queryError("X-Amz-Date must be in the ISO8601 Long Format \"yyyyMMdd'T'HHmmss'Z'\"");
  if (!/^-?\d+$/.test(expires)) throw queryError('X-Amz-Expires should be a number');
  const expiresSeconds = Number(expires);
  if (expiresSeconds < 0) throw queryError('X-Amz-Expires must be non-negative');
  if (expiresSeconds > 604800) {
    throw queryError(
      'X-Amz-Expires must be less than a week (in seconds); that is, the given X-Amz-Expires must be less than 604800 seconds',
    );
  }
  if (scope.date !== amzDate.slice(0, 8)) throw queryError('Invalid credential date. Date is not the same as X-Amz-Date.');
  return {
    mechanism: 'query',
    accessKeyId: scope.accessKeyId,
    scopeDate: scope.date,
    region: scope.region,
    service: scope.service,
    signedHeaders: signedHeaders.split(';').map((h) => h.trim().toLowerCase()),
    signature,
    amzDate,
    requestTime,
    rawRequestTime: amzDate,
    securityToken: query.get('X-Amz-Security-Token'),
    // Presigned URLs carry no body hash unless the signer put one in the query.
    payloadHash: query.get('X-Amz-Content-Sha256') ?? UNSIGNED_PAYLOAD,
    expiresSeconds,
  };
}

interface CredentialScope {
  accessKeyId: string;
  date: string;
  region: string;
  service: string;
}

function parseCredential(credential: string, fail: (detail: string) => S3Error): CredentialScope {
  const parts = credential.split('/');
  if (parts.length !== 5 || parts.some((p) => p === '')) throw fail(`the Credential is mal-formed; ${CREDENTIAL_FORMAT}`);
  const [accessKeyId, date, region, service, terminal] = parts as [string, string, string, string, string];
  if (!/^\d{8}$/.test(date)) throw fail(`incorrect date format "${date}". This date in the credential must be in the format "yyyyMMdd".`);
  if (service !== 's3') throw fail(`incorrect service "${service}". This endpoint belongs to "s3".`);
  if (terminal !== 'aws4_request') throw fail(`incorrect terminal "${terminal}". This endpoint uses "aws4_request".`);
  return { accessKeyId, date, region, service };
}

function malformedHeader(detail: string): S3Error {
  return new S3Error('AuthorizationHeaderMalformed', `The authorization header is malformed; ${detail}`);
}

function queryError(message: string): S3Error {
  return new S3Error('AuthorizationQueryParametersError', message);
}

function v2NotSupported(): S3Error {
  return new S3Error('InvalidRequest', 'The authorization mechanism you have provided is not supported. Please use AWS4-HMAC-SHA256.');
}

function parseHttpDate(text: string): Date | undefined {
  const ms = Date.parse(text);
  return Number.isNaN(ms) ? undefined : new Date(ms);
}
