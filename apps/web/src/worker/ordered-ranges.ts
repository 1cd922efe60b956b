/**
 * Parallel ranged reads delivered as one in-order byte stream: up to `connections` ranges are read
 * at once, and only parts within `connections` after the one being delivered (which streams
 * through as it arrives), so at most `connections` parts wait out of order in memory however slow
 * the disk is (back-pressure: a part outside the window is not requested until the reader catches
 * up). The one part of slack lets a connection that finished move on while the delivered part
 * drains; a part leaves the window when its last chunk is handed over, not when the reader comes
 * back for more (it may still be checking a whole part). A range whose connection drops is resumed from its last received byte, after a back-off,
 * while the download's retry budget lasts.
 *
 * With `openWhole`, parts after an already-open first one are read whole into Blobs that the browser
 * holds (not the page) and delivered as one chunk each: a byte the page never touches costs it
 * nothing, and a File System Access writable copies a Blob to the file inside the browser. Such a
 * part that fails is read again from its start (decision 0026).
 */
import { backoffMs as defaultBackoff, type Part } from './range-plan.ts';

/** Opens bytes `start`..`end` (inclusive) of the object; rejects, or errors the stream, on failure. */
export type OpenRange = (start: number, end: number, signal: AbortSignal) => Promise<ReadableStream<Uint8Array>>;

/**
 * Reads bytes `start`..`end` (inclusive) whole into a Blob, calling `onLoaded` with each increment of
 * bytes received on the way; rejects on failure.
 */
export type OpenWhole = (start: number, end: number, signal: AbortSignal, onLoaded: (bytes: number) => void) => Promise<Blob>;

/** A piece of the object, in order: bytes read by the page, or a whole part the browser holds. */
export type OrderedChunk = Uint8Array | Blob;

/** What the ordered stream tells about itself while and after it runs. */
export interface OrderedRangeStats {
  /**
   * Bytes received so far over every range, delivered or not (a whole part's as they arrive; those
   * of an attempt that failed are taken off again): the download's progress.
   */
  fetched: number;
  /** Ranges resumed after a dropped connection (or a short answer). */
  resumes: number;
  /** Connections used at most at once. */
  connections: number;
  /** Parts the object was cut into. */
  parts: number;
}

export interface OrderedRangeOptions {
  parts: readonly Part[];
  connections: number;
  open: OpenRange;
  /** When given, every part but an already-open first one is read whole with it instead of `open`. */
  openWhole?: OpenWhole | undefined;
  /** The first part's stream when it is already open (the request that learnt the object's size). */
  first?: ReadableStream<Uint8Array> | undefined;
  signal: AbortSignal;
  /** Whether an error may be retried (a dropped connection, a 5xx); others end the download at once. */
  retryable: (error: unknown) => boolean;
  /** Retries allowed over the whole download. Default DEFAULT_RETRY_BUDGET. */
  retryBudget?: number;
  /** Waits before retry number n; default doubling from 250 ms. */
  backoffMs?: (attempt: number) => number;
  /** Called when a range resumes (with the error that interrupted it). */
  onResume?: (part: Part, received: number, error: unknown) => void;
  /** Called when the retry budget is spent: the error to end the download with. */
  exhausted?: (lastError: unknown, retries: number) => unknown;
  /** Bytes one range may hold undelivered before it stops reading; default PART_BUFFER_BYTES. */
  partBufferBytes?: number;
  /** A range that receives nothing for this long is given up and read again; default STALL_MS. */
  stallMs?: number;
}

/**
 * A range that receives nothing for this long is cut and read again (within the retry budget): a
 * connection can hang without dropping (a NAT that forgot it, a field link that went quiet), and
 * neither fetch nor XMLHttpRequest gives up on its own.
 */
export const STALL_MS = 30_000;

/** A range received nothing for the stall time. */
export class StalledRangeError extends Error {
  override readonly name = 'StalledRangeError';
}

/**
 * Bytes a range holds undelivered before it stops reading until the reader catches up. Parts are
 * bounded by their size, but one range may be most of the object (one connection reads the rest as
 * one range, or the person chose large parts): without this, a network faster than the disk piled the
 * whole object up in memory (1 GiB of buffers for a 1 GiB download, `pnpm bench`, December).
 */
export const PART_BUFFER_BYTES = 32 * 1024 * 1024;

/** Retries over one download, unless told otherwise. */
export const DEFAULT_RETRY_BUDGET = 5;

/** A range that ended before its last byte (the connection closed cleanly but early). */
export class ShortRangeError extends Error {
  override readonly name = 'ShortRangeError';
}

interface PartState {
  part: Part;
  chunks: OrderedChunk[];
  received: number;
  /** Bytes in `chunks`, not yet delivered. */
  buffered: number;
  /** Set while the range waits for the reader to take some of its bytes. */
  drained: (() => void) | undefined;
  done: boolean;
}

/**
 * The object's bytes in order, read over up to `connections` ranges at once. The returned stream
 * errors with the first failure that is not retried, and cancelling it (or aborting `signal`)
 * aborts every range in flight.
 */
export function orderedRangeStream(o: OrderedRangeOptions): { stream: ReadableStream<OrderedChunk>; stats: OrderedRangeStats } {
  const connections = Math.max(1, Math.min(o.connections, o.parts.length));
  const stats: OrderedRangeStats = { fetched: 0, resumes: 0, connections, parts: o.parts.length };
  const budget = o.retryBudget ?? DEFAULT_RETRY_BUDGET;
  const backoff = o.backoffMs ?? defaultBackoff;
  const inner = new AbortController();
  const onOuterAbort = () => inner.abort(o.signal.reason);
  if (o.signal.aborted) inner.abort(o.signal.reason);
  else o.signal.addEventListener('abort', onOuterAbort, { once: true });

  const bufferCap = Math.max(1, o.partBufferBytes ?? PART_BUFFER_BYTES);
  const stallMs = Math.max(1, o.stallMs ?? STALL_MS);
  const states: PartState[] = o.parts.map((part) => ({ part, chunks: [], received: 0, buffered: 0, drained: undefined, done: false }));
  let head = 0; // the part being delivered
  let nextToStart = 0;
  let active = 0;
  let retries = 0;
  let failed: { error: unknown } | undefined;
  let wake: (() => void) | undefined;
  const notify = () => {
    const w = wake;
    wake = undefined;
    w?.();
  };

  const fail = (error: unknown) => {
    if (failed) return;
    failed = { error };
    inner.abort(error);
    notify();
    // Ranges waiting for the reader go on, see the abort and stop.
    for (const st of states) {
      const go = st.drained;
      st.drained = undefined;
      go?.();
    }
  };

  /** Waits until the reader took half of what `state` holds (or the download ended). */
  const untilDrained = (state: PartState): Promise<void> =>
    failed || inner.signal.aborted
      ? Promise.resolve()
      : new Promise<void>((resolve) => {
          state.drained = resolve;
          inner.signal.addEventListener('abort', () => resolve(), { once: true });
        });

  const schedule = () => {
    while (!failed && active < connections && nextToStart < states.length && nextToStart <= head + connections) {
      const state = states[nextToStart]!;
      const first = nextToStart === 0 ? o.first : undefined;
      nextToStart++;
      active++;
      void readPart(state, first)
        .then(() => {
          active--;
          schedule();
        })
        .catch(fail);
    }
  };

  const readPart = async (state: PartState, first: ReadableStream<Uint8Array> | undefined): Promise<void> => {
    const length = state.part.end - state.part.start + 1;
    let opened = first;
    for (;;) {
      // Bytes of a whole part counted in stats.fetched while it arrives; taken off if it fails.
      let wholeLoaded = 0;
      // This attempt alone is cut when it stalls; the download's abort cuts it too.
      const attempt = new AbortController();
      const onInnerAbort = () => attempt.abort(inner.signal.reason);
      if (inner.signal.aborted) attempt.abort(inner.signal.reason);
      else inner.signal.addEventListener('abort', onInnerAbort, { once: true });
      const watch = watchStall(stallMs, attempt, state.part);
      try {
        if (o.openWhole && opened === undefined) {
          const blob = await o.openWhole(state.part.start, state.part.end, attempt.signal, (bytes) => {
            watch.touch();
            wholeLoaded += bytes;
            stats.fetched += bytes;
          });
          if (inner.signal.aborted) throw inner.signal.reason;
          if (blob.size > length) throw new RangeError(`S3 sent more than the ${length} bytes asked for at ${state.part.start}`);
          if (blob.size < length) throw new ShortRangeError(`the range ended after ${blob.size} of ${length} bytes`);
          stats.fetched += length - wholeLoaded;
          state.chunks.push(blob);
          state.received = length;
          state.buffered = length;
          state.done = true;
          notify();
          return;
        }
        const stream = opened ?? (await o.open(state.part.start + state.received, state.part.end, attempt.signal));
        opened = undefined;
        const reader = stream.getReader();
        const onAbort = () => void reader.cancel().catch(() => undefined);
        if (attempt.signal.aborted) onAbort();
        attempt.signal.addEventListener('abort', onAbort, { once: true });
        let ended = false;
        try {
          for (;;) {
            const { done, value } = await reader.read();
            if (inner.signal.aborted) throw inner.signal.reason;
            ended = done;
            if (done) break;
            watch.touch();
            if (value.byteLength === 0) continue;
            if (state.received + value.byteLength > length)
              throw new RangeError(`S3 sent more than the ${length} bytes asked for at ${state.part.start}`);
            state.chunks.push(value);
            state.received += value.byteLength;
            stats.fetched += value.byteLength;
            state.buffered += value.byteLength;
            // Only the part being delivered can unblock the reader.
            if (state === states[head]) notify();
            if (state.buffered >= bufferCap) {
              // Waiting for the reader is not a stall of the network.
              watch.pause();
              await untilDrained(state);
              watch.resume();
            }
          }
        } finally {
          attempt.signal.removeEventListener('abort', onAbort);
          // A range given up on (too long, or failing) must not go on downloading.
          if (!ended) void reader.cancel().catch(() => undefined);
        }
        if (state.received < length) throw new ShortRangeError(`the range ended after ${state.received} of ${length} bytes`);
        state.done = true;
        notify();
        return;
      } catch (caught) {
        watch.stop();
        stats.fetched -= wholeLoaded;
        opened = undefined;
        if (inner.signal.aborted) throw failed?.error ?? inner.signal.reason;
        // A stalled attempt ends however its reader reports the cut (an abort, an early end): say it stalled.
        const stalled = attempt.signal.reason instanceof StalledRangeError ? attempt.signal.reason : undefined;
        const error: unknown = stalled ?? caught;
        if (!(error instanceof ShortRangeError) && !stalled && !o.retryable(error)) throw error;
        if (retries >= budget) throw o.exhausted ? o.exhausted(error, retries) : error;
        retries++;
        stats.resumes++;
        o.onResume?.(state.part, state.received, error);
        await sleep(backoff(retries), inner.signal);
      } finally {
        watch.stop();
        inner.signal.removeEventListener('abort', onInnerAbort);
      }
    }
  };

  const stream = new ReadableStream<OrderedChunk>(
    {
      start() {
        schedule();
      },
      async pull(controller) {
        for (;;) {
          if (failed) throw failed.error;
          const state = states[head];
          if (state === undefined) {
            o.signal.removeEventListener('abort', onOuterAbort);
            controller.close();
            return;
          }
          const chunk = state.chunks.shift();
          if (chunk !== undefined) {
            state.buffered -= chunk instanceof Blob ? chunk.size : chunk.byteLength;
            // The range reads on once half of what it held has gone (not at every chunk).
            if (state.drained && state.buffered <= bufferCap / 2) {
              const go = state.drained;
              state.drained = undefined;
              go();
            }
            controller.enqueue(chunk);
            // The part's last chunk is handed over: the next part may start now, not when the reader
            // comes back (a whole part takes the reader a while to check: parts started 0.5 s late).
            if (state.done && state.chunks.length === 0) {
              head++;
              schedule();
            }
            return;
          }
          if (state.done) {
            head++;
            schedule();
            continue;
          }
          await new Promise<void>((resolve) => (wake = resolve));
        }
      },
      cancel(reason) {
        o.signal.removeEventListener('abort', onOuterAbort);
        fail(reason ?? new DOMException('The download was cancelled', 'AbortError'));
      },
    },
    { highWaterMark: 0 },
  );
  return { stream, stats };
}

/** Waits `ms`; rejects at once when `signal` aborts (the caller reports the abort's own reason). */
function sleep(ms: number, signal: AbortSignal): Promise<void> {
  const aborted = () => new DOMException('The wait was aborted', 'AbortError');
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(aborted());
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(aborted());
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

/** Aborts `attempt` with a StalledRangeError when `touch` is not called for `ms` (not counting while paused). */
function watchStall(ms: number, attempt: AbortController, part: Part) {
  let last = Date.now();
  let paused = false;
  const timer = setInterval(
    () => {
      if (paused || attempt.signal.aborted || Date.now() - last <= ms) return;
      attempt.abort(
        new StalledRangeError(
          `no bytes came for ${ms >= 1000 ? `${Math.round(ms / 1000)} s` : `${ms} ms`} in the range from byte ${part.start}`,
        ),
      );
    },
    Math.max(5, Math.min(1000, ms / 4)),
  );
  return {
    touch: () => (last = Date.now()),
    pause: () => (paused = true),
    resume: () => {
      paused = false;
      last = Date.now();
    },
    stop: () => clearInterval(timer),
  };
}
