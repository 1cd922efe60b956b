import type { SaveTarget } from './downloads.svelte.ts';
import { downloadWorker, startStreamedDownload } from './download-worker.ts';

type Picker = (options: { suggestedName?: string }) => Promise<FileSystemFileHandle>;

/** Whether this browser can write a download straight to a file (File System Access). */
export function canWriteToDisk(scope: object = globalThis): boolean {
  return typeof (scope as { showSaveFilePicker?: unknown }).showSaveFilePicker === 'function';
}

/**
 * Asks where to save (must run from the click). Without File System Access the browser's own
 * download takes the bytes as they stream through the download service worker (`stream`); without
 * that too, the file is collected in memory by the worker and saved through an `a[download]` link.
 */
export async function chooseSaveTarget(
  name: string,
  scope: object = globalThis,
  streamed: () => Promise<SaveTarget | undefined> = async () => undefined,
): Promise<SaveTarget> {
  const picker = (scope as { showSaveFilePicker?: Picker }).showSaveFilePicker;
  if (typeof picker !== 'function') return (await streamed()) ?? { kind: 'memory' };
  try {
    return { kind: 'file', handle: await picker.call(scope, { suggestedName: name }) };
  } catch (e) {
    if ((e as { name?: string }).name === 'AbortError') return { kind: 'cancelled' };
    // Picker refused (no gesture, blocked by policy): fall back to memory rather than fail.
    return { kind: 'memory' };
  }
}

/** Saves a Blob as a file through a temporary link. */
export function saveBlob(blob: Blob, name: string): void {
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  a.rel = 'noopener';
  a.style.display = 'none';
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

/** Saves text (an operation's answer, a PEM file). */
export function saveText(text: string, name: string, type = 'text/plain'): void {
  saveBlob(new Blob([text], { type }), name);
}

/** A streamed download through the download service worker, when this page has one. */
export async function streamedSaveTarget(name: string): Promise<SaveTarget | undefined> {
  const worker = await downloadWorker();
  if (!worker) return undefined;
  const started = await startStreamedDownload(worker, name);
  return started ? { kind: 'stream', port: started.port, done: () => started.done(), missed: started.missed } : undefined;
}
