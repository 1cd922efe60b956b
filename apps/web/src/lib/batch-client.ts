// Loaded with the Check SIMs screen: the batch worker and comlink are not part of the first screen.
import { proxy, transfer, wrap, type Remote } from 'comlink';
import type { BatchApi, BatchEvent } from '../worker/batch-api.ts';
import { batchApiOf, type BatchWorkerApi } from './batch-worker-api.ts';

/** Starts the batch worker and subscribes to its events. */
export async function startBatchWorker(onEvent: (event: BatchEvent) => void): Promise<BatchWorkerApi> {
  const worker = new Worker(new URL('../worker/batch-worker.ts', import.meta.url), { type: 'module', name: 'krypton-batch' });
  const remote: Remote<BatchApi> = wrap<BatchApi>(worker);
  // Checked here: comlink's Remote<BatchApi> is a BatchWorkerApi (same parameters, every answer a Promise).
  const calls: BatchWorkerApi = remote;
  const api = batchApiOf(
    (name) =>
      (...args) =>
        calls[name](...args),
  );
  // A MessagePort must be transferred, not copied.
  api.addModem = (lane, pipe) => calls.addModem(lane, transfer(pipe, [pipe]));
  await api.subscribe(proxy(onEvent));
  return api;
}
