/**
 * The S3 backend started in the background (as `pnpm start` does): the gate answers at once, a
 * request made before s3rver is up waits for it instead of failing, and a backend that never comes
 * up is a 503 ServiceUnavailable, never a hang.
 */
import { GetObjectCommand, S3Client, S3ServiceException } from '@aws-sdk/client-s3';
import { describe, expect, it } from 'vitest';
import { startS3Gate } from './gate.ts';
import { BINARY_KEY, InMemoryCredentialStore, startLabS3 } from './index.ts';

const REGION = 'ap-northeast-1';
const GOOD = { accessKeyId: 'ASIAGOODKEY', secretAccessKey: 'good-secret', sessionToken: 'good-token' };

describe('the S3 backend in the background', () => {
  it('returns before s3rver is seeded; the first request waits for it and gets the object', async () => {
    const store = new InMemoryCredentialStore();
    store.add({ ...GOOD, expiration: new Date(Date.now() + 3_600_000) });
    const lab = await startLabS3({ credentials: store, background: true });
    try {
      // Returned before the seed: nothing is listed yet, and the backend is not there to name.
      expect(lab.objects).toEqual([]);
      expect(() => lab.backendUrl).toThrow(/still starting/);
      const s3 = new S3Client({ endpoint: lab.endpoint, region: REGION, forcePathStyle: true, credentials: GOOD, maxAttempts: 1 });
      const answer = await s3.send(new GetObjectCommand({ Bucket: lab.bucket, Key: BINARY_KEY }));
      const bytes = await answer.Body!.transformToByteArray();
      await lab.ready;
      const seeded = lab.objects.find((o) => o.key === BINARY_KEY)!;
      expect(bytes.length).toBe(seeded.size);
      expect(answer.ETag).toBe(seeded.etag);
    } finally {
      await lab.close();
    }
  });

  it('answers 503 ServiceUnavailable when the backend never comes up', async () => {
    const store = new InMemoryCredentialStore();
    store.add({ ...GOOD, expiration: new Date(Date.now() + 3_600_000) });
    const gate = await startS3Gate({ upstream: Promise.reject(new Error('s3rver did not start')), credentials: store, region: REGION });
    try {
      const s3 = new S3Client({ endpoint: gate.url, region: REGION, forcePathStyle: true, credentials: GOOD, maxAttempts: 1 });
      const error = await s3.send(new GetObjectCommand({ Bucket: 'krypton-demo', Key: 'hello.json' })).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(S3ServiceException);
      expect((error as S3ServiceException).name).toBe('ServiceUnavailable');
      expect((error as S3ServiceException).$metadata.httpStatusCode).toBe(503);
      expect((error as S3ServiceException).message).toMatch(/could not start its S3 backend/);
    } finally {
      await gate.close();
    }
  });
});
