import { makeZip } from 'client-zip';
import type {
  DownloadOutcome,
  DownloadProgress,
  DownloadRequest,
  Failure,
  FolderFailed,
  FolderOutcome,
  FolderProgress,
  FolderRequest,
  FolderSaved,
  ObjectRow,
} from './api.ts';
import { BatchedWriter } from './batched-writes.ts';
import { failure, toFailure } from './failure.ts';
import { placeObjects } from './folder-names.ts';
import { PortSink } from './port-sink.ts';
import { PROGRESS_INTERVAL_MS, type SaveHandle } from './save-stream.ts';

/** Objects downloaded at once by default: enough to hide each request's latency, few enough to leave the link to the page. */
export const FOLDER_CONCURRENCY = 3;
/** Bytes of zip gathered before one message to the download service worker. */
const ZIP_WRITE_BYTES = 1024 * 1024;

/** The directory handle's parts a folder download uses (a test double implements them). */
export interface DirectoryLike {
  getDirectoryHandle(name: string, options?: { create?: boolean }): Promise<DirectoryLike>;
  getFileHandle(name: string, options?: { create?: boolean }): Promise<SaveHandle>;
}

/** What a folder download needs of S3Service: the listing and its single-object download, unchanged. */
export interface FolderSource {
  listAll(bucket: string, region: string, prefix: string, signal: AbortSignal): Promise<ObjectRow[]>;
  download(request: DownloadRequest, to: SaveHandle | undefined, onProgress: (p: DownloadProgress) => void): Promise<DownloadOutcome>;
  cancel(id: number): void;
}

/**
 * Downloads every object under a prefix through the single-object path (each one streamed, its MD5
 * checked against a single-part ETag, nothing left of a failed one), a few at a time. Into a
 * directory: each object into its sanitised sub-path. Into a zip (no directory picker): each object
 * is first fetched and checked in memory, then added, so a failed object never leaves a broken entry
 * in the zip; the zip itself streams out (zip64 past 4 GiB). Failures are listed, not fatal.
 */
export async function downloadFolder(
  source: FolderSource,
  request: FolderRequest,
  target: DirectoryLike | MessagePort | undefined,
  signal: AbortSignal,
  onProgress: (p: FolderProgress) => void,
  nextId: () => number,
): Promise<FolderOutcome> {
  const objects = await source.listAll(request.bucket, request.region, request.prefix, signal);
  if (objects.length === 0)
    throw failure('FOLDER_EMPTY', `There is no object under s3://${request.bucket}/${request.prefix}`, 'Open a folder that holds files', {
      bucket: request.bucket,
      key: request.prefix,
    });
  const placed = placeObjects(objects, request.prefix);
  const saved: FolderSaved[] = [];
  const failed: FolderFailed[] = [];
  const bytesTotal = objects.reduce((n, o) => n + o.size, 0);
  const running = new Map<number, number>();
  let bytesDone = 0;
  let lastReport = -Infinity;
  const report = (force = false) => {
    const t = performance.now();
    if (!force && t - lastReport < PROGRESS_INTERVAL_MS) return;
    lastReport = t;
    const inFlight = [...running.values()].reduce((n, b) => n + b, 0);
    onProgress({
      id: request.id,
      objectsDone: saved.length + failed.length,
      objectsTotal: placed.length,
      failed: failed.length,
      bytesDone: bytesDone + inFlight,
      bytesTotal,
    });
  };
  const onAbort = () => {
    for (const id of running.keys()) source.cancel(id);
  };
  signal.addEventListener('abort', onAbort, { once: true });

  for (const p of placed) {
    if (!('problem' in p)) continue;
    failed.push(
      p.problem === 'collision'
        ? {
            key: p.object.key,
            path: p.path.join('/'),
            failure: failure(
              'FOLDER_NAME_COLLISION',
              `“${p.object.key}” would be saved as ${p.path.join('/')}, where “${p.with}” is saved (names that differ only in case, or a file where a folder is)`,
              'Download that object on its own and save it under another name',
              { key: p.object.key, path: p.with },
            ),
          }
        : {
            key: p.object.key,
            failure: failure('FOLDER_NAME_UNSAFE', `“${p.object.key}” leaves no file name to save under`, 'Download it on its own', {
              key: p.object.key,
            }),
          },
    );
  }
  const todo = placed.filter((p): p is { object: ObjectRow; path: string[] } => !('problem' in p));
  report(true);

  /** Downloads one object through the single-object path; `to` undefined: into memory (for the zip). */
  const fetchOne = async (
    item: { object: ObjectRow; path: string[] },
    to: SaveHandle | undefined,
  ): Promise<DownloadOutcome | undefined> => {
    if (signal.aborted) return undefined;
    const id = nextId();
    running.set(id, 0);
    try {
      const out = await source.download({ id, bucket: request.bucket, region: request.region, key: item.object.key }, to, (pr) => {
        running.set(id, pr.received);
        report();
      });
      bytesDone += out.bytes;
      saved.push({ key: item.object.key, path: item.path.join('/'), bytes: out.bytes, check: out.check });
      return out;
    } catch (e) {
      if (!signal.aborted) failed.push({ key: item.object.key, path: item.path.join('/'), failure: toFailure(e) });
      return undefined;
    } finally {
      running.delete(id);
      report();
    }
  };

  const concurrency = Math.max(1, Math.min(request.concurrency ?? FOLDER_CONCURRENCY, 8));
  let blob: Blob | undefined;
  try {
    if (target !== undefined && !(target instanceof MessagePort)) {
      const dirs = new Map<string, Promise<DirectoryLike>>();
      const dirOf = (segments: string[]): Promise<DirectoryLike> => {
        if (segments.length === 0) return Promise.resolve(target);
        const k = segments.join('/');
        let d = dirs.get(k);
        if (!d) {
          d = dirOf(segments.slice(0, -1)).then((parent) => parent.getDirectoryHandle(segments.at(-1)!, { create: true }));
          dirs.set(k, d);
        }
        return d;
      };
      let next = 0;
      const worker = async () => {
        while (next < todo.length && !signal.aborted) {
          const item = todo[next++]!;
          let file: SaveHandle;
          try {
            file = await (await dirOf(item.path.slice(0, -1))).getFileHandle(item.path.at(-1)!, { create: true });
          } catch (e) {
            failed.push({
              key: item.object.key,
              path: item.path.join('/'),
              failure: failure(
                'FOLDER_WRITE_REFUSED',
                `The browser refused to create ${item.path.join('/')} (${(e as Error)?.message ?? 'refused'})`,
                'Download that object on its own and save it under another name',
                { key: item.object.key, path: item.path.join('/') },
              ),
            });
            continue;
          }
          await fetchOne(item, file);
        }
      };
      await Promise.all(Array.from({ length: concurrency }, worker));
    } else {
      blob = await zipTo(target, zipEntries(todo, concurrency, signal, fetchOne), signal);
    }
  } finally {
    signal.removeEventListener('abort', onAbort);
  }
  report(true);
  const order = new Map(objects.map((o, i) => [o.key, i]));
  const byKey = (a: { key: string }, b: { key: string }) => (order.get(a.key) ?? 0) - (order.get(b.key) ?? 0);
  return {
    id: request.id,
    to: target !== undefined && !(target instanceof MessagePort) ? 'directory' : 'zip',
    saved: saved.sort(byKey),
    failed: failed.sort(byKey),
    bytes: saved.reduce((n, s) => n + s.bytes, 0),
    cancelled: signal.aborted,
    ...(blob ? { blob } : {}),
  };
}

/** The zip's entries in folder order, each fetched and checked ahead (up to `concurrency` at once); failed ones left out. */
async function* zipEntries(
  todo: { object: ObjectRow; path: string[] }[],
  concurrency: number,
  signal: AbortSignal,
  fetchOne: (item: { object: ObjectRow; path: string[] }, to: undefined) => Promise<DownloadOutcome | undefined>,
): AsyncGenerator<{ name: string; input: Blob; lastModified?: Date }> {
  const ahead: { item: (typeof todo)[number]; out: Promise<DownloadOutcome | undefined> }[] = [];
  let next = 0;
  const fill = () => {
    while (ahead.length < concurrency && next < todo.length && !signal.aborted) {
      const item = todo[next++]!;
      ahead.push({ item, out: fetchOne(item, undefined) });
    }
  };
  fill();
  while (ahead.length > 0) {
    const { item, out } = ahead.shift()!;
    const got = await out;
    fill();
    if (got?.blob)
      yield {
        name: item.path.join('/'),
        input: got.blob,
        ...(item.object.lastModified ? { lastModified: new Date(item.object.lastModified) } : {}),
      };
  }
}

/** Streams the zip to the download service worker's port, or collects it in a Blob (no port). */
async function zipTo(
  port: MessagePort | undefined,
  entries: AsyncIterable<{ name: string; input: Blob; lastModified?: Date }>,
  signal: AbortSignal,
): Promise<Blob | undefined> {
  const reader = makeZip(entries, { buffersAreUTF8: true }).getReader();
  const sink = port ? new PortSink(port, 'folder.zip') : undefined;
  const chunks: BlobPart[] = [];
  let writable: Awaited<ReturnType<PortSink['createWritable']>> | undefined;
  try {
    if (sink) {
      sink.begin(undefined);
      writable = await sink.createWritable();
    }
    const writer = writable ? new BatchedWriter(writable, ZIP_WRITE_BYTES) : undefined;
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      if (writer) await writer.push(value);
      else chunks.push(value as BlobPart);
    }
    if (writable) {
      await writer?.drain();
      // A cancelled folder still gets a valid zip of what was saved: the summary says the rest is missing.
      await writable.close();
      return undefined;
    }
    return new Blob(chunks, { type: 'application/zip' });
  } catch (e) {
    const f: Failure = toFailure(e);
    if (writable) await writable.abort(new Error(f.message)).catch(() => undefined);
    else sink?.fail(f.message);
    await reader.cancel().catch(() => undefined);
    if (signal.aborted) return undefined;
    throw f;
  }
}
