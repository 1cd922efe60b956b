import { BATCH_METHODS, type BatchApi, type BatchMethod } from '../worker/batch-api.ts';

/** One method of the batch worker as the page calls it: the same parameters, the answer always a Promise. */
export type BatchCall<K extends keyof BatchApi> = (...args: Parameters<BatchApi[K]>) => Promise<Awaited<ReturnType<BatchApi[K]>>>;

/** The batch worker's API as the page calls it (comlink's Remote, or a test double). */
export type BatchWorkerApi = {
  [K in keyof BatchApi]: BatchCall<K>;
};

/** A BatchWorkerApi as a plain object, one method per name of BATCH_METHODS, each made by `method`. */
export function batchApiOf(method: <K extends BatchMethod>(name: K) => BatchCall<K>): BatchWorkerApi {
  const api: Partial<BatchWorkerApi> = {};
  for (const name of BATCH_METHODS) put(api, name, method(name));
  if (!isComplete(api)) throw new Error('A batch API lacks a method of BATCH_METHODS');
  return api;
}

/** Whether every method is there; with BATCH_METHODS checked to cover BatchApi (batch-api.ts), that makes a BatchWorkerApi. */
function isComplete(api: Partial<BatchWorkerApi>): api is BatchWorkerApi {
  return BATCH_METHODS.every((name) => typeof api[name] === 'function');
}

function put<K extends BatchMethod>(api: { [P in K]?: BatchCall<P> }, name: K, call: BatchCall<K>): void {
  api[name] = call;
}
