import type { SessionApi } from '../worker/api.ts';

/** The worker's API as the page calls it: every method asynchronous (comlink's Remote, or a test double). */
export type WorkerApi = {
  [K in keyof SessionApi]: (...args: Parameters<SessionApi[K]>) => Promise<Awaited<ReturnType<SessionApi[K]>>>;
};
