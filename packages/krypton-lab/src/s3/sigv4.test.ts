import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { presign, signHeader } from './client-signer.test-support.ts';
import { InMemoryCredentialStore } from './credential-store.ts';
import { S3Error } from './s3-error.ts';
import { canonicalQuery, canonicalUri, EMPTY_SHA256, formatAmzDate, parseAmzDate, signaturesMatch, uriEncode } from './sigv4.ts';
import { verifyRequest } from './verify.ts';

// The example credentials and requests of AWS's "Signature Calculations for the Authorization
// Header" and "Authenticating Requests: Using Query Parameters" pages for S3.
const AWS_EXAMPLE = { accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY' };
const EXAMPLE_TIME = new Date('2013-05-24T00:00:00Z');
const exampleStore = (): InMemoryCredentialStore => {
  const store = new InMemoryCredentialStore();
  store.add({ ...AWS_EXAMPLE, sessionToken: '', expiration: new Date('2100-01-01T00:00:00Z') });
  return store;
};

function exampleHeaderRequest(path: string, rawQuery: string, extra: Record<string, string>, signedHeaders: string, sig: string) {
  return {
    method: 'GET',
    rawPath: path,
    rawQuery,
    headers: new Headers({
      host: 'examplebucket.s3.amazonaws.com',
      'x-amz-date': '20130524T000000Z',
      'x-amz-content-sha256': EMPTY_SHA256,
      ...extra,
      authorization: `AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,SignedHeaders=${signedHeaders},Signature=${sig}`,
    }),
  };
}

describe('SigV4 against AWS documentation examples', () => {
  const ctx = { credentials: exampleStore(), now: EXAMPLE_TIME, region: 'us-east-1' };

  it('accepts the GET Object example (Range header signed)', () => {
    const req = exampleHeaderRequest(
      '/test.txt',
      '',
      { range: 'bytes=0-9' },
      'host;range;x-amz-content-sha256;x-amz-date',
      'f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41',
    );
    expect(verifyRequest(req, ctx).claim.accessKeyId).toBe('AKIAIOSFODNN7EXAMPLE');
  });

  it('accepts the GET Bucket (List Objects) example', () => {
    const req = exampleHeaderRequest(
      '/',
      'max-keys=2&prefix=J',
      {},
      'host;x-amz-content-sha256;x-amz-date',
      '34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7',
    );
    expect(() => verifyRequest(req, ctx)).not.toThrow();
  });

  it('accepts the GET Bucket Lifecycle example (valueless subresource)', () => {
    const req = exampleHeaderRequest(
      '/',
      'lifecycle',
      {},
      'host;x-amz-content-sha256;x-amz-date',
      'fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543',
    );
    expect(() => verifyRequest(req, ctx)).not.toThrow();
  });

  it('accepts the presigned URL example and rejects it once a day has passed', () => {
    const req = {
      method: 'GET',
      rawPath: '/test.txt',
      rawQuery:
        'X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host&X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404',
      headers: new Headers({ host: 'examplebucket.s3.amazonaws.com' }),
    };
    expect(() => verifyRequest(req, ctx)).not.toThrow();
    const late = { ...ctx, now: new Date(EXAMPLE_TIME.getTime() + 86_401_000) };
    expect(() => verifyRequest(req, late)).toThrow(expect.objectContaining({ code: 'AccessDenied', message: 'Request has expired' }));
  });

  it('rejects the GET Object example when one signed header changes', () => {
    const req = exampleHeaderRequest(
      '/test.txt',
      '',
      { range: 'bytes=0-10' },
      'host;range;x-amz-content-sha256;x-amz-date',
      'f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41',
    );
    expect(() => verifyRequest(req, ctx)).toThrow(expect.objectContaining({ code: 'SignatureDoesNotMatch', status: 403 }));
  });
});

describe('canonical forms', () => {
  it.each([
    ['a b', 'a%20b'],
    ['naïve', 'na%C3%AFve'],
    ["(1)!*'", '%281%29%21%2A%27'],
    ['A-z_0.9~', 'A-z_0.9~'],
    ['a/b', 'a%2Fb'],
    ['+', '%2B'],
  ])('uriEncode(%j) = %s', (input, encoded) => {
    expect(uriEncode(input, false)).toBe(encoded);
  });

  it('decodes then encodes path segments once, so wire spellings of the same key sign alike', () => {
    expect(canonicalUri('/b/docs/na%C3%AFve%20file%20(1).txt')).toBe('/b/docs/na%C3%AFve%20file%20%281%29.txt');
    expect(canonicalUri('/b/docs/na%C3%AFve%20file%20%281%29.txt')).toBe('/b/docs/na%C3%AFve%20file%20%281%29.txt');
    expect(canonicalUri('')).toBe('/');
    expect(canonicalUri('/b/a//c/')).toBe('/b/a//c/');
  });

  it('sorts query parameters by encoded name, keeps empty values, drops excluded names', () => {
    expect(canonicalQuery('prefix=a%20b&list-type=2&delimiter=%2F&cors')).toBe('cors=&delimiter=%2F&list-type=2&prefix=a%20b');
    expect(canonicalQuery('X-Amz-Signature=abc&b=1', ['X-Amz-Signature'])).toBe('b=1');
  });

  it('parses and formats SigV4 times, rejecting impossible ones', () => {
    expect(parseAmzDate('20261127T235959Z')?.toISOString()).toBe('2026-11-27T23:59:59.000Z');
    expect(parseAmzDate('20261327T000000Z')).toBeUndefined();
    expect(parseAmzDate('2026-11-27T00:00:00Z')).toBeUndefined();
    expect(formatAmzDate(new Date('2026-01-02T03:04:05.678Z'))).toBe('20260102T030405Z');
  });

  it('compares signatures only when the lengths match', () => {
    expect(signaturesMatch('ab', 'ab')).toBe(true);
    expect(signaturesMatch('ab', 'abc')).toBe(false);
    expect(signaturesMatch('ab', 'ac')).toBe(false);
  });
});

describe('SigV4 against @smithy/signature-v4 (the SDK signer)', () => {
  const creds = { accessKeyId: 'ASIAPROPERTY', secretAccessKey: 'prop-secret', sessionToken: 'prop-token' };
  const store = new InMemoryCredentialStore();
  store.add({ ...creds, expiration: new Date(Date.now() + 3_600_000) });

  const segment = fc
    .string({ unit: fc.constantFrom(..."aZ09-_.~ /()!*'+%&=?ü日😀".split('')), minLength: 1, maxLength: 12 })
    .filter((s) => !s.includes('/'));
  const keyPath = fc
    .array(segment, { minLength: 1, maxLength: 4 })
    .map((segs) => '/bucket/' + segs.map((s) => uriEncode(s, false)).join('/'));
  const query = fc.dictionary(fc.stringMatching(/^[a-z][a-z-]{0,8}$/), fc.string({ maxLength: 10 }), { maxKeys: 4 });
  const extraHeaders = fc.dictionary(
    fc.constantFrom('range', 'if-none-match', 'x-amz-checksum-mode', 'content-type'),
    fc.string({ minLength: 1, maxLength: 20 }).map((s) => s.replace(/[^\x20-\x7e]/g, 'x').trim() || 'v'),
    { maxKeys: 3 },
  );

  it('verifies every header-signed request the SDK signer produces, and no tampered one', async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom('GET', 'HEAD'), keyPath, query, extraHeaders, async (method, path, q, headers) => {
        const req = await signHeader({ method, path, query: q, headers }, creds);
        const ctx = { credentials: store, now: new Date(), region: 'ap-northeast-1' };
        expect(verifyRequest(req, ctx).claim.mechanism).toBe('header');
        const tampered = { ...req, rawQuery: req.rawQuery === '' ? 'x=1' : req.rawQuery + 'x' };
        expect(() => verifyRequest(tampered, ctx)).toThrow(S3Error);
      }),
      { numRuns: 150 },
    );
  });

  it('verifies every presigned URL the SDK signer produces, and none with another path', async () => {
    await fc.assert(
      fc.asyncProperty(keyPath, query, async (path, q) => {
        const req = await presign({ path, query: q }, creds, { expiresIn: 60 });
        const ctx = { credentials: store, now: new Date(), region: 'ap-northeast-1' };
        expect(verifyRequest(req, ctx).claim.mechanism).toBe('query');
        expect(() => verifyRequest({ ...req, rawPath: `${path}x` }, ctx)).toThrow(
          expect.objectContaining({ code: 'SignatureDoesNotMatch' }),
        );
      }),
      { numRuns: 100 },
    );
  });
});
