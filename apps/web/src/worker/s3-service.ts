import { GetObjectCommand, HeadObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import type { KryptonCredentialProvider } from '@krypton-web/krypton-core';
import type {
  ChecksumAlgorithm,
  DownloadOutcome,
  DownloadProgress,
  DownloadRequest,
  Failure,
  FolderOutcome,
  FolderProgress,
  FolderRequest,
  ListPage,
  ListRequest,
  ObjectDetails,
  ObjectRow,
  FileUploadOutcome,
  UploadProgress,
  UploadRequest,
} from './api.ts';
import type { DirectoryLike } from './folder-download.ts';
import { md5OfEtagText } from '../lib/etag.ts';
import { failure } from './failure.ts';
import { etagNotMd5, objectFacts } from './object-facts.ts';
import { confirmPartwiseFailure, ObjectVerifier, type PartHead } from './object-verifier.ts';
import { corsJson, s3Failure, type S3Operation } from './s3-errors.ts';
import { PortSink } from './port-sink.ts';
import { cancelled, MEMORY_DOWNLOAD_LIMIT, removeIfEmpty, saveStream, type SaveHandle } from './save-stream.ts';
import { orderedRangeStream } from './ordered-ranges.ts';
import { streamReader, wholeReader, type RangeSource } from './range-reader.ts';
import { isExpired, isNetworkError, isRetryableRead } from './s3-error-answer.ts';
import { AS_STORED, storedEncoding } from './content-encoding.ts';
import { connectionsFor, partSizeFor, planParts, readsWhole, totalFromContentRange, wholePartBytes } from './range-plan.ts';

export { MEMORY_DOWNLOAD_LIMIT };

interface Use {
  provider: KryptonCredentialProvider;
  endpoint: string | undefined;
  origin: string;
}

/**
 * S3 with the Krypton credentials, in the worker: listing, details and streamed, checked downloads.
 * Expired credentials are replaced and the call retried once, so the person never sees them expire.
 */
export class S3Service {
  private use_: Use | undefined;
  private readonly clients = new Map<string, S3Client>();
  private readonly downloads = new Map<number, AbortController>();
  private readonly folders = new Map<number, AbortController>();
  private readonly uploads = new Map<number, AbortController>();
  /** Buckets that have answered this page: a request to one that the browser then blocks is not for want of any CORS rule. */
  private readonly answeredBuckets = new Set<string>();
  /** Ids of a folder's own downloads: far above the page's, which count from 1. */
  private nextInnerId = 1_000_000_000;

  /** The credentials and endpoint to use from now on (a new SIM or endpoint resets the clients). */
  use(use: Use): void {
    const same = this.use_ && this.use_.provider === use.provider && this.use_.endpoint === use.endpoint && this.use_.origin === use.origin;
    this.use_ = use;
    if (!same) this.resetClients();
  }

  /** Forgets clients and cancels downloads (the link closed). */
  reset(): void {
    for (const [, c] of this.downloads) c.abort();
    for (const [, c] of this.folders) c.abort();
    for (const [, c] of this.uploads) c.abort();
    this.resetClients();
  }

  async list(request: ListRequest): Promise<ListPage> {
    const bucket = checkBucket(request.bucket);
    const prefix = request.prefix;
    const out = await this.send(request.region, 'list', bucket, undefined, (client, abortSignal) =>
      client.send(
        new ListObjectsV2Command({
          Bucket: bucket,
          Delimiter: '/',
          ...(prefix ? { Prefix: prefix } : {}),
          MaxKeys: Math.min(Math.max(request.pageSize ?? 200, 1), 1000),
          ...(request.continuationToken ? { ContinuationToken: request.continuationToken } : {}),
        }),
        { abortSignal },
      ),
    );
    const objects: ObjectRow[] = (out.Contents ?? [])
      .filter((o) => o.Key !== undefined && o.Key !== prefix)
      .map((o) => ({
        key: o.Key!,
        size: o.Size ?? 0,
        ...(o.LastModified ? { lastModified: o.LastModified.getTime() } : {}),
        ...(o.ETag ? { etag: o.ETag } : {}),
        ...(o.StorageClass !== undefined && ARCHIVE_CLASSES.has(o.StorageClass) ? { archived: o.StorageClass } : {}),
      }));
    return {
      bucket,
      prefix,
      prefixes: (out.CommonPrefixes ?? []).map((p) => p.Prefix ?? '').filter(Boolean),
      objects,
      truncated: out.IsTruncated === true,
      ...(out.NextContinuationToken ? { nextContinuationToken: out.NextContinuationToken } : {}),
    };
  }

  /** Every object under a prefix (no delimiter: the whole subtree), page after page. */
  async listAll(bucketName: string, region: string, prefix: string, signal: AbortSignal): Promise<ObjectRow[]> {
    const bucket = checkBucket(bucketName);
    const rows: ObjectRow[] = [];
    let token: string | undefined;
    do {
      const out = await this.send(
        region,
        'list',
        bucket,
        undefined,
        (client, abortSignal) =>
          client.send(
            new ListObjectsV2Command({
              Bucket: bucket,
              ...(prefix ? { Prefix: prefix } : {}),
              MaxKeys: 1000,
              ...(token ? { ContinuationToken: token } : {}),
            }),
            { abortSignal },
          ),
        signal,
      );
      for (const o of out.Contents ?? [])
        if (o.Key !== undefined)
          rows.push({
            key: o.Key,
            size: o.Size ?? 0,
            ...(o.LastModified ? { lastModified: o.LastModified.getTime() } : {}),
            ...(o.ETag ? { etag: o.ETag } : {}),
          });
      token = out.IsTruncated ? out.NextContinuationToken : undefined;
    } while (token);
    return rows;
  }

  /** Saves every object under a prefix into a directory, or a zip (see folder-download.ts). */
  async downloadFolder(
    request: FolderRequest,
    to: DirectoryLike | MessagePort | undefined,
    onProgress: (p: FolderProgress) => void,
  ): Promise<FolderOutcome> {
    const controller = new AbortController();
    this.folders.set(request.id, controller);
    try {
      const { downloadFolder } = await import('./folder-download.ts');
      return await downloadFolder(this, request, to, controller.signal, onProgress, () => this.nextInnerId++);
    } catch (e) {
      if (to instanceof MessagePort) to.postMessage({ t: 'error', message: failureMessage(e) });
      throw controller.signal.aborted && !isFailureLike(e) ? cancelled(request.prefix) : e;
    } finally {
      this.folders.delete(request.id);
    }
  }

  cancelFolder(id: number): void {
    this.folders.get(id)?.abort();
  }

  /** Puts a file into the bucket (see s3-upload.ts): one PUT with Content-MD5, or in parts; a cancel aborts the upload. */
  async upload(request: UploadRequest, body: Blob, onProgress: (p: UploadProgress) => void): Promise<FileUploadOutcome> {
    const bucket = checkBucket(request.bucket);
    const key = request.key.replace(/^\/+/, '');
    if (key === '' || key.endsWith('/'))
      throw failure('BAD_INPUT', `"${request.key}" is not an object key`, 'Choose a file to upload', { key: request.key });
    const controller = new AbortController();
    this.uploads.set(request.id, controller);
    try {
      const { uploadObject } = await import('./s3-upload.ts');
      const out = await uploadObject((op, fn, signal) => this.send(request.region, op, bucket, key, fn, signal), {
        bucket,
        key,
        body,
        contentType: request.contentType || body.type || undefined,
        signal: controller.signal,
        onProgress: (sent, total) => onProgress({ id: request.id, sent, total }),
      });
      return { id: request.id, key, ...out };
    } finally {
      this.uploads.delete(request.id);
    }
  }

  cancelUpload(id: number): void {
    this.uploads.get(id)?.abort();
  }

  async head(bucketName: string, region: string, key: string): Promise<ObjectDetails> {
    const bucket = checkBucket(bucketName);
    const out = await this.send(region, 'head', bucket, key, (client, abortSignal) =>
      client
        .send(new HeadObjectCommand({ Bucket: bucket, Key: key, ChecksumMode: 'ENABLED' }), { abortSignal })
        .catch((e: unknown) =>
          orWithoutChecksums(e, abortSignal, () => client.send(new HeadObjectCommand({ Bucket: bucket, Key: key }), { abortSignal })),
        ),
    );
    const { facts } = await objectFacts(out, () => Promise.reject(new Error('part sizes are learned on download')));
    const [algorithm, value] = (Object.entries(facts.checksums ?? {}) as [ChecksumAlgorithm, string][])[0] ?? [];
    const parts = value === undefined ? undefined : /-(\d+)$/.exec(value)?.[1];
    return {
      key,
      size: out.ContentLength ?? 0,
      ...(out.LastModified ? { lastModified: out.LastModified.getTime() } : {}),
      ...(out.ETag ? { etag: out.ETag } : {}),
      ...(out.ContentType ? { contentType: out.ContentType } : {}),
      ...(storedEncoding(out.ContentEncoding) !== undefined ? { contentEncoding: storedEncoding(out.ContentEncoding) } : {}),
      etagIsMd5: out.ETag !== undefined && md5OfEtag(out.ETag) !== undefined && !etagNotMd5(out),
      ...(etagNotMd5(out) ? { etagNotMd5: true } : {}),
      ...(algorithm ? { checksum: { algorithm, ...(parts ? { parts: Number(parts) } : {}) } } : {}),
    };
  }

  /**
   * Streams an object to a file the person chose (File System Access: `createWritable()` writes to a
   * temporary file that replaces the target only on `close()`), or into a Blob when there is no such
   * file. The MD5 is computed on the way and checked against a single-part ETag before the file is
   * committed; a mismatch, a failure or a cancel aborts the write, so no file looks complete.
   */
  async download(
    request: DownloadRequest,
    to: SaveHandle | MessagePort | undefined,
    onProgress: (p: DownloadProgress) => void,
  ): Promise<DownloadOutcome> {
    // A MessagePort: the download service worker's stream to the browser's own download (no File System Access).
    const sink = to instanceof MessagePort ? new PortSink(to, request.key) : undefined;
    const target: SaveHandle | undefined = sink ?? (to instanceof MessagePort ? undefined : to);
    try {
      return await this.downloadTo(request, target, onProgress, sink);
    } catch (e) {
      sink?.fail(failureMessage(e));
      throw e;
    }
  }

  private async downloadTo(
    request: DownloadRequest,
    target: SaveHandle | undefined,
    onProgress: (p: DownloadProgress) => void,
    sink: PortSink | undefined,
  ): Promise<DownloadOutcome> {
    const bucket = checkBucket(request.bucket);
    const controller = new AbortController();
    this.downloads.set(request.id, controller);
    try {
      const partBytes = partSizeFor({ chosenBytes: request.partBytes });
      let first;
      let about;
      try {
        // The first range tells the ETag and starts the bytes; beside it a HEAD with ChecksumMode ENABLED
        // tells the size and what the bytes must match (a Range answer carries no checksum).
        [first, about] = await Promise.all([
          this.send(
            request.region,
            'get',
            bucket,
            request.key,
            async (client, abortSignal) => {
              const get = (range: string | undefined) =>
                client.send(
                  new GetObjectCommand({
                    Bucket: bucket,
                    Key: request.key,
                    ResponseContentEncoding: AS_STORED,
                    ...(range ? { Range: range } : {}),
                  }),
                  {
                    abortSignal,
                  },
                );
              try {
                return await get(`bytes=0-${partBytes - 1}`);
              } catch (e) {
                // An empty object has no byte 0: S3 refuses the range, and the whole (empty) object is read instead.
                if (serverCode(e) === 'InvalidRange') return get(undefined);
                throw e;
              }
            },
            controller.signal,
          ),
          this.send(
            request.region,
            'head',
            bucket,
            request.key,
            (client, abortSignal) =>
              client
                .send(new HeadObjectCommand({ Bucket: bucket, Key: request.key, ChecksumMode: 'ENABLED' }), { abortSignal })
                .catch((e: unknown) =>
                  orWithoutChecksums(e, abortSignal, () =>
                    client.send(new HeadObjectCommand({ Bucket: bucket, Key: request.key }), { abortSignal }),
                  ),
                ),
            controller.signal,
          ),
        ]);
      } catch (e) {
        if (target) await removeIfEmpty(target);
        throw controller.signal.aborted ? cancelled(request.key) : e;
      }
      const firstBody = webStream(first.Body);
      if (!firstBody) throw failure('EMPTY_ANSWER', 'S3 sent no content', 'Try again');
      const etag = first.ETag;
      if (etag !== undefined && about.ETag !== undefined && about.ETag !== etag) {
        await firstBody.cancel().catch(() => undefined);
        throw objectChanged(bucket, request.key);
      }
      // A HEAD always tells the length; the first answer's is the fallback of a fallback.
      const size =
        about.ContentLength ?? (first.$metadata.httpStatusCode === 206 ? totalFromContentRange(first.ContentRange) : first.ContentLength);
      if (size === undefined) {
        await firstBody.cancel().catch(() => undefined);
        throw answerUnusable(bucket, request.key, 'S3 did not tell the size of the object');
      }
      const ranged = first.$metadata.httpStatusCode === 206;
      const firstEnd = ranged ? Math.min(size, partBytes) - 1 : size - 1;
      // The first range was sized before the object's size was known; the rest are sized by it.
      const restBytes = partSizeFor({ chosenBytes: request.partBytes, size });
      const connections = connectionsFor(size, restBytes, request.connections);
      // Into a browser file, parts are read whole (range-reader.ts): the bytes reach the file without
      // the page copying them in and out.
      const whole = readsWhole({
        toBrowserFile: target !== undefined && sink === undefined,
        hasXhr: typeof XMLHttpRequest === 'function',
        partBytes: restBytes,
      });
      const laterBytes = whole ? wholePartBytes(restBytes, connections, request.partBytes !== undefined) : restBytes;
      const parts = [{ index: 0, start: 0, end: firstEnd }, ...planParts(firstEnd + 1, size, laterBytes, connections, 1, whole)];
      // Part sizes are learned before the first byte is read (the body waits): the part hashes need them.
      const head = (partNumber: number) => this.headPart(request.region, bucket, request.key, etag, partNumber, controller.signal);
      const { facts, layout } = await objectFacts({ ...about, ETag: etag ?? about.ETag, ContentLength: size }, head);
      const verifier = await ObjectVerifier.create(facts);
      const source = this.rangeSource(request, bucket, etag);
      const { stream, stats } = orderedRangeStream({
        parts: size === 0 ? [] : parts,
        connections,
        first: firstBody,
        open: streamReader(source),
        openWhole: whole ? wholeReader(source) : undefined,
        signal: controller.signal,
        retryable: isRetryableRead,
        exhausted: (error, retries) =>
          failure(
            'DOWNLOAD_INTERRUPTED',
            `The connection to S3 dropped ${retries + 1} times during the download (last: ${errorText(error)})`,
            'Check the network connection, then download it again; nothing was saved',
            { key: request.key },
          ),
      });
      if (size === 0) await firstBody.cancel().catch(() => undefined);
      sink?.begin(size);
      const saved = await saveStream({
        verifier,
        confirm: (v) => confirmPartwiseFailure(v, layout, size, head),
        id: request.id,
        key: request.key,
        stream,
        fetched: () => stats.fetched,
        total: size,
        etag,
        contentType: first.ContentType,
        target,
        signal: controller.signal,
        onProgress,
      });
      const encoding = storedEncoding(about.ContentEncoding);
      return {
        id: request.id,
        ...saved,
        connections: stats.connections,
        resumes: stats.resumes,
        ...(encoding !== undefined ? { contentEncoding: encoding } : {}),
      };
    } finally {
      this.downloads.delete(request.id);
    }
  }

  /** HEAD of one part (`partNumber`) of the object as it was when its GET answered (`If-Match`). */
  private async headPart(
    region: string,
    bucket: string,
    key: string,
    etag: string | undefined,
    partNumber: number,
    signal: AbortSignal,
  ): Promise<PartHead> {
    const out = await this.send(
      region,
      'head',
      bucket,
      key,
      (client, abortSignal) =>
        client.send(new HeadObjectCommand({ Bucket: bucket, Key: key, PartNumber: partNumber, ...(etag ? { IfMatch: etag } : {}) }), {
          abortSignal,
        }),
      signal,
    );
    return { length: out.ContentLength ?? 0, partsCount: out.PartsCount };
  }

  /** What the range readers need: the presigned URL (signed once, reused a while), renewal and explanations. */
  private rangeSource(request: DownloadRequest, bucket: string, etag: string | undefined): RangeSource {
    let signed: { url: string; at: number } | undefined;
    return {
      url: async () => {
        if (signed === undefined || Date.now() - signed.at > PRESIGNED_REUSE_MS) {
          const command = new GetObjectCommand({
            Bucket: bucket,
            Key: request.key,
            ResponseCacheControl: 'no-store',
            ResponseContentEncoding: AS_STORED,
          });
          signed = { url: await getSignedUrl(this.client(request.region), command, { expiresIn: PRESIGNED_EXPIRES_S }), at: Date.now() };
        }
        return signed.url;
      },
      renew: () => {
        this.requireUse().provider.invalidate();
        this.resetClients();
        signed = undefined;
      },
      explain: (err) => this.explain(err, 'get', bucket, request.key, request.region),
      etag,
      changed: () => objectChanged(bucket, request.key),
      unusable: (what) => answerUnusable(bucket, request.key, what),
    };
  }

  cancel(id: number): void {
    this.downloads.get(id)?.abort();
  }

  private client(region: string): S3Client {
    const use = this.requireUse();
    let client = this.clients.get(region);
    if (!client) {
      client = new S3Client({
        region,
        credentials: use.provider,
        ...(use.endpoint ? { endpoint: use.endpoint, forcePathStyle: true } : {}),
        maxAttempts: 2,
        // Past the browser's HTTP cache: a range of an object it holds in part (a download cut short) is sent
        // with the Range rewritten to the missing bytes, which breaks the request's signature; and the bytes of
        // objects are the person's, not the cache's.
        requestHandler: { cache: 'no-store' },
        requestChecksumCalculation: 'WHEN_REQUIRED',
        responseChecksumValidation: 'WHEN_REQUIRED',
      });
      this.clients.set(region, client);
    }
    return client;
  }

  /**
   * Sends a request; when S3 says the credentials expired (or no longer exist), invalidates them,
   * builds a new client (the SDK memoizes credentials) and tries once more. Other errors become
   * Failures that say what to do.
   */
  private async send<T>(
    region: string,
    op: S3Operation,
    bucket: string,
    key: string | undefined,
    fn: (client: S3Client, abortSignal: AbortSignal) => Promise<T>,
    signal?: AbortSignal,
  ): Promise<T> {
    checkRegion(region);
    const use = this.requireUse();
    const abortSignal = signal ?? new AbortController().signal;
    try {
      return this.answered(bucket, await fn(this.client(region), abortSignal));
    } catch (e) {
      if (abortSignal.aborted) throw e;
      if (isExpired(e)) {
        use.provider.invalidate();
        this.resetClients();
        try {
          return this.answered(bucket, await fn(this.client(region), abortSignal));
        } catch (again) {
          if (abortSignal.aborted) throw again;
          throw await this.explain(again, op, bucket, key, region);
        }
      }
      throw await this.explain(e, op, bucket, key, region);
    }
  }

  private async explain(e: unknown, op: S3Operation, bucket: string, key: string | undefined, region: string): Promise<Failure> {
    const use = this.requireUse();
    return explainS3Error(e, { op, bucket, key, region, origin: use.origin, endpoint: use.endpoint }, this.answeredBuckets.has(bucket));
  }

  /** Notes that the bucket answered this page (its CORS rule let the answer in), and passes the answer on. */
  private answered<T>(bucket: string, answer: T): T {
    this.answeredBuckets.add(bucket);
    return answer;
  }

  private resetClients(): void {
    for (const [, c] of this.clients) c.destroy();
    this.clients.clear();
  }

  private requireUse(): Use {
    if (!this.use_) throw failure('NO_CREDENTIALS', 'There are no AWS credentials yet', 'Press Authenticate first');
    return this.use_;
  }
}

/**
 * A request that asked for S3's checksums and failed as a CORS refusal does, sent once more without
 * asking: a bucket whose CORS rule lists its AllowedHeaders one by one may omit `x-amz-checksum-mode`,
 * and the download then goes on, checked against the ETag alone, rather than failing.
 */
function orWithoutChecksums<T>(e: unknown, signal: AbortSignal, plain: () => Promise<T>): Promise<T> {
  if (signal.aborted || !isNetworkError(e)) throw e;
  return plain();
}

/**
 * Storage classes whose objects must be restored before a GET (S3 refuses with InvalidObjectState).
 * GLACIER_IR reads at once; Intelligent-Tiering's archive tiers do not show in a listing.
 */
const ARCHIVE_CLASSES = new Set(['GLACIER', 'DEEP_ARCHIVE']);

/** The MD5 a single-part ETag carries, or undefined for a multipart (`-N`) or other ETag. */
export const md5OfEtag = md5OfEtagText;

/**
 * An S3 error as a Failure. A network error is looked into first: whether the bucket's host answers
 * and the bucket exists, and whether it has answered this page before (`answeredBefore`), tell a
 * CORS refusal from an outage or a misspelt bucket.
 */
export async function explainS3Error(
  e: unknown,
  at: { op: S3Operation; bucket: string; key: string | undefined; region: string; origin: string; endpoint: string | undefined },
  answeredBefore: boolean,
): Promise<Failure> {
  const reachable = isNetworkError(e) ? await probeBucket(at.endpoint, at.bucket, at.region) : undefined;
  const exists = reachable ? await bucketExists(at.origin, at.endpoint, at.bucket, at.region) : undefined;
  const { op, bucket, key, region, origin } = at;
  return s3Failure(e, { op, bucket, key, region, origin, reachable, exists, answeredBefore });
}

/**
 * Whether the bucket's host answers at all: a `no-cors` request needs no CORS rule and resolves
 * (opaquely) when the server answered. A request that failed while this one succeeds was blocked by
 * the browser for want of a CORS rule.
 */
export async function probeBucket(endpoint: string | undefined, bucket: string, region: string): Promise<boolean> {
  const url = bucketUrl(endpoint, bucket, region);
  try {
    await fetch(url, { mode: 'no-cors', credentials: 'omit', cache: 'no-store', signal: AbortSignal.timeout(5000) });
    return true;
  } catch {
    return false;
  }
}

/**
 * Whether the bucket exists, as the bridge serving this page finds out (`/api/s3-bucket`): S3's
 * NoSuchBucket carries no CORS headers, so the page alone cannot tell a misspelt bucket from one
 * without a CORS rule. Undefined when there is no bridge or it could not tell.
 */
export async function bucketExists(
  origin: string,
  endpoint: string | undefined,
  bucket: string,
  region: string,
): Promise<boolean | undefined> {
  const query = new URLSearchParams(endpoint ? { bucket, at: 'lab' } : { bucket, region, at: 'aws' });
  try {
    const r = await fetch(`${origin}/api/s3-bucket?${query}`, { cache: 'no-store', signal: AbortSignal.timeout(8000) });
    if (!r.ok) return undefined;
    const answer = (await r.json()) as { exists?: unknown };
    return typeof answer.exists === 'boolean' ? answer.exists : undefined;
  } catch {
    return undefined;
  }
}

/** The bucket's URL: path-style on a given endpoint (the lab), virtual-hosted on AWS. */
export function bucketUrl(endpoint: string | undefined, bucket: string, region: string): string {
  if (endpoint) return `${endpoint.replace(/\/+$/, '')}/${encodeURIComponent(bucket)}/`;
  return `https://${bucket}.s3.${region}.amazonaws.com/`;
}

/** A bucket name S3 would accept, trimmed; a BAD_BUCKET_NAME failure otherwise. */
export function checkBucket(bucket: string): string {
  const b = bucket.trim();
  if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(b)) {
    throw failure(
      'BAD_BUCKET_NAME',
      `"${bucket}" is not a valid S3 bucket name`,
      'Bucket names have 3 to 63 lowercase letters, digits, dots and hyphens',
    );
  }
  return b;
}

/** Refuses what is not an AWS region (BAD_REGION). */
export function checkRegion(region: string): void {
  if (!/^[a-z]{2}(-[a-z]+)+-\d+$/.test(region)) {
    throw failure('BAD_REGION', `"${region}" is not an AWS region`, 'Enter the bucket’s region, e.g. ap-northeast-1');
  }
}

export { corsJson };

function isFailureLike(e: unknown): boolean {
  return (
    typeof e === 'object' &&
    e !== null &&
    typeof (e as { code?: unknown }).code === 'string' &&
    typeof (e as { action?: unknown }).action === 'string'
  );
}

/** The object changed on S3 between two reads of one download. */
function objectChanged(bucket: string, key: string): Failure {
  return failure(
    'OBJECT_CHANGED',
    `The object s3://${bucket}/${key} changed on S3 while it was being downloaded`,
    'Download it again to get the new version; nothing was saved',
    { bucket, key },
  );
}

function answerUnusable(bucket: string, key: string, what: string): Failure {
  return failure(
    'S3_ANSWER_UNUSABLE',
    `${what} (s3://${bucket}/${key}); nothing was saved`,
    'Download it again with 1 connection; if it repeats, check the proxy or the endpoint in between',
    { bucket, key },
  );
}

/** A GetObject body as a web stream (the SDK's browser body has transformToWebStream). */
function webStream(body: unknown): ReadableStream<Uint8Array> | undefined {
  if (!body) return undefined;
  const b = body as { transformToWebStream?: () => ReadableStream<Uint8Array> };
  return typeof b.transformToWebStream === 'function' ? b.transformToWebStream() : (body as ReadableStream<Uint8Array>);
}

/** How long a presigned URL for a download's ranges is used before it is signed again. */
const PRESIGNED_REUSE_MS = 5 * 60_000;
/** How long S3 honours it: longer than it is used (a URL signed with temporary credentials also ends with them). */
const PRESIGNED_EXPIRES_S = 15 * 60;

function serverCode(e: unknown): string {
  return (e as { name?: string; Code?: string } | undefined)?.name ?? '';
}

function errorText(e: unknown): string {
  const m = (e as { message?: unknown } | undefined)?.message;
  return typeof m === 'string' && m !== '' ? m : String(e);
}

/** The message of a failure or an error, for the browser's download list. */
function failureMessage(e: unknown): string {
  const m = typeof e === 'object' && e !== null ? (e as { message?: unknown }).message : undefined;
  return typeof m === 'string' ? m : 'The download failed';
}
