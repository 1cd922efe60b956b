import type { Failure, FolderOutcome, SessionEvent } from '../worker/api.ts';
import type { SaveTarget } from './downloads.svelte.ts';
import { asFailure } from './session.svelte.ts';
import type { WorkerApi } from './worker-api.ts';

/** Where a folder goes: a directory the person picked, or (no directory picker) a zip as a single-file save target. */
export type FolderTarget = { kind: 'directory'; handle: FileSystemDirectoryHandle } | SaveTarget;

type DirectoryPicker = (options: { id?: string; mode?: 'readwrite' }) => Promise<FileSystemDirectoryHandle>;

/** Whether this browser can write into a directory the person picks (File System Access). */
export function canPickDirectory(scope: object = globalThis): boolean {
  return typeof (scope as { showDirectoryPicker?: unknown }).showDirectoryPicker === 'function';
}

/**
 * Asks where a folder goes (must run from the click): the directory picker, or else a zip through
 * `zip` (the streamed single-file path: the download service worker, or memory).
 */
export async function chooseFolderTarget(scope: object, zip: () => Promise<SaveTarget>): Promise<FolderTarget> {
  const picker = (scope as { showDirectoryPicker?: DirectoryPicker }).showDirectoryPicker;
  if (typeof picker !== 'function') return zip();
  try {
    return { kind: 'directory', handle: await picker.call(scope, { id: 'krypton-folder', mode: 'readwrite' }) };
  } catch (e) {
    if ((e as { name?: string }).name === 'AbortError') return { kind: 'cancelled' };
    return zip();
  }
}

/** One folder download as the page shows it. */
export interface FolderJob {
  id: number;
  prefix: string;
  name: string;
  status: 'running' | 'done' | 'cancelled' | 'failed';
  to: 'directory' | 'zip';
  objectsDone: number;
  objectsTotal?: number;
  failedCount: number;
  bytesDone: number;
  bytesTotal?: number;
  outcome?: FolderOutcome;
  failure?: Failure;
}

/** The folder download: one at a time, its overall progress (objects and bytes), cancel, and the summary. */
export class FolderDownloads {
  job = $state<FolderJob | undefined>(undefined);
  private nextId = 1;

  constructor(private readonly saveBlob: (blob: Blob, name: string) => void = () => undefined) {}

  onEvent(event: SessionEvent): void {
    if (event.type !== 'folder-progress') return;
    const job = this.job;
    const p = event.progress;
    if (!job || job.id !== p.id || job.status !== 'running') return;
    job.objectsDone = p.objectsDone;
    job.objectsTotal = p.objectsTotal;
    job.failedCount = p.failed;
    job.bytesDone = p.bytesDone;
    job.bytesTotal = p.bytesTotal;
  }

  /** Downloads the folder `prefix` to `target`; resolves when it ends (however it ends). */
  async start(api: WorkerApi, bucket: string, region: string, prefix: string, target: FolderTarget): Promise<FolderJob | undefined> {
    if (target.kind === 'cancelled') return undefined;
    const id = this.nextId++;
    const name = prefix === '' ? bucket : prefix.replace(/\/$/, '').split('/').pop()!;
    this.job = {
      id,
      prefix,
      name,
      status: 'running',
      to: target.kind === 'directory' ? 'directory' : 'zip',
      objectsDone: 0,
      failedCount: 0,
      bytesDone: 0,
    };
    const job = this.job;
    try {
      const to = target.kind === 'directory' ? target.handle : target.kind === 'stream' ? target.port : undefined;
      const outcome = await api.downloadFolder({ id, bucket, region, prefix }, to);
      job.outcome = outcome;
      job.status = outcome.cancelled ? 'cancelled' : 'done';
      job.objectsDone = outcome.saved.length + outcome.failed.length;
      job.failedCount = outcome.failed.length;
      job.bytesDone = outcome.bytes;
      if (outcome.blob) this.saveBlob(outcome.blob, `${name}.zip`);
    } catch (e) {
      const f = asFailure(e);
      job.status = f.code === 'DOWNLOAD_CANCELLED' ? 'cancelled' : 'failed';
      if (job.status === 'failed') job.failure = f;
    } finally {
      if (target.kind === 'stream') target.done();
    }
    return job;
  }

  async cancel(api: WorkerApi): Promise<void> {
    if (this.job?.status === 'running') await api.cancelFolder(this.job.id);
  }

  dismiss(): void {
    if (this.job?.status !== 'running') this.job = undefined;
  }
}
