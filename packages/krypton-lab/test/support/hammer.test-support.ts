/** A finished HTTP exchange: status, headers and the whole body, all read before the request's deadline. */
export interface Answer {
  status: number;
  headers: Headers;
  text: string;
  /** The body parsed as JSON. */
  json<T = Record<string, unknown>>(): T;
}

/** fetch for one iteration of a hammer: each call carries its own deadline and answers a fully read body. */
export type TimedFetch = (url: string, init?: RequestInit) => Promise<Answer>;

/** How hard and how patiently to hammer. */
export interface HammerOptions {
  /** Calls to make in all. */
  count: number;
  /** Iterations in flight at once. */
  concurrency?: number;
  /** Deadline of each request, headers and body included. */
  timeoutMs?: number;
}

/** The lab did not answer one request in time: it is frozen or far too slow. */
export class LabSilent extends Error {
  override readonly name = 'LabSilent';
}

/**
 * Runs `iteration` `count` times, `concurrency` at a time, and fails on the first iteration that
 * throws or whose request gets no answer before its deadline, naming the operation and the
 * iteration. Because every request has its own deadline, a frozen lab fails the test instead of
 * hanging it (provided the lab runs in another process: a deadlock in this one stops our timers too).
 */
export async function hammer(
  operation: string,
  options: HammerOptions,
  iteration: (fetch: TimedFetch, index: number) => Promise<void>,
): Promise<void> {
  const { count, concurrency = 8, timeoutMs = 5_000 } = options;
  const timedFetch = fetchWithin(timeoutMs);
  let next = 0;
  let failure: Error | undefined;
  const worker = async (): Promise<void> => {
    while (failure === undefined && next < count) {
      const index = next++;
      try {
        await iteration(timedFetch, index);
      } catch (e) {
        const reason = e instanceof Error ? e.message : String(e);
        failure ??= new Error(`${operation}: iteration ${index + 1} of ${count}: ${reason}`, { cause: e });
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
  if (failure) throw failure;
}

/** A fetch whose every request must be answered, body included, within `timeoutMs`. */
export function fetchWithin(timeoutMs: number): TimedFetch {
  return async (url, init = {}) => {
    const target = `${init.method ?? 'GET'} ${new URL(url).pathname}`;
    try {
      const res = await fetch(url, { ...init, signal: AbortSignal.timeout(timeoutMs) });
      // The body is read under the same deadline, so a lab that stops mid-answer is caught too.
      const text = await res.text();
      return { status: res.status, headers: res.headers, text, json: <T>() => JSON.parse(text) as T };
    } catch (e) {
      if (e instanceof Error && e.name === 'TimeoutError')
        throw new LabSilent(`no answer to ${target} within ${timeoutMs} ms: the lab stopped answering`);
      throw new Error(`${target} failed: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
    }
  };
}
