import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  PutObjectCommand,
  UploadPartCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { md5 } from 'hash-wasm';
import type { Failure } from './api.ts';
import { failure } from './failure.ts';
import { iamNeed, type S3Operation } from './s3-errors.ts';
import { base64OfHex, PART_CONCURRENCY, planUpload, SINGLE_PUT_LIMIT, PART_BYTES } from './upload-plan.ts';

/**
 * Sends one S3 call with the caller's credentials and explanations (S3Service's retry on expired
 * credentials, BatchS3's per-SIM client); `signal` cancels it.
 */
export type UploadSend = <T>(
  op: S3Operation,
  fn: (client: S3Client, signal: AbortSignal) => Promise<T>,
  signal?: AbortSignal,
) => Promise<T>;

/** One upload. */
export interface UploadJob {
  bucket: string;
  key: string;
  body: Blob;
  contentType?: string | undefined;
  signal: AbortSignal;
  /** Bytes S3 has confirmed (a single PUT reports at its end; parts as each is stored). */
  onProgress?: (sent: number, total: number) => void;
  singleLimit?: number;
  partBytes?: number;
  concurrency?: number;
}

/** What S3 stored. */
export interface UploadResult {
  bytes: number;
  /** The ETag S3 answered (a multipart one ends in `-<parts>`), when the CORS rule exposes it. */
  etag?: string;
  /** 0 for a single PUT. */
  parts: number;
  /** The whole file's MD5 (hex), for a single PUT (S3 checked it through Content-MD5). */
  md5?: string;
}

/**
 * Uploads a file: one PutObject with Content-MD5 below the threshold, otherwise a multipart upload
 * whose parts each carry their Content-MD5, a few at a time. A multipart upload that fails or is
 * cancelled is aborted, so no half-uploaded object is left (or reported as done); when S3 refuses
 * the abort too, the failure says so, with the upload id and the IAM action it needs.
 */
export async function uploadObject(send: UploadSend, job: UploadJob): Promise<UploadResult> {
  const size = job.body.size;
  const plan = planUpload(size, job.singleLimit ?? SINGLE_PUT_LIMIT, job.partBytes ?? PART_BYTES);
  const report = job.onProgress ?? (() => undefined);
  report(0, size);
  if (plan.kind === 'single') {
    const bytes = new Uint8Array(await job.body.arrayBuffer());
    const hex = await md5(bytes);
    const out = await guardCancel(job, () =>
      send(
        'put',
        (client, signal) =>
          client.send(
            new PutObjectCommand({
              Bucket: job.bucket,
              Key: job.key,
              Body: bytes,
              ContentMD5: base64OfHex(hex),
              ContentLength: bytes.byteLength,
              ...(job.contentType ? { ContentType: job.contentType } : {}),
            }),
            { abortSignal: signal },
          ),
        job.signal,
      ),
    );
    report(size, size);
    return { bytes: size, parts: 0, md5: hex, ...(out.ETag ? { etag: out.ETag } : {}) };
  }

  if (job.signal.aborted) throw uploadCancelled(job.key);
  // Not cancellable in flight: an upload S3 created while the answer was dropped would be left behind unseen.
  const created = await send('put', (client, signal) =>
    client.send(
      new CreateMultipartUploadCommand({ Bucket: job.bucket, Key: job.key, ...(job.contentType ? { ContentType: job.contentType } : {}) }),
      { abortSignal: signal },
    ),
  );
  const uploadId = created.UploadId;
  if (!uploadId) throw failure('EMPTY_ANSWER', 'S3 started the upload without an upload id', 'Try again');
  try {
    if (job.signal.aborted) throw uploadCancelled(job.key);
    const etags = new Array<string>(plan.parts.length);
    let sent = 0;
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < plan.parts.length) {
        if (job.signal.aborted) return;
        const part = plan.parts[next++]!;
        const bytes = new Uint8Array(await job.body.slice(part.start, part.end).arrayBuffer());
        const hex = await md5(bytes);
        const out = await send(
          'put',
          (client, signal) =>
            client.send(
              new UploadPartCommand({
                Bucket: job.bucket,
                Key: job.key,
                UploadId: uploadId,
                PartNumber: part.number,
                Body: bytes,
                ContentMD5: base64OfHex(hex),
                ContentLength: bytes.byteLength,
              }),
              { abortSignal: signal },
            ),
          job.signal,
        );
        // Without the part's ETag the upload cannot be completed: the CORS rule must expose it.
        if (!out.ETag)
          throw failure(
            'S3_CORS_HIDES_ETAG',
            `S3 stored a part of s3://${job.bucket}/${job.key}, but the bucket’s CORS rule does not let this page read its ETag`,
            'Add "ETag" to ExposeHeaders in the bucket’s CORS rule, then upload again',
            { bucket: job.bucket, key: job.key },
          );
        etags[part.number - 1] = out.ETag;
        sent += bytes.byteLength;
        report(sent, size);
      }
    };
    // The first failure stops the other workers at their next part; all are awaited before the abort.
    const results = await Promise.allSettled(
      Array.from({ length: Math.min(job.concurrency ?? PART_CONCURRENCY, plan.parts.length) }, worker),
    );
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
    if (job.signal.aborted) throw uploadCancelled(job.key);
    // Not cancellable in flight either: S3 may complete it while the answer is dropped, and an abort would then find nothing.
    const out = await send('put', (client, signal) =>
      client.send(
        new CompleteMultipartUploadCommand({
          Bucket: job.bucket,
          Key: job.key,
          UploadId: uploadId,
          MultipartUpload: { Parts: etags.map((ETag, i) => ({ ETag, PartNumber: i + 1 })) },
        }),
        { abortSignal: signal },
      ),
    );
    return { bytes: size, parts: plan.parts.length, ...(out.ETag ? { etag: out.ETag } : {}) };
  } catch (e) {
    const cause = job.signal.aborted ? uploadCancelled(job.key) : e;
    await abortUpload(send, job, uploadId, cause);
    throw cause;
  }
}

/**
 * Aborts a multipart upload (a fresh request: the job's own signal may be the reason). When S3
 * refuses, the upload's parts stay stored (and billed): the failure says so, and what to allow.
 */
async function abortUpload(send: UploadSend, job: UploadJob, uploadId: string, cause: unknown): Promise<void> {
  try {
    await send('abort', (client, signal) =>
      client.send(new AbortMultipartUploadCommand({ Bucket: job.bucket, Key: job.key, UploadId: uploadId }), { abortSignal: signal }),
    );
  } catch (e) {
    const refused = e as Partial<Failure>;
    const need = iamNeed('abort', job.bucket, job.key);
    const why = typeof (cause as Partial<Failure>)?.message === 'string' ? (cause as Failure).message : 'The upload failed';
    throw failure(
      'UPLOAD_ABORT_FAILED',
      `${why}; then S3 refused to abort the multipart upload (${refused.code ?? 'error'}), so its parts are still stored`,
      `Ask the AWS administrator to allow "${need.action}" on "${need.resource}", or to remove upload ${uploadId} (S3 console → the bucket → Management → incomplete multipart uploads, or a lifecycle rule)`,
      { bucket: job.bucket, key: job.key, uploadId, ...(refused.details?.serverCode ? { serverCode: refused.details.serverCode } : {}) },
      { iam: need },
    );
  }
}

/** Runs a call; a cancel turns its error into UPLOAD_CANCELLED. */
async function guardCancel<T>(job: UploadJob, fn: () => Promise<T>): Promise<T> {
  if (job.signal.aborted) throw uploadCancelled(job.key);
  try {
    return await fn();
  } catch (e) {
    throw job.signal.aborted ? uploadCancelled(job.key) : e;
  }
}

/** The upload was cancelled; nothing is left in S3. */
export function uploadCancelled(key: string): Failure {
  return failure('UPLOAD_CANCELLED', 'The upload was cancelled; nothing was left in S3', 'Upload it again when ready', { key });
}
