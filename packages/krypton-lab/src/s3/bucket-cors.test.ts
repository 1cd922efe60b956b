import { DeleteBucketCorsCommand, GetBucketCorsCommand, PutBucketCorsCommand, S3Client, S3ServiceException } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { corsConfigurationXml, demoCorsRule, InMemoryCredentialStore, NO_CORS_BUCKET, startLabS3, type LabS3 } from './index.ts';

const CREDS = { accessKeyId: 'AKIALONGTERM', secretAccessKey: 'long-term-secret' };
let lab: LabS3;
let s3: S3Client;

beforeAll(async () => {
  const store = new InMemoryCredentialStore();
  // Long-term credentials: no session token expected.
  store.add({ ...CREDS, sessionToken: '', expiration: new Date(Date.now() + 3_600_000) });
  lab = await startLabS3({ credentials: store, seed: false, corsOrigins: ['https://app.example'] });
  s3 = new S3Client({ endpoint: lab.endpoint, region: 'ap-northeast-1', forcePathStyle: true, credentials: CREDS, maxAttempts: 1 });
});
afterAll(() => lab.close());

const preflight = (bucket: string, origin: string) =>
  fetch(`${lab.endpoint}/${bucket}/k`, { method: 'OPTIONS', headers: { origin, 'access-control-request-method': 'GET' } });

describe('bucket CORS configuration through the gate', () => {
  it('configures the demo bucket for the given origins only', async () => {
    const out = await s3.send(new GetBucketCorsCommand({ Bucket: lab.bucket }));
    expect(out.CORSRules?.[0]).toMatchObject({
      AllowedOrigins: ['https://app.example'],
      AllowedMethods: ['GET', 'HEAD'],
      AllowedHeaders: ['*'],
    });
    expect((await preflight(lab.bucket, 'https://app.example')).status).toBe(200);
    expect((await preflight(lab.bucket, 'http://localhost:5173')).status).toBe(403);
  });

  it('answers the preflight of a presigned URL without looking at its signature, as S3 does', async () => {
    const query =
      'X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=ASIANOSUCHKEY%2F20260101%2Fap-northeast-1%2Fs3%2Faws4_request&X-Amz-Signature=00';
    const answer = await fetch(`${lab.endpoint}/${lab.bucket}/k?${query}`, {
      method: 'OPTIONS',
      headers: { origin: 'https://app.example', 'access-control-request-method': 'GET', 'access-control-request-headers': 'if-match' },
    });
    expect(answer.status).toBe(200);
    expect(answer.headers.get('access-control-allow-headers')).toBe('if-match');
  });

  it("answers a preflight with the rule's MaxAgeSeconds as Access-Control-Max-Age, as S3 does (browsers remember it)", async () => {
    const answer = await preflight(lab.bucket, 'https://app.example');
    expect(answer.status).toBe(200);
    expect(answer.headers.get('access-control-max-age')).toBe(String(demoCorsRule().maxAgeSeconds));
  });

  it('lets PutBucketCors add a rule to the bucket without one, and DeleteBucketCors remove it', async () => {
    try {
      await s3.send(new GetBucketCorsCommand({ Bucket: NO_CORS_BUCKET }));
      expect.unreachable('the bucket has no CORS configuration');
    } catch (err) {
      expect((err as S3ServiceException).name).toBe('NoSuchCORSConfiguration');
    }
    const rule = demoCorsRule(['https://other.example']);
    await s3.send(
      new PutBucketCorsCommand({
        Bucket: NO_CORS_BUCKET,
        CORSConfiguration: {
          CORSRules: [
            {
              AllowedOrigins: rule.allowedOrigins,
              AllowedMethods: rule.allowedMethods,
              AllowedHeaders: rule.allowedHeaders,
              ExposeHeaders: rule.exposeHeaders,
            },
          ],
        },
      }),
    );
    const answer = await preflight(NO_CORS_BUCKET, 'https://other.example');
    expect(answer.headers.get('access-control-allow-methods')).toBe('GET, HEAD');
    // A rule without MaxAgeSeconds: no Max-Age (the browser keeps the preflight 5 s).
    expect(answer.headers.get('access-control-max-age')).toBeNull();
    await s3.send(new DeleteBucketCorsCommand({ Bucket: NO_CORS_BUCKET }));
    expect((await preflight(NO_CORS_BUCKET, 'https://other.example')).status).toBe(403);
  });

  it('renders rules as the XML S3 and s3rver accept', () => {
    expect(corsConfigurationXml([{ allowedOrigins: ['http://a&b'], allowedMethods: ['GET'], maxAgeSeconds: 5 }])).toBe(
      '<?xml version="1.0" encoding="UTF-8"?><CORSConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><CORSRule><AllowedOrigin>http://a&amp;b</AllowedOrigin><AllowedMethod>GET</AllowedMethod><MaxAgeSeconds>5</MaxAgeSeconds></CORSRule></CORSConfiguration>',
    );
  });
});

describe('a bucket that does not exist, as S3 answers it (issue 15 §1)', () => {
  it('a signed ListObjects: 404 NoSuchBucket naming the bucket, with no CORS headers even for an allowed origin', async () => {
    const { ListObjectsV2Command } = await import('@aws-sdk/client-s3');
    try {
      await s3.send(new ListObjectsV2Command({ Bucket: 'krypton-demo-misspelt' }));
      expect.unreachable('the bucket does not exist');
    } catch (err) {
      expect((err as S3ServiceException).name).toBe('NoSuchBucket');
      expect((err as S3ServiceException).$metadata.httpStatusCode).toBe(404);
    }
    const r = await fetch(`${lab.endpoint}/krypton-demo-misspelt?list-type=2`, { headers: { origin: 'https://app.example' } });
    expect(r.status).toBe(404);
    expect(await r.text()).toContain('<Code>NoSuchBucket</Code><Message>The specified bucket does not exist</Message>');
    expect([...r.headers.keys()].filter((h) => h.startsWith('access-control-'))).toEqual([]);
  });

  it('an anonymous HEAD learns it too (404), while an existing bucket refuses the anonymous caller (403)', async () => {
    expect((await fetch(`${lab.endpoint}/krypton-demo-misspelt`, { method: 'HEAD' })).status).toBe(404);
    expect((await fetch(`${lab.endpoint}/${lab.bucket}`, { method: 'HEAD' })).status).toBe(403);
  });
});
