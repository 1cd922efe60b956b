import { describe, expect, it } from 'vitest';
import type { GateRequest } from './auth-parse.ts';
import { presign, signHeader } from './client-signer.test-support.ts';
import { InMemoryCredentialStore } from './credential-store.ts';
import { S3Error } from './s3-error.ts';
import { verifyRequest, type VerifyContext } from './verify.ts';

const NOW = new Date('2026-11-27T12:00:00Z');
const TEMP = { accessKeyId: 'ASIATEMP', secretAccessKey: 'temp-secret', sessionToken: 'temp-token' };
const LONG = { accessKeyId: 'AKIALONG', secretAccessKey: 'long-secret' };

function context(overrides: Partial<VerifyContext> = {}): VerifyContext {
  const store = new InMemoryCredentialStore();
  store.add({ ...TEMP, expiration: new Date(NOW.getTime() + 3_600_000) });
  store.add({ ...LONG, sessionToken: '', expiration: new Date('2100-01-01T00:00:00Z') });
  store.add({ accessKeyId: 'ASIAOLD', secretAccessKey: 's', sessionToken: 'old-token', expiration: new Date(NOW.getTime() - 1000) });
  return { credentials: store, now: NOW, region: 'ap-northeast-1', ...overrides };
}

function rejection(req: GateRequest, ctx = context()): S3Error {
  try {
    verifyRequest(req, ctx);
  } catch (err) {
    if (err instanceof S3Error) return err;
    throw err;
  }
  throw new Error('request was accepted');
}

const object = { path: '/krypton-demo/hello.json' };

describe('verifyRequest: header authentication', () => {
  it('accepts temporary credentials with their token, and long-term ones without', async () => {
    expect(verifyRequest(await signHeader(object, TEMP, { date: NOW }), context()).credentials.accessKeyId).toBe('ASIATEMP');
    expect(verifyRequest(await signHeader(object, LONG, { date: NOW }), context()).credentials.accessKeyId).toBe('AKIALONG');
  });

  it.each<[string, () => Promise<GateRequest>, string, number, string]>([
    [
      'unknown access key',
      () => signHeader(object, { ...TEMP, accessKeyId: 'ASIANOPE' }, { date: NOW }),
      'InvalidAccessKeyId',
      403,
      'The AWS Access Key Id you provided does not exist in our records.',
    ],
    [
      'temporary key without its token',
      () => signHeader(object, { ...TEMP, sessionToken: undefined }, { date: NOW }),
      'InvalidAccessKeyId',
      403,
      'The AWS Access Key Id you provided does not exist in our records.',
    ],
    [
      'wrong session token',
      () => signHeader(object, { ...TEMP, sessionToken: 'other-token' }, { date: NOW }),
      'InvalidToken',
      400,
      'The provided token is malformed or otherwise invalid.',
    ],
    [
      'token sent with long-term key',
      () => signHeader(object, { ...LONG, sessionToken: 'stray' }, { date: NOW }),
      'InvalidToken',
      400,
      'The provided token is malformed or otherwise invalid.',
    ],
    [
      'expired credentials',
      () => signHeader(object, { accessKeyId: 'ASIAOLD', secretAccessKey: 's', sessionToken: 'old-token' }, { date: NOW }),
      'ExpiredToken',
      400,
      'The provided token has expired.',
    ],
    [
      'forged secret',
      () => signHeader(object, { ...TEMP, secretAccessKey: 'guess' }, { date: NOW }),
      'SignatureDoesNotMatch',
      403,
      'The request signature we calculated does not match the signature you provided. Check your key and signing method.',
    ],
    [
      'clock 16 minutes behind',
      () => signHeader(object, TEMP, { date: new Date(NOW.getTime() - 16 * 60_000) }),
      'RequestTimeTooSkewed',
      403,
      'The difference between the request time and the current time is too large.',
    ],
    [
      'clock 16 minutes ahead',
      () => signHeader(object, TEMP, { date: new Date(NOW.getTime() + 16 * 60_000) }),
      'RequestTimeTooSkewed',
      403,
      'The difference between the request time and the current time is too large.',
    ],
    [
      'scope naming another region',
      () => signHeader(object, TEMP, { date: NOW, region: 'us-east-1' }),
      'AuthorizationHeaderMalformed',
      400,
      "The authorization header is malformed; the region 'us-east-1' is wrong; expecting 'ap-northeast-1'",
    ],
    [
      'payload hash not a hash',
      () => signHeader(object, TEMP, { date: NOW, payloadHash: 'abc' }),
      'InvalidArgument',
      400,
      'x-amz-content-sha256 must be UNSIGNED-PAYLOAD, STREAMING-AWS4-HMAC-SHA256-PAYLOAD, or a valid sha256 value.',
    ],
  ])('%s → %s', async (_label, make, code, status, message) => {
    const err = rejection(await make());
    expect({ code: err.code, status: err.status, message: err.message }).toEqual({ code, status, message });
  });

  it('allows up to 15 minutes of skew either way', async () => {
    for (const minutes of [-14.9, 14.9]) {
      const req = await signHeader(object, TEMP, { date: new Date(NOW.getTime() + minutes * 60_000) });
      expect(() => verifyRequest(req, context())).not.toThrow();
    }
  });

  it("denies anonymous requests with S3's plain Access Denied", () => {
    const err = rejection({ method: 'GET', rawPath: '/krypton-demo/hello.json', rawQuery: '', headers: new Headers({ host: 'h' }) });
    expect([err.code, err.status, err.message]).toEqual(['AccessDenied', 403, 'Access Denied']);
  });

  it('requires x-amz-content-sha256, and a valid date', async () => {
    const req = await signHeader(object, TEMP, { date: NOW });
    const noHash = new Headers(req.headers);
    noHash.delete('x-amz-content-sha256');
    expect(rejection({ ...req, headers: noHash }).message).toBe('Missing required header for this request: x-amz-content-sha256');
    const noDate = new Headers(req.headers);
    noDate.delete('x-amz-date');
    expect(rejection({ ...req, headers: noDate }).message).toBe('AWS authentication requires a valid Date or x-amz-date header');
  });

  it('refuses x-amz-* headers that the signature does not cover', async () => {
    const req = await signHeader(object, TEMP, { date: NOW });
    const headers = new Headers(req.headers);
    headers.set('x-amz-meta-sneaky', '1');
    const err = rejection({ ...req, headers });
    expect([err.code, err.detail.HeadersNotSigned]).toEqual(['AccessDenied', 'x-amz-meta-sneaky']);
  });

  it('refuses SigV2 and a second authentication mechanism', async () => {
    const v2 = rejection({ method: 'GET', rawPath: '/b/k', rawQuery: '', headers: new Headers({ authorization: 'AWS AKIALONG:abc=' }) });
    expect([v2.code, v2.status]).toEqual(['InvalidRequest', 400]);
    const req = await signHeader(object, TEMP, { date: NOW });
    const both = rejection({ ...req, rawQuery: 'X-Amz-Algorithm=AWS4-HMAC-SHA256' });
    expect([both.code, both.status]).toEqual(['InvalidArgument', 400]);
  });

  it('reports what it signed when the signature does not match (as S3 does)', async () => {
    const err = rejection(await signHeader(object, { ...TEMP, secretAccessKey: 'guess' }, { date: NOW }));
    expect(err.detail.AWSAccessKeyId).toBe('ASIATEMP');
    expect(err.detail.CanonicalRequest).toContain('/krypton-demo/hello.json');
    expect(err.detail.StringToSign?.startsWith('AWS4-HMAC-SHA256\n20261127T120000Z\n20261127/ap-northeast-1/s3/aws4_request\n')).toBe(true);
    expect(err.toXml({ requestId: 'R', hostId: 'H' })).toMatch(
      /^<\?xml version="1.0" encoding="UTF-8"\?>\n<Error><Code>SignatureDoesNotMatch<\/Code><Message>The request signature we calculated/,
    );
  });
});

describe('verifyRequest: presigned URLs', () => {
  it('accepts a URL within its validity, long after the 15-minute skew window', async () => {
    const req = await presign(object, TEMP, { date: new Date(NOW.getTime() - 50 * 60_000), expiresIn: 3600 });
    expect(verifyRequest(req, context()).claim.mechanism).toBe('query');
  });

  it('refuses an expired URL with AccessDenied "Request has expired"', async () => {
    const req = await presign(object, TEMP, { date: new Date(NOW.getTime() - 120_000), expiresIn: 60 });
    const err = rejection(req);
    expect([err.code, err.status, err.message, err.detail['X-Amz-Expires']]).toEqual(['AccessDenied', 403, 'Request has expired', '60']);
  });

  it('refuses a URL dated in the future with "Request is not yet valid"', async () => {
    const err = rejection(await presign(object, TEMP, { date: new Date(NOW.getTime() + 20 * 60_000) }));
    expect([err.code, err.message]).toEqual(['AccessDenied', 'Request is not yet valid']);
  });

  it('applies credential checks to presigned URLs too', async () => {
    expect(rejection(await presign(object, { ...TEMP, sessionToken: 'x' }, { date: NOW })).code).toBe('InvalidToken');
    expect(
      rejection(await presign(object, { accessKeyId: 'ASIAOLD', secretAccessKey: 's', sessionToken: 'old-token' }, { date: NOW })).code,
    ).toBe('ExpiredToken');
    expect(rejection(await presign(object, { ...TEMP, secretAccessKey: 'no' }, { date: NOW })).code).toBe('SignatureDoesNotMatch');
    const wrongRegion = rejection(await presign(object, TEMP, { date: NOW, region: 'eu-west-1' }));
    expect([wrongRegion.code, wrongRegion.detail.Region]).toEqual(['AuthorizationQueryParametersError', 'ap-northeast-1']);
  });

  it('refuses X-Amz-Expires beyond a week, and incomplete parameter sets', async () => {
    const req = await presign(object, TEMP, { date: NOW, expiresIn: 60 });
    expect(rejection({ ...req, rawQuery: req.rawQuery.replace('X-Amz-Expires=60', 'X-Amz-Expires=604801') }).code).toBe(
      'AuthorizationQueryParametersError',
    );
    expect(rejection({ ...req, rawQuery: req.rawQuery.replace(/&?X-Amz-Signature=[0-9a-f]+/, '') }).message).toMatch(
      /^Query-string authentication version 4 requires/,
    );
  });

  it('accepts any region when none is configured', async () => {
    const req = await presign(object, TEMP, { date: NOW, region: 'eu-west-1' });
    expect(() => verifyRequest(req, context({ region: undefined }))).not.toThrow();
  });
});
