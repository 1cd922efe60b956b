import { Hono } from 'hono';

const BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
const REGION = /^[a-z]{2}(-[a-z]+)+-\d{1,2}$/;

/** What the page learns: whether the bucket exists, or that it could not be found out. */
export type BucketProbeAnswer = { exists: boolean } | { exists: null; reason: string };

/**
 * `GET /api/s3-bucket?bucket=B&region=R[&at=lab]`: whether an S3 bucket exists, asked with an
 * anonymous HEAD (S3 answers a missing bucket 404 NoSuchBucket before it looks at who asks, any
 * other bucket 403, 301 or 200). The page needs it because S3's NoSuchBucket carries no CORS
 * headers: in a browser a misspelt bucket and a bucket without a CORS rule both read as a network
 * error. Only S3's regional endpoint (or the lab's S3 in demo mode) is asked; nothing is forwarded.
 */
export function bucketProbe(options: { labS3?: string; fetch?: typeof fetch; timeoutMs?: number }): Hono {
  const app = new Hono();
  const doFetch = options.fetch ?? fetch;
  app.get('/', async (c) => {
    c.header('Cache-Control', 'no-store');
    const bucket = c.req.query('bucket') ?? '';
    const region = c.req.query('region') ?? '';
    const at = c.req.query('at') ?? 'aws';
    if (!BUCKET.test(bucket) || (at === 'aws' && !REGION.test(region)) || (at !== 'aws' && at !== 'lab'))
      return c.json({ code: 'BAD_INPUT', message: 'Give a valid bucket name and AWS region (at=aws) or at=lab' }, 400);
    if (at === 'lab' && !options.labS3) return c.json({ code: 'NOT_FOUND', message: 'The lab is not running in this bridge' }, 404);
    const url = at === 'lab' ? `${options.labS3!.replace(/\/+$/, '')}/${bucket}` : `https://s3.${region}.amazonaws.com/${bucket}`;
    let answer: BucketProbeAnswer;
    try {
      const r = await doFetch(url, { method: 'HEAD', redirect: 'manual', signal: AbortSignal.timeout(options.timeoutMs ?? 5000) });
      await r.body?.cancel();
      answer =
        r.status === 404
          ? { exists: false }
          : r.status >= 500
            ? { exists: null, reason: `S3 answered HTTP ${r.status}` }
            : { exists: true };
    } catch (e) {
      answer = {
        exists: null,
        reason: (e as { name?: string } | undefined)?.name === 'TimeoutError' ? 'S3 did not answer in time' : 'S3 could not be reached',
      };
    }
    return c.json(answer);
  });
  return app;
}
