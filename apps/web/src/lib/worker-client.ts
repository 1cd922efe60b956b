// Loaded on demand (when the person connects): comlink and the worker are not part of the first screen.
import { proxy, transfer, wrap, type Remote } from 'comlink';
import type { SessionApi, SessionEvent } from '../worker/api.ts';
import { workerApiOf, type WorkerApi } from './worker-api.ts';

/** Starts the session worker and subscribes to its events. */
export async function startWorker(onEvent: (event: SessionEvent) => void): Promise<WorkerApi> {
  const worker = new Worker(new URL('../worker/session-worker.ts', import.meta.url), { type: 'module', name: 'krypton-session' });
  const api = workerClient(wrap<SessionApi>(worker));
  await api.subscribe(proxy(onEvent));
  return api;
}

/**
 * The page's handle on the worker: a plain object with exactly the methods of WORKER_METHODS, each
 * forwarding to comlink's Remote (a Proxy that answers any name, `then` included, and that a spread
 * cannot copy). The modem's and the download's MessagePorts are transferred, not copied.
 */
export function workerClient(remote: Remote<SessionApi>): WorkerApi {
  // Checked here: comlink's Remote<SessionApi> is a WorkerApi (same parameters, every answer a Promise).
  const calls: WorkerApi = remote;
  return {
    ...workerApiOf(
      (name) =>
        (...args) =>
          calls[name](...args),
    ),
    // A MessagePort must be transferred, not copied.
    openModem: (pipe, name, kind) => remote.openModem(transfer(pipe, [pipe]), name, kind),
    // The download service worker's port too (a file handle is cloned).
    download: (request, target) =>
      target instanceof MessagePort ? remote.download(request, transfer(target, [target])) : remote.download(request, target),
    // A folder's zip goes through such a port as well (a directory handle is cloned).
    downloadFolder: (request, target) =>
      target instanceof MessagePort ? remote.downloadFolder(request, transfer(target, [target])) : remote.downloadFolder(request, target),
  };
}
