import { WORKER_METHODS, type SessionApi, type WorkerMethod } from '../worker/api.ts';

/** One method of the worker as the page calls it: the same parameters, the answer always a Promise. */
export type WorkerCall<K extends keyof SessionApi> = (...args: Parameters<SessionApi[K]>) => Promise<Awaited<ReturnType<SessionApi[K]>>>;

/** The worker's API as the page calls it: every method asynchronous (comlink's Remote, or a test double). */
export type WorkerApi = {
  [K in keyof SessionApi]: WorkerCall<K>;
};

/**
 * A WorkerApi as a plain object, one method per name of WORKER_METHODS, each made by `method` (the
 * client over comlink, the tests' double): the list of names lives in one place, api.ts.
 */
export function workerApiOf(method: <K extends WorkerMethod>(name: K) => WorkerCall<K>): WorkerApi {
  const api: Partial<WorkerApi> = {};
  for (const name of WORKER_METHODS) put(api, name, method(name));
  if (!isComplete(api)) throw new Error('A worker API lacks a method of WORKER_METHODS');
  return api;
}

function put<K extends WorkerMethod>(api: { [P in K]?: WorkerCall<P> }, name: K, call: WorkerCall<K>): void {
  api[name] = call;
}

/** Whether every method is there; with WORKER_METHODS checked to cover SessionApi (api.ts), that makes a WorkerApi. */
function isComplete(api: Partial<WorkerApi>): api is WorkerApi {
  return WORKER_METHODS.every((name) => typeof api[name] === 'function');
}
