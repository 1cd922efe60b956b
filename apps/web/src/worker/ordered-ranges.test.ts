import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { orderedRangeStream, StalledRangeError, type OpenRange, type OpenWhole, type OrderedChunk } from './ordered-ranges.ts';
import { planParts } from './range-plan.ts';

/** A deterministic object of `size` bytes. */
function object(size: number): Uint8Array {
  const b = new Uint8Array(size);
  for (let i = 0; i < size; i++) b[i] = (i * 31 + 7) & 0xff;
  return b;
}

/** A stream of `bytes` in chunks of `chunk`, erroring (as a dropped connection) after `dropAfter` bytes when given. */
function streamOf(bytes: Uint8Array, chunk: number, dropAfter?: number, delayMs = 0): ReadableStream<Uint8Array> {
  let at = 0;
  return new ReadableStream<Uint8Array>({
    async pull(c) {
      if (delayMs) await new Promise((r) => setTimeout(r, delayMs));
      if (dropAfter !== undefined && at >= dropAfter) return c.error(new TypeError('network error'));
      if (at >= bytes.length) return c.close();
      const end = Math.min(bytes.length, at + chunk, dropAfter ?? Infinity);
      c.enqueue(bytes.slice(at, end));
      at = end;
    },
  });
}

async function collect(stream: ReadableStream<OrderedChunk>, onChunk?: () => Promise<void>): Promise<Uint8Array> {
  const out: Uint8Array[] = [];
  const reader = stream.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    out.push(value instanceof Blob ? new Uint8Array(await value.arrayBuffer()) : value);
    await onChunk?.();
  }
  const all = new Uint8Array(out.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const c of out) {
    all.set(c, at);
    at += c.length;
  }
  return all;
}

const retryable = (e: unknown) => e instanceof TypeError;

describe('ordered parallel ranges', () => {
  it('delivers every byte in order whatever order the ranges arrive in (property)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 5000 }),
        fc.integer({ min: 1, max: 30 }),
        fc.integer({ min: 1, max: 8 }),
        fc.array(fc.integer({ min: 0, max: 3 }), { minLength: 1, maxLength: 20 }),
        async (size, partCount, connections, delays) => {
          const data = object(size);
          const partBytes = Math.max(1, Math.ceil(size / partCount));
          const parts = planParts(0, size, partBytes, connections);
          let opened = 0;
          const open: OpenRange = async (start, end) =>
            streamOf(data.slice(start, end + 1), 397, undefined, delays[opened++ % delays.length]);
          const { stream, stats } = orderedRangeStream({ parts, connections, open, signal: new AbortController().signal, retryable });
          expect(await collect(stream)).toEqual(data);
          expect(stats.resumes).toBe(0);
        },
      ),
      { numRuns: 40 },
    );
  });

  it('requests no part more than `connections` parts after the one being delivered (bounded memory, back-pressure)', async () => {
    const part = 1000;
    const data = object(20 * part);
    const parts = planParts(0, data.length, part, 4);
    const started: number[] = [];
    let delivered = 0;
    let maxAhead = 0;
    const open: OpenRange = async (start, end) => {
      started.push(start);
      maxAhead = Math.max(maxAhead, Math.max(...started) + (end - start + 1) - delivered);
      return streamOf(data.slice(start, end + 1), 250);
    };
    const { stream } = orderedRangeStream({ parts, connections: 4, open, signal: new AbortController().signal, retryable });
    // A slow reader (a slow disk): the window must not run ahead of it.
    const got = await collect(stream, async () => {
      delivered += 250;
      await new Promise((r) => setTimeout(r, 1));
    });
    expect(got).toEqual(data);
    expect(started).toHaveLength(20);
    // The part being delivered, and at most 4 more waiting out of order.
    expect(maxAhead).toBeLessThanOrEqual(5 * part + 250);
    expect(maxAhead).toBeGreaterThan(3 * part);
  });

  it('resumes a dropped range from its last received byte, and counts it once', async () => {
    const data = object(10_000);
    const parts = planParts(0, data.length, 2500, 4);
    const asked: string[] = [];
    let dropped = false;
    const open: OpenRange = async (start, end) => {
      asked.push(`${start}-${end}`);
      if (start === 2500 && !dropped) {
        dropped = true;
        return streamOf(data.slice(start, end + 1), 300, 900);
      }
      return streamOf(data.slice(start, end + 1), 300);
    };
    const resumed: Array<[number, number]> = [];
    const { stream, stats } = orderedRangeStream({
      parts,
      connections: 4,
      open,
      signal: new AbortController().signal,
      retryable,
      backoffMs: () => 1,
      onResume: (part, received) => resumed.push([part.index, received]),
    });
    expect(await collect(stream)).toEqual(data);
    expect(stats.resumes).toBe(1);
    expect(resumed).toEqual([[1, 900]]);
    expect(asked).toContain('3400-4999');
    expect(asked.filter((a) => a.endsWith('-4999'))).toEqual(['2500-4999', '3400-4999']);
  });

  it('resumes the first range when it was opened by the caller', async () => {
    const data = object(4000);
    const parts = planParts(0, data.length, 1000, 2);
    const { stream, stats } = orderedRangeStream({
      parts,
      connections: 2,
      first: streamOf(data.slice(0, 1000), 100, 400),
      open: async (start, end) => streamOf(data.slice(start, end + 1), 100),
      signal: new AbortController().signal,
      retryable,
      backoffMs: () => 1,
    });
    expect(await collect(stream)).toEqual(data);
    expect(stats.resumes).toBe(1);
  });

  it('gives up when the retry budget is spent, with the error the caller makes of it', async () => {
    const data = object(3000);
    const { stream, stats } = orderedRangeStream({
      parts: planParts(0, data.length, 1000, 3),
      connections: 3,
      open: async (start, end) => streamOf(data.slice(start, end + 1), 100, start >= 1000 && start < 2000 ? 50 : undefined),
      signal: new AbortController().signal,
      retryable,
      retryBudget: 2,
      backoffMs: () => 1,
      exhausted: (_e, retries) => new Error(`gave up after ${retries} retries`),
    });
    await expect(collect(stream)).rejects.toThrow('gave up after 2 retries');
    expect(stats.resumes).toBe(2);
  });

  it('fails at once on an error that is not retryable, and aborts the other ranges', async () => {
    const data = object(8000);
    const aborted: number[] = [];
    const open: OpenRange = async (start, end, signal) => {
      if (start === 2000) throw new Error('412 PreconditionFailed');
      signal.addEventListener('abort', () => aborted.push(start));
      return streamOf(data.slice(start, end + 1), 100, undefined, 5);
    };
    const { stream, stats } = orderedRangeStream({
      parts: planParts(0, data.length, 2000, 4),
      connections: 4,
      open,
      signal: new AbortController().signal,
      retryable,
    });
    await expect(collect(stream)).rejects.toThrow('412 PreconditionFailed');
    expect(stats.resumes).toBe(0);
    expect(aborted.length).toBeGreaterThan(0);
  });

  it('a short range (closed early without an error) is resumed too; a range longer than asked fails', async () => {
    const data = object(2000);
    let short = true;
    const { stream, stats } = orderedRangeStream({
      parts: planParts(0, data.length, 1000, 2),
      connections: 2,
      open: async (start, end) => {
        if (start === 1000 && short) {
          short = false;
          return streamOf(data.slice(1000, 1500), 100);
        }
        return streamOf(data.slice(start, end + 1), 100);
      },
      signal: new AbortController().signal,
      retryable: () => false,
      backoffMs: () => 1,
    });
    expect(await collect(stream)).toEqual(data);
    expect(stats.resumes).toBe(1);

    const long = orderedRangeStream({
      parts: planParts(0, 100, 100, 1),
      connections: 1,
      open: async () => streamOf(object(150), 50),
      signal: new AbortController().signal,
      retryable,
    });
    await expect(collect(long.stream)).rejects.toThrow(/more than the 100 bytes/);
  });

  it('cancel aborts every range in flight, and so does the caller’s signal', async () => {
    const data = object(40_000);
    const aborted = new Set<number>();
    const open: OpenRange = async (start, end, signal) => {
      signal.addEventListener('abort', () => aborted.add(start));
      return streamOf(data.slice(start, end + 1), 100, undefined, 5);
    };
    const { stream } = orderedRangeStream({
      parts: planParts(0, data.length, 10_000, 4),
      connections: 4,
      open,
      signal: new AbortController().signal,
      retryable,
    });
    const reader = stream.getReader();
    await reader.read();
    await reader.cancel();
    expect([...aborted].sort((a, b) => a - b)).toEqual([0, 10_000, 20_000, 30_000]);

    const outer = new AbortController();
    const second = orderedRangeStream({
      parts: planParts(0, data.length, 10_000, 4),
      connections: 4,
      open,
      signal: outer.signal,
      retryable,
    });
    const r2 = second.stream.getReader();
    await r2.read();
    outer.abort(new DOMException('cancelled', 'AbortError'));
    await expect(r2.read()).rejects.toThrow('cancelled');
  });
});

/** Opens ranges of `bytes` as streams of `chunk`-byte pieces; `onPull` sees how far each has been read, `onCancel` a cancel. */
function chunkedRanges(
  bytes: Uint8Array,
  chunk: number,
  onPull: (readTo: number) => void = () => {},
  onCancel: () => void = () => {},
): OpenRange {
  return async (start, end) => {
    const slice = bytes.slice(start, end + 1);
    let at = 0;
    return new ReadableStream<Uint8Array>({
      pull(c) {
        if (at >= slice.length) return c.close();
        c.enqueue(slice.slice(at, at + chunk));
        at += chunk;
        onPull(start + at);
      },
      cancel: onCancel,
    });
  };
}

/** One connection reading the whole object as one range, holding at most 100 bytes undelivered. */
function oneCappedRange(open: OpenRange, size: number): ReadableStream<Uint8Array> {
  return orderedRangeStream({
    parts: planParts(0, size, size, 1),
    connections: 1,
    open,
    signal: new AbortController().signal,
    retryable: () => false,
    partBufferBytes: 100,
    // Without openWhole every chunk is bytes.
  }).stream as ReadableStream<Uint8Array>;
}

describe('memory while the reader is slower than the network', () => {
  it('a range stops reading once it holds partBufferBytes undelivered, reads on as the reader catches up, and delivers every byte', async () => {
    const size = 1000;
    const bytes = object(size);
    let pulled = 0;
    const reader = oneCappedRange(
      chunkedRanges(bytes, 10, (readTo) => (pulled = readTo)),
      size,
    ).getReader();
    const first = await reader.read();
    await new Promise((r) => setTimeout(r, 20));
    // Without the cap the whole 1000 bytes would have been read by now.
    expect(pulled).toBeLessThanOrEqual(100 + 10 + 20);
    const out = [first.value!];
    let maxAhead = 0;
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      out.push(value);
      const delivered = out.reduce((n, c) => n + c.length, 0);
      maxAhead = Math.max(maxAhead, pulled - delivered);
      await new Promise((r) => setTimeout(r, 0));
    }
    expect(maxAhead).toBeLessThanOrEqual(100 + 20);
    expect(Buffer.concat(out).equals(Buffer.from(bytes))).toBe(true);
  });

  it('cancelling while a range waits for the reader ends it', async () => {
    const bytes = object(1000);
    let cancelled = false;
    const reader = oneCappedRange(
      chunkedRanges(bytes, 50, undefined, () => (cancelled = true)),
      1000,
    ).getReader();
    await reader.read();
    await new Promise((r) => setTimeout(r, 20));
    await reader.cancel();
    await new Promise((r) => setTimeout(r, 20));
    expect(cancelled).toBe(true);
  });
});

/** Reads ranges of `bytes` whole, reporting progress in `step`-byte increments; `fail(attempt)` may make an attempt drop. */
function wholeRanges(
  bytes: Uint8Array,
  step: number,
  fail: (start: number, attempt: number) => 'drop' | 'short' | undefined = () => undefined,
) {
  const attempts = new Map<number, number>();
  const openWhole: OpenWhole = async (start, end, signal, onLoaded) => {
    const attempt = (attempts.get(start) ?? 0) + 1;
    attempts.set(start, attempt);
    const slice = bytes.slice(start, end + 1);
    const how = fail(start, attempt);
    for (let at = 0; at < slice.length; at += step) {
      await new Promise((r) => setTimeout(r, 0));
      if (signal.aborted) throw signal.reason;
      onLoaded(Math.min(step, slice.length - at));
      if (how === 'drop' && at + step >= slice.length / 2) throw new TypeError('network error');
    }
    return new Blob([how === 'short' ? slice.slice(0, slice.length - 1) : slice]);
  };
  return { openWhole, attempts };
}

describe('parts read whole (into Blobs the browser holds)', () => {
  it('delivers the first range as bytes and every later part as one Blob, in order, whatever the connections (property)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 2, max: 4000 }),
        fc.integer({ min: 1, max: 12 }),
        fc.integer({ min: 1, max: 6 }),
        async (size, partCount, connections) => {
          const data = object(size);
          const partBytes = Math.max(1, Math.ceil(size / partCount));
          const parts = planParts(0, size, partBytes, connections, 0, true);
          const { openWhole } = wholeRanges(data, 97);
          const { stream, stats } = orderedRangeStream({
            parts,
            connections,
            open: chunkedRanges(data, 50),
            first: streamOf(data.slice(0, parts[0]!.end + 1), 33),
            openWhole,
            signal: new AbortController().signal,
            retryable,
          });
          const kinds: string[] = [];
          const out: Uint8Array[] = [];
          const reader = stream.getReader();
          for (;;) {
            const { done, value } = await reader.read();
            if (done) break;
            kinds.push(value instanceof Blob ? 'blob' : 'bytes');
            out.push(value instanceof Blob ? new Uint8Array(await value.arrayBuffer()) : value);
          }
          expect(Buffer.concat(out).equals(Buffer.from(data))).toBe(true);
          expect(kinds.filter((k) => k === 'blob')).toHaveLength(parts.length - 1);
          expect(kinds.lastIndexOf('bytes')).toBeLessThan(kinds.indexOf('blob') === -1 ? Infinity : kinds.indexOf('blob'));
          expect(stats.fetched).toBe(size);
        },
      ),
      { numRuns: 60 },
    );
  });

  it('with one connection the parts still stay part-sized, so no Blob holds more than a part', () => {
    expect(planParts(0, 100, 30, 1, 0, true).map((p) => p.end - p.start + 1)).toEqual([30, 30, 30, 10]);
    expect(planParts(0, 100, 30, 1).map((p) => p.end - p.start + 1)).toEqual([100]);
  });

  it('a part whose connection drops is read again from its start, and its lost bytes leave the progress', async () => {
    const data = object(4000);
    const { openWhole, attempts } = wholeRanges(data, 100, (start, attempt) => (start === 2000 && attempt === 1 ? 'drop' : undefined));
    const resumed: [number, number][] = [];
    const fetchedSeen: number[] = [];
    const { stream, stats } = orderedRangeStream({
      parts: planParts(0, 4000, 1000, 2, 0, true),
      connections: 2,
      open: chunkedRanges(data, 100),
      openWhole,
      signal: new AbortController().signal,
      retryable,
      backoffMs: () => 0,
      onResume: (part, received) => {
        resumed.push([part.start, received]);
        fetchedSeen.push(stats.fetched);
      },
    });
    expect(Buffer.from(await collect(stream)).equals(Buffer.from(data))).toBe(true);
    expect(resumed).toEqual([[2000, 0]]);
    expect(attempts.get(2000)).toBe(2);
    expect(stats.resumes).toBe(1);
    // Counted once in the end, and nothing of the failed attempt was left counted when it was retried.
    expect(stats.fetched).toBe(4000);
    expect(fetchedSeen[0]).toBeLessThanOrEqual(3000);
  });

  it('a part that ends short is retried, and when that keeps happening the retry budget ends the download', async () => {
    const data = object(3000);
    const { openWhole } = wholeRanges(data, 500, (start) => (start === 1000 ? 'short' : undefined));
    const { stream } = orderedRangeStream({
      parts: planParts(0, 3000, 1000, 2, 0, true),
      connections: 2,
      open: chunkedRanges(data, 100),
      openWhole,
      signal: new AbortController().signal,
      retryable,
      retryBudget: 2,
      backoffMs: () => 0,
      exhausted: (_e, retries) => new Error(`gave up after ${retries} retries`),
    });
    await expect(collect(stream)).rejects.toThrow('gave up after 2 retries');
  });

  it('a part that sends more than asked ends the download at once (not retried)', async () => {
    const data = object(2000);
    const calls: number[] = [];
    const { stream } = orderedRangeStream({
      parts: planParts(0, 2000, 1000, 2, 0, true),
      connections: 2,
      open: chunkedRanges(data, 100),
      openWhole: async (start, end) => {
        calls.push(start);
        return new Blob([data.slice(start, end + 2), new Uint8Array(5)]);
      },
      signal: new AbortController().signal,
      retryable,
      backoffMs: () => 0,
    });
    await expect(collect(stream)).rejects.toThrow(/more than the 1000 bytes/);
    // Each part asked once: the too-long one was not retried.
    expect(calls.sort((a, b) => a - b)).toEqual([0, 1000]);
  });

  it('the next part starts once a part is handed over, while the reader still checks it, and no further', async () => {
    const data = object(4000);
    const opened: number[] = [];
    const { stream } = orderedRangeStream({
      parts: planParts(0, 4000, 1000, 1, 0, true),
      connections: 1,
      open: chunkedRanges(data, 100),
      openWhole: async (start, end) => {
        opened.push(start);
        return new Blob([data.slice(start, end + 1)]);
      },
      signal: new AbortController().signal,
      retryable,
    });
    const reader = stream.getReader();
    const first = await reader.read();
    expect(first.value).toBeInstanceOf(Blob);
    // The reader holds part 0 (as the MD5 reads a whole part): part 1 is read ahead, and so is part 2,
    // since part 0 left the window when it was handed over; part 3 waits for the reader.
    await new Promise((r) => setTimeout(r, 30));
    expect(opened).toEqual([0, 1000, 2000]);
    await reader.cancel();
  });

  it('cancelling the stream aborts the parts being read whole', async () => {
    const data = object(4000);
    const aborted: number[] = [];
    const { stream } = orderedRangeStream({
      parts: planParts(0, 4000, 1000, 3, 0, true),
      connections: 3,
      open: chunkedRanges(data, 100),
      openWhole: (start, _end, signal) =>
        new Promise<Blob>((_ok, no) =>
          signal.addEventListener('abort', () => {
            aborted.push(start);
            no(signal.reason);
          }),
        ),
      signal: new AbortController().signal,
      retryable,
    });
    const reader = stream.getReader();
    await new Promise((r) => setTimeout(r, 10));
    await reader.cancel();
    expect(aborted.sort((a, b) => a - b)).toEqual([0, 1000, 2000]);
  });
});

describe('a connection that hangs without dropping', () => {
  it('a whole part that receives nothing for the stall time is cut and read again', async () => {
    const data = object(3000);
    const attempts = new Map<number, number>();
    const errors: unknown[] = [];
    const { stream } = orderedRangeStream({
      parts: planParts(0, 3000, 1000, 2, 0, true),
      connections: 2,
      open: chunkedRanges(data, 100),
      openWhole: (start, end, signal) => {
        const n = (attempts.get(start) ?? 0) + 1;
        attempts.set(start, n);
        // The first attempt at byte 1000 hangs until it is cut.
        if (start === 1000 && n === 1) return new Promise<Blob>((_ok, no) => signal.addEventListener('abort', () => no(signal.reason)));
        return Promise.resolve(new Blob([data.slice(start, end + 1)]));
      },
      signal: new AbortController().signal,
      retryable: () => false,
      backoffMs: () => 0,
      stallMs: 40,
      onResume: (_p, _r, e) => errors.push(e),
    });
    expect(Buffer.from(await collect(stream)).equals(Buffer.from(data))).toBe(true);
    expect(attempts.get(1000)).toBe(2);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toBeInstanceOf(StalledRangeError);
  });

  it('a streamed range that stops sending mid-body is resumed from its last byte', async () => {
    const data = object(2000);
    const asked: string[] = [];
    const { stream, stats } = orderedRangeStream({
      parts: planParts(0, 2000, 2000, 1),
      connections: 1,
      open: async (start, end) => {
        asked.push(`${start}-${end}`);
        const slice = data.slice(start, end + 1);
        let at = 0;
        const hangAt = asked.length === 1 ? 700 : Infinity;
        return new ReadableStream<Uint8Array>({
          pull(c) {
            if (at >= hangAt) return new Promise<void>(() => undefined);
            if (at >= slice.length) return c.close();
            c.enqueue(slice.slice(at, at + 100));
            at += 100;
          },
        });
      },
      signal: new AbortController().signal,
      retryable: () => false,
      backoffMs: () => 0,
      stallMs: 40,
    });
    expect(Buffer.from(await collect(stream)).equals(Buffer.from(data))).toBe(true);
    expect(asked).toEqual(['0-1999', '700-1999']);
    expect(stats.resumes).toBe(1);
  });

  it('a range waiting for a slow reader is not taken for a stalled one', async () => {
    const data = object(1000);
    let opens = 0;
    const { stream, stats } = orderedRangeStream({
      parts: planParts(0, 1000, 1000, 1),
      connections: 1,
      open: async (start, end) => {
        opens++;
        return chunkedRanges(data, 10)(start, end, new AbortController().signal);
      },
      signal: new AbortController().signal,
      retryable: () => false,
      partBufferBytes: 100,
      stallMs: 30,
    });
    const reader = stream.getReader();
    await reader.read();
    // The range fills its 100 bytes and waits for the reader far longer than the stall time.
    await new Promise((r) => setTimeout(r, 150));
    const rest = await collect(
      new ReadableStream({
        pull: async (c) => {
          const { done, value } = await reader.read();
          if (done) c.close();
          else c.enqueue(value);
        },
      }),
    );
    expect(rest.length).toBe(990);
    expect(opens).toBe(1);
    expect(stats.resumes).toBe(0);
  });

  it('when every attempt hangs, the retry budget ends the download and says it stalled', async () => {
    const data = object(2000);
    const { stream } = orderedRangeStream({
      parts: planParts(0, 2000, 1000, 2, 0, true),
      connections: 2,
      open: chunkedRanges(data, 100),
      openWhole: (start, end, signal) =>
        start === 1000
          ? new Promise<Blob>((_ok, no) => signal.addEventListener('abort', () => no(signal.reason)))
          : Promise.resolve(new Blob([data.slice(start, end + 1)])),
      signal: new AbortController().signal,
      retryable: () => false,
      retryBudget: 2,
      backoffMs: () => 0,
      stallMs: 30,
      exhausted: (e, retries) => new Error(`gave up after ${retries} retries: ${(e as Error).message}`),
    });
    await expect(collect(stream)).rejects.toThrow(/gave up after 2 retries: no bytes came for 30 ms in the range from byte 1000/);
  });
});
