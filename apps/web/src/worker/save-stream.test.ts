import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { DownloadProgress } from './api.ts';
import { WRITE_BATCH_BYTES } from './batched-writes.ts';
import { saveStream, type SaveHandle } from './save-stream.ts';

function streamOf(
  chunks: (Uint8Array | Blob)[],
  options: { failAfter?: number; stallAfter?: number } = {},
): ReadableStream<Uint8Array | Blob> {
  let i = 0;
  return new ReadableStream<Uint8Array | Blob>({
    pull(controller) {
      if (options.failAfter !== undefined && i === options.failAfter) return controller.error(new TypeError('network error'));
      if (options.stallAfter !== undefined && i === options.stallAfter) return new Promise<void>(() => undefined);
      const c = chunks[i++];
      if (c) controller.enqueue(c);
      else controller.close();
    },
  });
}

/** A save target that records what happens to it, as Chrome's FileSystemFileHandle would. */
class FakeHandle implements SaveHandle {
  written: number[] = [];
  /** Writes handed a Blob (copied inside the browser, in Chrome). */
  blobWrites = 0;
  committed: Uint8Array | undefined;
  aborted = false;
  removed = false;
  constructor(public existing = 0) {}
  async createWritable() {
    const parts: Uint8Array[] = [];
    return {
      // As a File System Access writable: each write lands after the earlier ones, even before they finished.
      write: async (d: Uint8Array | Blob) => {
        const bytes = d instanceof Blob ? new Uint8Array(await d.arrayBuffer()) : d.slice();
        if (d instanceof Blob) this.blobWrites++;
        parts.push(bytes);
        this.written.push(bytes.byteLength);
      },
      close: async () => {
        this.committed = Buffer.concat(parts);
      },
      abort: async () => {
        this.aborted = true;
      },
    };
  }
  async getFile() {
    return { size: this.committed?.byteLength ?? this.existing };
  }
  async remove() {
    this.removed = true;
  }
}

const data = Uint8Array.from({ length: 300_000 }, (_, i) => (i * 31) % 251);
const chunks = [data.slice(0, 100_000), data.slice(100_000, 200_000), data.slice(200_000)];
const md5 = createHash('md5').update(data).digest('hex');
const base = { id: 1, key: 'firmware/v1/firmware.bin', total: data.byteLength, contentType: 'application/octet-stream' };

describe('saving a download', () => {
  it('writes large downloads in batches of WRITE_BATCH_BYTES, not one write per network chunk', async () => {
    const big = new Uint8Array(20 * 1024 * 1024).map((_, i) => i % 253);
    const pieces: Uint8Array[] = [];
    for (let o = 0; o < big.length; o += 64 * 1024) pieces.push(big.slice(o, o + 64 * 1024));
    const handle = new FakeHandle();
    const etag = `"${createHash('md5').update(big).digest('hex')}"`;
    const out = await saveStream({
      ...base,
      total: big.length,
      stream: streamOf(pieces),
      etag,
      target: handle,
      signal: new AbortController().signal,
      onProgress: () => undefined,
    });
    expect(out.check).toBe('md5-match');
    expect(handle.written).toEqual([WRITE_BATCH_BYTES, WRITE_BATCH_BYTES, big.length - 2 * WRITE_BATCH_BYTES]);
    expect(Buffer.compare(handle.committed!, Buffer.from(big))).toBe(0);
  });

  it('a failing write aborts the download and leaves nothing that looks complete', async () => {
    const handle = new FakeHandle();
    handle.createWritable = async () => ({
      write: async () => {
        throw new Error('disk full');
      },
      close: async () => undefined,
      abort: async () => {
        handle.aborted = true;
      },
    });
    await expect(
      saveStream({
        ...base,
        stream: streamOf(chunks),
        etag: `"${md5}"`,
        target: handle,
        signal: new AbortController().signal,
        onProgress: () => undefined,
      }),
    ).rejects.toThrow('disk full');
    expect(handle.aborted).toBe(true);
    expect(handle.committed).toBeUndefined();
  });

  it('streams to the file, reports progress, and commits only after the MD5 matched the ETag', async () => {
    const handle = new FakeHandle();
    const progress: DownloadProgress[] = [];
    let t = 0;
    const out = await saveStream({
      ...base,
      stream: streamOf(chunks),
      etag: `"${md5}"`,
      target: handle,
      signal: new AbortController().signal,
      onProgress: (p) => progress.push(p),
      now: () => (t += 150),
    });
    expect(out).toEqual({ bytes: data.byteLength, check: 'md5-match', checks: [{ kind: 'md5' }] });
    // Small chunks are gathered: one write to the file for the whole (small) object.
    expect(handle.written).toEqual([300_000]);
    expect(Buffer.from(handle.committed!).equals(Buffer.from(data))).toBe(true);
    expect(handle.aborted).toBe(false);
    expect(progress.at(-1)).toEqual({ id: 1, received: data.byteLength, total: data.byteLength });
    expect(progress.map((p) => p.received)).toEqual([100_000, 200_000, 300_000, 300_000]);
  });

  it('a mismatching MD5 aborts the write and removes the empty file the picker made: nothing looks complete', async () => {
    const handle = new FakeHandle();
    const wrong = '0'.repeat(32);
    await expect(
      saveStream({
        ...base,
        stream: streamOf(chunks),
        etag: `"${wrong}"`,
        target: handle,
        signal: new AbortController().signal,
        onProgress: () => undefined,
      }),
    ).rejects.toMatchObject({
      code: 'CHECKSUM_MISMATCH',
      details: { expected: wrong, actual: md5 },
    });
    expect(handle.committed).toBeUndefined();
    expect(handle.aborted).toBe(true);
    expect(handle.removed).toBe(true);
  });

  it('a stream cut short fails as incomplete; a file the person chose to replace is left as it was', async () => {
    const handle = new FakeHandle(1234);
    await expect(
      saveStream({
        ...base,
        stream: streamOf(chunks.slice(0, 2)),
        etag: `"${md5}"`,
        target: handle,
        signal: new AbortController().signal,
        onProgress: () => undefined,
      }),
    ).rejects.toMatchObject({ code: 'DOWNLOAD_INCOMPLETE' });
    expect(handle.aborted).toBe(true);
    expect(handle.removed).toBe(false);
    expect(handle.committed).toBeUndefined();
  });

  it('a network failure mid-stream aborts the write', async () => {
    const handle = new FakeHandle();
    await expect(
      saveStream({
        ...base,
        stream: streamOf(chunks, { failAfter: 1 }),
        etag: `"${md5}"`,
        target: handle,
        signal: new AbortController().signal,
        onProgress: () => undefined,
      }),
    ).rejects.toThrow('network error');
    expect(handle.aborted).toBe(true);
    expect(handle.removed).toBe(true);
  });

  it('cancelling mid-stream aborts at once, even while waiting for bytes', async () => {
    const handle = new FakeHandle();
    const controller = new AbortController();
    const saving = saveStream({
      ...base,
      stream: streamOf(chunks, { stallAfter: 1 }),
      etag: `"${md5}"`,
      target: handle,
      signal: controller.signal,
      onProgress: () => controller.abort(),
    });
    await expect(saving).rejects.toMatchObject({ code: 'DOWNLOAD_CANCELLED' });
    expect(handle.aborted).toBe(true);
    expect(handle.removed).toBe(true);
    expect(handle.committed).toBeUndefined();
  });

  it('a multipart ETag is not an MD5: the file is saved and said to be unchecked', async () => {
    const handle = new FakeHandle();
    const out = await saveStream({
      ...base,
      stream: streamOf(chunks),
      etag: '"9b2cf535f27731c974343645a3985328-3"',
      target: handle,
      signal: new AbortController().signal,
      onProgress: () => undefined,
    });
    expect(out.check).toBe('multipart-etag');
    expect(handle.committed?.byteLength).toBe(data.byteLength);
  });

  it('without File System Access the bytes become a Blob, within an honest memory limit', async () => {
    const out = await saveStream({
      ...base,
      stream: streamOf(chunks),
      etag: undefined,
      target: undefined,
      signal: new AbortController().signal,
      onProgress: () => undefined,
    });
    expect(out.check).toBe('no-etag');
    expect(Buffer.from(await out.blob!.arrayBuffer()).equals(Buffer.from(data))).toBe(true);
    await expect(
      saveStream({
        ...base,
        stream: streamOf(chunks),
        etag: undefined,
        target: undefined,
        signal: new AbortController().signal,
        onProgress: () => undefined,
        limitBytes: 1000,
      }),
    ).rejects.toMatchObject({
      code: 'TOO_LARGE_FOR_MEMORY',
    });
    await expect(
      saveStream({
        ...base,
        total: undefined,
        stream: streamOf(chunks),
        etag: undefined,
        target: undefined,
        signal: new AbortController().signal,
        onProgress: () => undefined,
        limitBytes: 150_000,
      }),
    ).rejects.toMatchObject({ code: 'TOO_LARGE_FOR_MEMORY' });
  });
});

describe('saving whole parts (Blobs the browser holds)', () => {
  /** Bytes first, then whole parts as Blobs, as the ordered ranges deliver them when parts are read whole. */
  const mixed = () => streamOf([data.slice(0, 50_000), new Blob([data.slice(50_000, 150_000)]), new Blob([data.slice(150_000)])]);

  it('hands each Blob to the file as one write, checks its bytes, and commits the object in order', async () => {
    const handle = new FakeHandle();
    const out = await saveStream({
      ...base,
      stream: mixed(),
      etag: `"${md5}"`,
      target: handle,
      signal: new AbortController().signal,
      onProgress: () => undefined,
    });
    expect(out.check).toBe('md5-match');
    expect(handle.blobWrites).toBe(2);
    // The bytes gathered before the first Blob are written before it.
    expect(handle.written).toEqual([50_000, 100_000, 150_000]);
    expect(Buffer.from(handle.committed!).equals(Buffer.from(data))).toBe(true);
  });

  it('refuses Blobs whose bytes do not match the ETag, and commits nothing', async () => {
    const handle = new FakeHandle();
    const bad = data.slice(150_000);
    bad[10] = bad[10]! ^ 1;
    await expect(
      saveStream({
        ...base,
        stream: streamOf([data.slice(0, 150_000), new Blob([bad])]),
        etag: `"${md5}"`,
        target: handle,
        signal: new AbortController().signal,
        onProgress: () => undefined,
      }),
    ).rejects.toMatchObject({ code: 'CHECKSUM_MISMATCH' });
    expect(handle.committed).toBeUndefined();
    expect(handle.aborted).toBe(true);
  });

  it('in memory (no file), Blobs become part of the saved Blob', async () => {
    const out = await saveStream({
      ...base,
      stream: mixed(),
      etag: `"${md5}"`,
      target: undefined,
      signal: new AbortController().signal,
      onProgress: () => undefined,
    });
    expect(Buffer.from(await out.blob!.arrayBuffer()).equals(Buffer.from(data))).toBe(true);
  });

  it('progress follows the bytes received (fetched), never goes back, and never passes the size', async () => {
    const progress: number[] = [];
    let t = 0;
    const fetchedSeq = [120_000, 90_000, 400_000];
    let calls = 0;
    await saveStream({
      ...base,
      stream: streamOf(chunks),
      fetched: () => fetchedSeq[Math.min(calls++, fetchedSeq.length - 1)]!,
      etag: `"${md5}"`,
      target: new FakeHandle(),
      signal: new AbortController().signal,
      onProgress: (p) => progress.push(p.received),
      now: () => (t += 150),
    });
    expect(progress[0]).toBe(120_000);
    expect(progress[1]).toBe(200_000);
    expect(progress.every((p, i) => i === 0 || p >= progress[i - 1]!)).toBe(true);
    expect(Math.max(...progress)).toBe(data.byteLength);
  });
});
