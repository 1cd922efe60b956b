/**
 * S3's answers read the same way whoever asked: the SDK, or a plain request for a presigned URL
 * (range-reader.ts). One shape, so one set of explanations serves both.
 */

/** An S3 error answer, shaped as the SDK reports one (name = S3's Code, the HTTP status in $metadata). */
export class S3ErrorAnswer extends Error {
  constructor(
    override readonly name: string,
    message: string,
    readonly $metadata: { httpStatusCode: number },
  ) {
    super(message);
  }
}

/** Reads S3's `<Error><Code>…</Code><Message>…</Message></Error>` so one set of explanations serves SDK and plain requests. */
export async function s3ErrorOf(res: Response): Promise<S3ErrorAnswer> {
  const text = await res.text().catch(() => '');
  const tag = (t: string) => new RegExp(`<${t}>([^<]*)</${t}>`).exec(text)?.[1];
  return new S3ErrorAnswer(
    tag('Code') ?? (res.status >= 500 ? 'InternalError' : `HTTP${res.status}`),
    tag('Message') ?? `S3 answered HTTP ${res.status}`,
    {
      httpStatusCode: res.status,
    },
  );
}

/** S3 says the request's credentials expired or no longer exist. */
export function isExpired(e: unknown): boolean {
  const name = (e as { name?: string; Code?: string })?.name ?? '';
  return ['ExpiredToken', 'ExpiredTokenException', 'TokenRefreshRequired', 'InvalidAccessKeyId', 'InvalidToken'].includes(name);
}

/** Whether an S3 call failed as the browser reports a network error (a missing CORS rule looks the same). */
export function isNetworkError(e: unknown): boolean {
  return e instanceof TypeError || (e as { name?: string })?.name === 'TypeError' || (e as { name?: string })?.name === 'NetworkError';
}

/**
 * Whether a range read may be tried again: the connection dropped (the browser reports a TypeError,
 * during the request or mid-body) or S3 answered 5xx (throttling, a hiccup).
 */
export function isRetryableRead(e: unknown): boolean {
  if (isNetworkError(e)) return true;
  const status = (e as { $metadata?: { httpStatusCode?: number } } | undefined)?.$metadata?.httpStatusCode;
  return status !== undefined && status >= 500;
}
