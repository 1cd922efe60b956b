import { describe, expect, it } from 'vitest';
import { isRetryableRead, s3ErrorOf } from './s3-error-answer.ts';
import { s3Failure } from './s3-errors.ts';

const answer = (status: number, body: string) => new Response(body, { status, headers: { 'content-type': 'application/xml' } });
const ctx = { op: 'get' as const, bucket: 'b', key: 'k', region: 'ap-northeast-1', origin: 'http://localhost:5173', reachable: undefined };

describe('an S3 error answer to a presigned range read', () => {
  it('reads Code and Message as the SDK reports them, so the same explanations apply', async () => {
    const err = await s3ErrorOf(
      answer(403, '<?xml version="1.0"?><Error><Code>AccessDenied</Code><Message>Access Denied</Message><RequestId>1</RequestId></Error>'),
    );
    expect(err).toMatchObject({ name: 'AccessDenied', message: 'Access Denied', $metadata: { httpStatusCode: 403 } });
    expect(isRetryableRead(err)).toBe(false);
    expect(s3Failure(err, ctx).code).toBe('S3_ACCESS_DENIED');
  });

  it('a 5xx is retried (the range resumes), whatever its body', async () => {
    const err = await s3ErrorOf(answer(503, '<Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>'));
    expect(err.name).toBe('SlowDown');
    expect(isRetryableRead(err)).toBe(true);
    expect(isRetryableRead(await s3ErrorOf(answer(502, 'Bad Gateway')))).toBe(true);
  });

  it('an answer with no XML still says what happened', async () => {
    expect(await s3ErrorOf(answer(400, ''))).toMatchObject({
      name: 'HTTP400',
      message: 'S3 answered HTTP 400',
      $metadata: { httpStatusCode: 400 },
    });
    expect((await s3ErrorOf(answer(500, '<html>'))).name).toBe('InternalError');
  });
});
