/**
 * The messages of a streamed download (no File System Access): the session worker sends the bytes
 * through a MessagePort to the download service worker, which hands them to the browser as the body
 * of a download response. The service worker asks for each chunk (`pull`), so no side holds more
 * than a chunk or two of the file.
 */

/** The page asks the service worker to answer `path` with the bytes that will come through the port it transfers. */
export interface DownloadRegistration {
  t: 'krypton-download';
  path: string;
  name: string;
}

/** From the session worker to the service worker. */
export type ToDownloadWorker =
  | { t: 'head'; size?: number }
  | { t: 'chunk'; bytes: ArrayBuffer }
  /** All bytes sent and checked against the ETag: the download may complete. */
  | { t: 'end' }
  /** The download failed or was cancelled: the browser must mark it failed, not complete. */
  | { t: 'error'; message: string };

/** From the service worker (to the page once, `registered`; then to the session worker). */
export type FromDownloadWorker = { t: 'registered' } | { t: 'pull' } | { t: 'closed' } | { t: 'cancelled' };

/** Where the service worker's scope starts, relative to the page: it answers only downloads under it. */
export const DOWNLOAD_SCOPE = 'krypton-download/';
/** The service worker's script, relative to the page (vite.config.ts builds it under this name). */
export const DOWNLOAD_WORKER_SCRIPT = 'download-sw.js';
