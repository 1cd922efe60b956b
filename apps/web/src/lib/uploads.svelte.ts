import type { SessionEvent, FileUploadOutcome } from '../worker/api.ts';
import { asFailure } from './session.svelte.ts';
import type { Transfer } from './transfers.ts';
import type { WorkerApi } from './worker-api.ts';

export interface UploadItem extends Transfer {
  sent: number;
  total: number;
  outcome?: FileUploadOutcome;
}

/** Uploads into the current folder: progress (bytes S3 confirmed), cancel, and how S3 checked each file. */
export class Uploads {
  items = $state<UploadItem[]>([]);
  private nextId = 1;

  onEvent(event: SessionEvent): void {
    if (event.type !== 'upload-progress') return;
    const item = this.items.find((i) => i.id === event.progress.id);
    if (!item || item.status !== 'running') return;
    item.sent = event.progress.sent;
    item.total = event.progress.total;
  }

  /** Uploads `file` as `prefix` + its name; resolves when it ends (however it ends). */
  async start(api: WorkerApi, bucket: string, region: string, prefix: string, file: File): Promise<UploadItem> {
    const id = this.nextId++;
    const key = `${prefix}${file.name}`;
    this.items.unshift({ id, key, name: file.name, status: 'running', sent: 0, total: file.size });
    const item = this.items.find((i) => i.id === id)!;
    try {
      item.outcome = await api.upload({ id, bucket, region, key, ...(file.type ? { contentType: file.type } : {}) }, file);
      item.status = 'done';
      item.sent = item.total;
    } catch (e) {
      const f = asFailure(e);
      item.status = f.code === 'UPLOAD_CANCELLED' ? 'cancelled' : 'failed';
      if (item.status === 'failed') item.failure = f;
    }
    return item;
  }

  async cancel(api: WorkerApi, id: number): Promise<void> {
    await api.cancelUpload(id);
  }

  dismiss(id: number): void {
    this.items = this.items.filter((i) => i.id !== id || i.status === 'running');
  }
}
