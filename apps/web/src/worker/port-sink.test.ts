import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { responseFromPort } from '../sw/download-response.ts';
import { PortSink } from './port-sink.ts';
import { WRITE_BATCH_BYTES } from './batched-writes.ts';
import { saveStream } from './save-stream.ts';

// The streamed download end to end minus the browser: saveStream writing into a PortSink, the
// download service worker's response reading from the other end of a real MessageChannel.

function bytes(n: number, seed: number): Uint8Array<ArrayBuffer> {
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++) b[i] = (i * 31 + seed) & 0xff;
  return b;
}

function streamOf(chunks: Uint8Array<ArrayBuffer>[]): ReadableStream<Uint8Array> {
  let i = 0;
  return new ReadableStream<Uint8Array>({
    pull(c) {
      const next = chunks[i++];
      if (next) c.enqueue(next);
      else c.close();
    },
  });
}

async function download(chunks: Uint8Array<ArrayBuffer>[], etag: string, total?: number) {
  const channel = new MessageChannel();
  const response = responseFromPort(channel.port2, 'firmware.bin');
  const sink = new PortSink(channel.port1, 'firmware.bin', 2_000);
  const saved = (async () => {
    sink.begin(total);
    return saveStream({
      id: 1,
      key: 'firmware.bin',
      stream: streamOf(chunks),
      total,
      etag,
      contentType: undefined,
      target: sink,
      signal: new AbortController().signal,
      onProgress: () => undefined,
    });
  })();
  saved.catch((e: unknown) => sink.fail(String((e as { message?: unknown }).message)));
  const res = await response;
  const body = res.arrayBuffer();
  body.catch(() => undefined);
  const outcome = await saved.then(
    (v) => ({ ok: true as const, v }),
    (e: unknown) => ({ ok: false as const, e: e as { code: string } }),
  );
  const file = await body.then(
    (b) => ({ ok: true as const, b: new Uint8Array(b) }),
    (e: unknown) => ({ ok: false as const, e }),
  );
  channel.port1.close();
  channel.port2.close();
  return { res, outcome, file };
}

describe('streamed download through the download service worker', () => {
  it('delivers every byte, in order, across several writes, and completes only after the ETag matched', async () => {
    const chunks = Array.from({ length: 20 }, (_, i) => bytes(WRITE_BATCH_BYTES / 4 + i, i));
    const all = Buffer.concat(chunks);
    const md5 = createHash('md5').update(all).digest('hex');
    const { res, outcome, file } = await download(chunks, `"${md5}"`, all.length);
    expect(res.headers.get('content-disposition')).toBe(`attachment; filename="firmware.bin"; filename*=UTF-8''firmware.bin`);
    expect(res.headers.get('content-length')).toBe(String(all.length));
    expect(outcome).toMatchObject({ ok: true, v: { bytes: all.length, check: 'md5-match' } });
    expect(file.ok).toBe(true);
    expect(file.ok && createHash('sha256').update(file.b).digest('hex')).toBe(createHash('sha256').update(all).digest('hex'));
  });

  it('a download whose bytes do not match the ETag errors the browser’s download: it never completes', async () => {
    const chunks = [bytes(1000, 1), bytes(1000, 2)];
    const { outcome, file } = await download(chunks, '"00000000000000000000000000000000"', 2000);
    expect(outcome).toMatchObject({ ok: false, e: { code: 'CHECKSUM_MISMATCH' } });
    expect(file.ok).toBe(false);
  });

  it('a download cut short errors the browser’s download too', async () => {
    const { outcome, file } = await download([bytes(1000, 1)], '"00000000000000000000000000000000"', 5000);
    expect(outcome).toMatchObject({ ok: false, e: { code: 'DOWNLOAD_INCOMPLETE' } });
    expect(file.ok).toBe(false);
  });

  it('every byte handed over but no word from the browser that it saved the file: unconfirmed, not "ended before the whole object arrived"', async () => {
    const channel = new MessageChannel();
    const sink = new PortSink(channel.port1, 'firmware.bin', 2_000, 50);
    // The other end takes the bytes and never says it closed the file.
    channel.port2.onmessage = () => undefined;
    const writable = await sink.createWritable();
    await expect(writable.close()).rejects.toMatchObject({
      code: 'DOWNLOAD_UNCONFIRMED',
      message: 'The browser did not confirm that it saved the file',
    });
    channel.port2.close();
  });

  it('a cancel in the browser’s download list stops the worker’s download', async () => {
    const channel = new MessageChannel();
    const response = responseFromPort(channel.port2, 'big.bin');
    const sink = new PortSink(channel.port1, 'big.bin', 2_000);
    sink.begin(undefined);
    const res = await response;
    const reader = res.body!.getReader();
    await reader.cancel();
    const writable = await sink.createWritable();
    // A write already granted before the cancel arrived may go through; the next one may not.
    const first = await writable.write(bytes(10, 1)).then(
      () => 'written',
      (e: unknown) => (e as { code: string }).code,
    );
    if (first === 'written') await expect(writable.write(bytes(10, 2))).rejects.toMatchObject({ code: 'DOWNLOAD_CANCELLED' });
    else expect(first).toBe('DOWNLOAD_CANCELLED');
    channel.port1.close();
  });

  it('a browser that never fetches the download fails it as not started, within the time allowed', async () => {
    const channel = new MessageChannel();
    const sink = new PortSink(channel.port1, 'x.bin', 200);
    const writable = await sink.createWritable();
    await expect(writable.write(bytes(10, 1))).rejects.toMatchObject({ code: 'DOWNLOAD_NOT_STARTED' });
    channel.port1.close();
    channel.port2.close();
  });
});
