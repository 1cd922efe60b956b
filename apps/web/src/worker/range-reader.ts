/**
 * The readers of a download's ranges after the first: plain requests for a presigned URL carrying
 * only a Range header. That is a CORS "simple" request, so no preflight goes first, and no SDK
 * pipeline runs per range. Signed (SigV4) requests carry Authorization and so need a preflight
 * each, and Chromium does not remember preflights of requests made with `cache: 'no-store'` or
 * carrying If-Match: measured here, every range paid a second round trip, and the SDK about 100 ms
 * more on a loaded machine (decision 0026). Without If-Match, a range whose ETag differs from the
 * first range's is refused as OBJECT_CHANGED before its body is read.
 *
 * Two readers share the checks: `streamReader` (fetch; the page reads every byte as it arrives) and
 * `wholeReader` (XMLHttpRequest into a Blob the browser holds; progress from its events).
 */
import type { Failure } from './api.ts';
import type { OpenRange, OpenWhole } from './ordered-ranges.ts';
import { isExpired, isRetryableRead, s3ErrorOf, type S3ErrorAnswer } from './s3-error-answer.ts';

/** What the readers need from the S3 service: the URL, renewal, explanations and the object's identity. */
export interface RangeSource {
  /** A presigned URL for the object (signed again when the last one is old, or after `renew`). */
  url(): Promise<string>;
  /** S3 said the credentials behind the URL expired: renew them, and sign the next URL with the new ones. */
  renew(): void;
  /** The failure to show for an S3 error answer that is not retried. */
  explain(error: S3ErrorAnswer): Promise<Failure>;
  /** The ETag of the first range, when exposed: a later range with another is OBJECT_CHANGED. */
  etag: string | undefined;
  /** The object changed between ranges. */
  changed(): Failure;
  /** The answer is not the range asked for (a proxy that ignores Range, or another range). */
  unusable(what: string): Failure;
}

/** The parts of an answer the checks read. */
interface AnswerHead {
  status: number;
  header(name: string): string | null;
}

/** An answer as the readers see it: whether it is a success, and S3's error when not. */
interface Answered<T> {
  ok: boolean;
  value: T;
  errorOf(): Promise<S3ErrorAnswer>;
}

/** Reads ranges with `fetch`: the body is the page's stream. */
export function streamReader(src: RangeSource): OpenRange {
  return async (start, end, signal) => {
    const res = await ask(
      src,
      async (url) => {
        const r = await fetch(url, { cache: 'no-store', headers: { range: `bytes=${start}-${end}` }, signal });
        return { ok: r.ok, value: r, errorOf: () => s3ErrorOf(r) };
      },
      signal,
    );
    const failed = answerProblem(src, { status: res.status, header: (n) => res.headers.get(n) }, start, end);
    if (failed !== undefined) {
      await res.body?.cancel().catch(() => undefined);
      throw failed;
    }
    if (!res.body) throw new TypeError('S3 sent no content');
    return res.body;
  };
}

/**
 * Reads ranges whole with XMLHttpRequest (`responseType: 'blob'`): Chromium writes the body into a
 * Blob in its own process and tells progress by events, so the page never copies the bytes in, and
 * a File System Access writable copies the Blob to the file inside the browser too. Measured here
 * (December, 256 MiB in 32 MiB parts, four at once, each read once as the MD5 does): 70–82 MiB/s
 * against 42–45 for the same bytes fetched and piped into the writable. fetch's `blob()` is as fast
 * but tells no progress. The answer is checked as soon as its headers arrive.
 */
export function wholeReader(src: RangeSource): OpenWhole {
  return async (start, end, signal, onLoaded) => ask(src, (url) => requestWhole(src, url, start, end, signal, onLoaded), signal);
}

function requestWhole(
  src: RangeSource,
  url: string,
  start: number,
  end: number,
  signal: AbortSignal,
  onLoaded: (bytes: number) => void,
): Promise<Answered<Blob>> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(abortReason(signal));
    const xhr = new XMLHttpRequest();
    let loaded = 0;
    const head = (): AnswerHead => ({ status: xhr.status, header: (n) => xhr.getResponseHeader(n) });
    const ok = () => xhr.status >= 200 && xhr.status < 300;
    const stop = (error: unknown) => {
      signal.removeEventListener('abort', onAbort);
      reject(error);
      xhr.abort();
    };
    const onAbort = () => stop(abortReason(signal));
    signal.addEventListener('abort', onAbort, { once: true });
    xhr.open('GET', url);
    xhr.responseType = 'blob';
    xhr.setRequestHeader('Range', `bytes=${start}-${end}`);
    xhr.onreadystatechange = () => {
      if (xhr.readyState !== XMLHttpRequest.HEADERS_RECEIVED || !ok()) return;
      const failed = answerProblem(src, head(), start, end);
      if (failed !== undefined) stop(failed);
    };
    xhr.onprogress = (e) => {
      // Progress of an error answer is not the object's.
      if (!ok()) return;
      onLoaded(e.loaded - loaded);
      loaded = e.loaded;
    };
    xhr.onload = () => {
      signal.removeEventListener('abort', onAbort);
      const blob = xhr.response as Blob;
      if (ok()) {
        const failed = answerProblem(src, head(), start, end);
        if (failed !== undefined) return reject(failed);
        onLoaded(blob.size - loaded);
      }
      resolve({ ok: ok(), value: blob, errorOf: () => s3ErrorOf(new Response(blob, { status: xhr.status })) });
    };
    // The browser says no more than this about a dropped connection; fetch reports it as a TypeError too.
    xhr.onerror = () => stop(new TypeError('The connection to S3 dropped'));
    xhr.ontimeout = xhr.onerror;
    xhr.send();
  });
}

/**
 * Sends with the current URL; when S3 says the credentials behind it expired, renews them and asks
 * once more. A 5xx is thrown as it is (the caller retries it); other errors are explained.
 */
async function ask<T>(src: RangeSource, send: (url: string) => Promise<Answered<T>>, signal: AbortSignal): Promise<T> {
  let res = await send(await src.url());
  if (res.ok) return res.value;
  let err = await res.errorOf();
  if (isExpired(err) && !signal.aborted) {
    src.renew();
    res = await send(await src.url());
    if (res.ok) return res.value;
    err = await res.errorOf();
  }
  if (isRetryableRead(err)) throw err;
  throw await src.explain(err);
}

/** Why a successful answer is not the range asked for, or undefined when it is. */
function answerProblem(src: RangeSource, a: AnswerHead, start: number, end: number): Failure | undefined {
  const answered = a.header('etag');
  if (src.etag !== undefined && answered !== null && answered !== src.etag) return src.changed();
  const from = /^bytes (\d+)-/.exec(a.header('content-range') ?? '')?.[1];
  if (a.status !== 206 || (from !== undefined && Number(from) !== start)) {
    return src.unusable(
      `S3 answered HTTP ${a.status} with ${a.header('content-range') ?? 'no range'} where bytes ${start}-${end} were asked`,
    );
  }
  return undefined;
}

/** Why the request stopped: the abort's own reason when it is an error (the download's cancel or failure). */
function abortReason(signal: AbortSignal): Error {
  return signal.reason instanceof Error ? signal.reason : new DOMException('The request was aborted', 'AbortError');
}
