/**
 * The gate's authentication decision for one request: the checks S3 makes, in S3's order, each
 * failing with the error code, status and message S3 uses.
 */
import { parseSigV4Claim, type GateRequest, type SigV4Claim } from './auth-parse.ts';
import type { CredentialStore, VendedCredentials } from './credential-store.ts';
import { S3Error } from './s3-error.ts';
import { canonicalRequest, credentialScope, signature, signaturesMatch, signingKey, stringToSign } from './sigv4.ts';

/** S3 refuses header-signed requests whose time is further than this from its clock. */
export const MAX_SKEW_MS = 15 * 60 * 1000;

/** What the verifier needs besides the request. */
export interface VerifyContext {
  credentials: CredentialStore;
  /** The gate's clock (real time plus any simulated offset). */
  now: Date;
  /** The bucket region the credential scope must name; `undefined` accepts any region. */
  region: string | undefined;
}

/** A request whose signature checked out. */
export interface VerifiedRequest {
  claim: SigV4Claim;
  credentials: VendedCredentials;
}

/** Verifies a request's SigV4 signature; throws the S3Error S3 would answer. Anonymous requests get `AccessDenied`. */
export function verifyRequest(req: GateRequest, ctx: VerifyContext): VerifiedRequest {
  const claim = parseSigV4Claim(req);
  // The lab's buckets are private, as a customer's bucket is: anonymous access is denied.
  if (claim === undefined) throw new S3Error('AccessDenied', 'Access Denied');

  const credentials = ctx.credentials.lookup(claim.accessKeyId);
  const temporary = credentials !== undefined && credentials.sessionToken !== '';
  // S3 does not recognise a temporary key id without its token, nor a long-term key that has lapsed.
  const lapsedLongTerm = credentials !== undefined && !temporary && ctx.now >= credentials.expiration;
  if (credentials === undefined || (temporary && claim.securityToken === undefined) || lapsedLongTerm) {
    throw new S3Error('InvalidAccessKeyId', 'The AWS Access Key Id you provided does not exist in our records.', {
      AWSAccessKeyId: claim.accessKeyId,
    });
  }
  if (claim.securityToken !== undefined && claim.securityToken !== credentials.sessionToken) {
    throw new S3Error('InvalidToken', 'The provided token is malformed or otherwise invalid.', { 'Token-0': claim.securityToken });
  }
  if (temporary && ctx.now >= credentials.expiration) {
    throw new S3Error('ExpiredToken', 'The provided token has expired.', { 'Token-0': credentials.sessionToken });
  }

  if (ctx.region !== undefined && claim.region !== ctx.region) {
    if (claim.mechanism === 'header') {
      throw new S3Error(
        'AuthorizationHeaderMalformed',
        `The authorization header is malformed; the region '${claim.region}' is wrong; expecting '${ctx.region}'`,
        {
          Region: ctx.region,
        },
      );
    }
    throw new S3Error(
      'AuthorizationQueryParametersError',
      `Error parsing the X-Amz-Credential parameter; the region '${claim.region}' is wrong; expecting '${ctx.region}'`,
      { Region: ctx.region },
    );
  }

  checkTime(claim, ctx.now);
  checkSignedHeaders(claim, req);

  const canonical = canonicalRequest({
    method: req.method,
    rawPath: req.rawPath,
    rawQuery: req.rawQuery,
    header: (name) => req.headers.get(name) ?? undefined,
    signedHeaders: claim.signedHeaders,
    payloadHash: claim.payloadHash,
    excludeQuery: claim.mechanism === 'query' ? ['X-Amz-Signature'] : [],
  });
  const toSign = stringToSign(claim.amzDate, credentialScope(claim.scopeDate, claim.region, claim.service), canonical);
  const expected = signature(signingKey(credentials.secretAccessKey, claim.scopeDate, claim.region, claim.service), toSign);
  if (!signaturesMatch(expected, claim.signature.toLowerCase())) {
    throw new S3Error(
      'SignatureDoesNotMatch',
      'The request signature we calculated does not match the signature you provided. Check your key and signing method.',
      {
        AWSAccessKeyId: claim.accessKeyId,
        StringToSign: toSign,
        SignatureProvided: claim.signature,
        StringToSignBytes: hexBytes(toSign),
        CanonicalRequest: canonical,
        CanonicalRequestBytes: hexBytes(canonical),
      },
    );
  }
  return { claim, credentials };
}

function checkTime(claim: SigV4Claim, now: Date): void {
  const serverTime = isoSeconds(now);
  if (claim.mechanism === 'header') {
    if (Math.abs(now.getTime() - claim.requestTime.getTime()) > MAX_SKEW_MS) {
      throw new S3Error('RequestTimeTooSkewed', 'The difference between the request time and the current time is too large.', {
        RequestTime: claim.rawRequestTime,
        ServerTime: serverTime,
        MaxAllowedSkewMilliseconds: String(MAX_SKEW_MS),
      });
    }
    return;
  }
  // Presigned URLs are not held to the skew limit, only to their validity window.
  const expires = new Date(claim.requestTime.getTime() + (claim.expiresSeconds ?? 0) * 1000);
  if (claim.requestTime.getTime() - now.getTime() > MAX_SKEW_MS) {
    throw new S3Error('AccessDenied', 'Request is not yet valid', {
      'X-Amz-Date': String(claim.requestTime.getTime()),
      Expires: isoSeconds(expires),
      ServerTime: serverTime,
    });
  }
  if (now > expires) {
    throw new S3Error('AccessDenied', 'Request has expired', {
      'X-Amz-Expires': String(claim.expiresSeconds ?? 0),
      Expires: isoSeconds(expires),
      ServerTime: serverTime,
    });
  }
}

function checkSignedHeaders(claim: SigV4Claim, req: GateRequest): void {
  // S3 insists that Host and every x-amz-* header sent be covered by the signature.
  const unsigned: string[] = [];
  if (!claim.signedHeaders.includes('host')) unsigned.push('host');
  for (const [name] of req.headers) {
    if (name.startsWith('x-amz-') && !claim.signedHeaders.includes(name) && !unsigned.includes(name)) unsigned.push(name);
  }
  if (unsigned.length > 0) {
    throw new S3Error('AccessDenied', 'There were headers present in the request which were not signed', {
      HeadersNotSigned: unsigned.join(', '),
    });
  }
}

function isoSeconds(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function hexBytes(text: string): string {
  return [...Buffer.from(text, 'utf8')].map((b) => b.toString(16).padStart(2, '0')).join(' ');
}
