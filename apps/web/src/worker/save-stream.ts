import { BatchedWriter, type ByteWritable } from './batched-writes.ts';
import type { DownloadProgress, Failure, IntegrityCheck, ObjectCheck } from './api.ts';
import { failure } from './failure.ts';
import { ObjectVerifier, verificationFailure, type Verification } from './object-verifier.ts';

/** Largest object held in memory when the browser cannot write straight to disk (no File System Access). */
export const MEMORY_DOWNLOAD_LIMIT = 512 * 1024 * 1024;
/** Progress reports at most this often. */
export const PROGRESS_INTERVAL_MS = 100;
/** The parts of a FileSystemFileHandle the download uses (a test double implements them). */
export interface SaveHandle {
  createWritable(options?: {
    keepExistingData?: boolean;
  }): Promise<ByteWritable & { close(): Promise<void>; abort(reason?: unknown): Promise<void> }>;
  getFile?(): Promise<{ size: number }>;
  remove?(): Promise<void>;
}

export interface SaveStreamOptions {
  id: number;
  key: string;
  /** The bytes in order; a Blob is a whole part the browser holds (ordered-ranges.ts `openWhole`). */
  stream: ReadableStream<Uint8Array | Blob>;
  /** Bytes received so far, delivered or not, for progress (default: the bytes delivered). */
  fetched?: () => number;
  /** Content-Length, when S3 sent it. */
  total: number | undefined;
  /** The ETag as S3 sent it (quotes and all), when the CORS rule exposes it (checked when no `verifier` is given). */
  etag: string | undefined;
  /** What the bytes are checked against (ETag, multipart ETag, S3 checksums); default: the ETag alone. */
  verifier?: ObjectVerifier;
  /** A second look at a failed verification before it counts (see `confirmPartwiseFailure`). */
  confirm?: (v: Verification) => Promise<Verification>;
  contentType: string | undefined;
  /** The file to write (File System Access); undefined: collect a Blob in memory. */
  target: SaveHandle | undefined;
  signal: AbortSignal;
  onProgress: (progress: DownloadProgress) => void;
  limitBytes?: number;
  now?: () => number;
}

/**
 * Streams a download to its file, feeding the verifier on the way. The file's writable writes to a
 * temporary file that replaces the target only on `close()`, which comes after every check passed
 * (ETag, multipart ETag, S3 checksums); a mismatch, a cut-off stream, a failure or a cancel aborts
 * the writable instead, and a file the picker created for us (still empty) is removed, so nothing is
 * left that looks complete.
 */
export async function saveStream(
  o: SaveStreamOptions,
): Promise<{ bytes: number; check: IntegrityCheck; checks: ObjectCheck[]; blob?: Blob }> {
  const limit = o.limitBytes ?? MEMORY_DOWNLOAD_LIMIT;
  const now = o.now ?? (() => performance.now());
  if (!o.target && o.total !== undefined && o.total > limit) {
    throw failure(
      'TOO_LARGE_FOR_MEMORY',
      `This browser cannot write straight to disk, and the object (${o.total} bytes) is larger than the ${limit} bytes it may hold in memory`,
      'Use Chrome or Edge on a desktop (they save large files straight to disk), or download it with the AWS CLI',
      { limitBytes: limit, key: o.key },
    );
  }
  const chunks: (Uint8Array | Blob)[] = [];
  let writable: Awaited<ReturnType<SaveHandle['createWritable']>> | undefined;
  const reader = o.stream.getReader();
  const onAbort = () => void reader.cancel().catch(() => undefined);
  o.signal.addEventListener('abort', onAbort, { once: true });
  try {
    if (o.target) writable = await o.target.createWritable({ keepExistingData: false });
    // Hashes in WebAssembly (hash-wasm): WebCrypto has no MD5 or CRC and no incremental digest, and a
    // JavaScript MD5 (~80 MiB/s) was the ceiling.
    const verifier = o.verifier ?? (await ObjectVerifier.create({ size: o.total, etag: o.etag }));
    let received = 0;
    let lastReport = -Infinity;
    let reported = 0;
    // Progress counts bytes received, even those not yet in order, and never goes back (a part read
    // again counts once).
    const report = (force = false) => {
      const t = now();
      if (!force && t - lastReport < PROGRESS_INTERVAL_MS) return;
      lastReport = t;
      const fetched = o.fetched?.() ?? 0;
      reported = Math.max(reported, received, o.total === undefined ? fetched : Math.min(o.total, fetched));
      o.onProgress({ id: o.id, received: reported, ...(o.total !== undefined ? { total: o.total } : {}) });
    };
    const ticker = o.fetched ? setInterval(() => report(), PROGRESS_INTERVAL_MS) : undefined;
    try {
      // The next batch is read and hashed while earlier ones are being written (batched-writes.ts).
      const writer = writable ? new BatchedWriter(writable) : undefined;
      for (;;) {
        const { done, value } = await reader.read();
        if (o.signal.aborted) throw cancelled(o.key);
        if (done) break;
        if (value instanceof Blob) {
          // Written as it is (the browser copies it), and read once for the checks meanwhile.
          const written = writer?.pushBlob(value);
          written?.catch(() => undefined);
          const blobReader = value.stream().getReader();
          for (;;) {
            const part = await blobReader.read();
            if (part.done) break;
            verifier.update(part.value);
          }
          await written;
        } else verifier.update(value);
        received += value instanceof Blob ? value.size : value.byteLength;
        if (writer) {
          if (!(value instanceof Blob)) await writer.push(value);
        } else {
          if (received > limit)
            throw failure(
              'TOO_LARGE_FOR_MEMORY',
              `The object is larger than the ${limit} bytes this browser may hold in memory`,
              'Use Chrome or Edge on a desktop',
              { limitBytes: limit, key: o.key },
            );
          chunks.push(value);
        }
        report();
      }
      await writer?.drain();
    } finally {
      clearInterval(ticker);
    }
    if (o.total !== undefined && received !== o.total) {
      throw failure(
        'DOWNLOAD_INCOMPLETE',
        `The download ended after ${received} of ${o.total} bytes`,
        'Download it again; the connection was interrupted and nothing was saved',
        { key: o.key },
      );
    }
    let verification = verifier.finish();
    if (!verification.ok && o.confirm) verification = await o.confirm(verification);
    const refused = verificationFailure(verification, o.key);
    if (refused) throw refused;
    const { check } = verification;
    const checks = verification.results.map((r) => r.check);
    o.onProgress({ id: o.id, received, ...(o.total !== undefined ? { total: o.total } : {}) });
    if (writable) {
      await writable.close();
      writable = undefined;
      return { bytes: received, check, checks };
    }
    return { bytes: received, check, checks, blob: new Blob(chunks as BlobPart[], { type: o.contentType ?? 'application/octet-stream' }) };
  } catch (e) {
    chunks.length = 0;
    await writable?.abort().catch(() => undefined);
    if (o.target) await removeIfEmpty(o.target);
    if (o.signal.aborted) throw cancelled(o.key);
    throw e;
  } finally {
    o.signal.removeEventListener('abort', onAbort);
  }
}

/**
 * Removes the target when it is empty: the save picker created it for this download. A file that
 * already held data (the person chose to replace it) is left as it was — the aborted writable never
 * touched it.
 */
export async function removeIfEmpty(target: SaveHandle): Promise<void> {
  try {
    const file = await target.getFile?.();
    if (file && file.size === 0) await target.remove?.();
  } catch {
    // Nothing to remove, or no permission: the aborted write left the file as it was.
  }
}

export function cancelled(key: string): Failure {
  return failure('DOWNLOAD_CANCELLED', 'The download was cancelled; nothing was saved', 'Download it again when ready', { key });
}
