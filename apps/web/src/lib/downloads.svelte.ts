import type { DownloadOutcome, IntegrityCheck, ObjectCheck, SessionEvent } from '../worker/api.ts';
import { failure } from '../worker/failure.ts';
import { asFailure } from './session.svelte.ts';
import type { Transfer } from './transfers.ts';
import type { WorkerApi } from './worker-api.ts';

/**
 * Where a download goes: a file handle from the save picker, the browser's own download streamed
 * through the download service worker (the port the bytes go into; `done` tidies up after), nothing
 * (save a Blob), or the person cancelled the picker.
 */
export type SaveTarget =
  | { kind: 'file'; handle: FileSystemFileHandle }
  | {
      kind: 'stream';
      port: MessagePort;
      done(): void;
      /** Resolves if the browser loaded a page where the download should have started (the service worker missed it). */
      missed?: Promise<void>;
    }
  | { kind: 'memory' }
  | { kind: 'cancelled' };

export interface DownloadItem extends Transfer {
  received: number;
  total?: number;
  /** Bytes per second, smoothed. */
  rate: number;
  /** Milliseconds left at the current rate. */
  etaMs?: number;
  check?: IntegrityCheck;
  /** The checks the bytes passed (ETag, multipart ETag, S3 checksums). */
  checks?: ObjectCheck[];
  toDisk: boolean;
  /** Connections the ranges were read over (once done). */
  connections?: number;
  /** Ranges resumed after a dropped connection (once done). */
  resumes?: number;
  /** The Content-Encoding the object is stored with, when not plain: the file holds it so (once done). */
  contentEncoding?: string;
}

/** How to read a download: connections (undefined: by the object's size) and part size. */
export interface DownloadTuning {
  connections?: number | undefined;
  partBytes?: number | undefined;
}

/** Smoothing of the rate: new samples weigh this much. */
const ALPHA = 0.3;

/**
 * The downloads in progress and done: progress with bytes, rate and time left, cancel, and how each
 * file was checked. The bytes never pass through here when they go to disk.
 */
export class Downloads {
  items = $state<DownloadItem[]>([]);
  private nextId = 1;
  // Bookkeeping for the speed figure, never rendered: a plain Map, not reactive state.
  // eslint-disable-next-line svelte/prefer-svelte-reactivity
  private readonly samples = new Map<number, { at: number; received: number }>();

  constructor(
    private readonly now: () => number = () => performance.now(),
    private readonly saveBlob: (blob: Blob, name: string) => void = () => undefined,
  ) {}

  onEvent(event: SessionEvent): void {
    if (event.type === 'download-progress') this.progress(event.progress.id, event.progress.received, event.progress.total);
  }

  progress(id: number, received: number, total: number | undefined): void {
    const item = this.items.find((i) => i.id === id);
    if (!item || item.status !== 'running') return;
    const at = this.now();
    const last = this.samples.get(id);
    if (last && at > last.at && received >= last.received) {
      const instant = ((received - last.received) * 1000) / (at - last.at);
      item.rate = item.rate === 0 ? instant : ALPHA * instant + (1 - ALPHA) * item.rate;
    }
    this.samples.set(id, { at, received });
    item.received = received;
    if (total !== undefined) item.total = total;
    item.etaMs = item.total !== undefined && item.rate > 0 ? ((item.total - received) * 1000) / item.rate : undefined;
  }

  /** Starts a download of `key` to `target`; resolves when it ends (however it ends). */
  async start(
    api: WorkerApi,
    bucket: string,
    region: string,
    key: string,
    target: SaveTarget,
    tuning: DownloadTuning = {},
  ): Promise<DownloadItem | undefined> {
    if (target.kind === 'cancelled') return undefined;
    const id = this.nextId++;
    const name = key.split('/').pop() || key;
    this.items.unshift({
      id,
      key,
      name,
      status: 'running',
      received: 0,
      rate: 0,
      toDisk: target.kind === 'file' || target.kind === 'stream',
    });
    this.samples.set(id, { at: this.now(), received: 0 });
    const item = this.items.find((i) => i.id === id)!;
    try {
      const to = target.kind === 'file' ? target.handle : target.kind === 'stream' ? target.port : undefined;
      const download = api.download(
        {
          id,
          bucket,
          region,
          key,
          ...(tuning.connections !== undefined ? { connections: tuning.connections } : {}),
          ...(tuning.partBytes !== undefined ? { partBytes: tuning.partBytes } : {}),
        },
        to,
      );
      const missed = target.kind === 'stream' ? target.missed : undefined;
      const outcome: DownloadOutcome = await (missed
        ? Promise.race([download, missed.then(() => notStarted(api, id, key, download))])
        : download);
      item.status = 'done';
      item.received = outcome.bytes;
      item.total = outcome.bytes;
      item.check = outcome.check;
      item.checks = outcome.checks;
      item.etaMs = 0;
      if (outcome.connections !== undefined) item.connections = outcome.connections;
      if (outcome.resumes !== undefined) item.resumes = outcome.resumes;
      if (outcome.contentEncoding !== undefined) item.contentEncoding = outcome.contentEncoding;
      if (outcome.blob) this.saveBlob(outcome.blob, name);
    } catch (e) {
      const f = asFailure(e);
      item.status = f.code === 'DOWNLOAD_CANCELLED' || f.code === 'ABORTED' ? 'cancelled' : 'failed';
      if (item.status === 'failed') item.failure = f;
      item.etaMs = undefined;
    } finally {
      if (target.kind === 'stream') target.done();
      this.samples.delete(id);
    }
    return item;
  }

  async cancel(api: WorkerApi, id: number): Promise<void> {
    await api.cancelDownload(id);
  }

  dismiss(id: number): void {
    this.items = this.items.filter((i) => i.id !== id || i.status === 'running');
  }
}

/**
 * The download service worker missed the download (the browser loaded a page in its place): the
 * worker's side is cancelled, and the download fails now rather than after the first-pull timeout.
 */
function notStarted(api: WorkerApi, id: number, key: string, download: Promise<DownloadOutcome>): never {
  download.catch(() => undefined);
  void Promise.resolve(api.cancelDownload(id)).catch(() => undefined);
  throw failure(
    'DOWNLOAD_NOT_STARTED',
    'The browser did not start saving the file: the page’s download service worker did not take it',
    'Download it again; reload the page if it happens again',
    { key },
  );
}
