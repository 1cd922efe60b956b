import { describe, expect, it } from 'vitest';
import type { DownloadOutcome, DownloadRequest } from '../worker/api.ts';
import { Downloads } from './downloads.svelte.ts';
import { failureOf, fakeWorker } from './test-doubles.test-support.ts';

describe('Downloads', () => {
  it('tracks bytes, a smoothed rate and the time left, then how the file was checked', async () => {
    let t = 0;
    const d = new Downloads(() => t);
    let finish!: (o: DownloadOutcome) => void;
    let request!: DownloadRequest;
    const w = fakeWorker({ download: (r) => ((request = r), new Promise((resolve) => (finish = resolve))) });
    const started = d.start(w.api, 'krypton-demo', 'ap-northeast-1', 'firmware/v1/firmware.bin', { kind: 'memory' });
    const item = d.items[0]!;
    expect(item).toMatchObject({ name: 'firmware.bin', status: 'running', received: 0, toDisk: false });
    t = 1000;
    d.onEvent({ type: 'download-progress', progress: { id: request.id, received: 1_000_000, total: 3_000_000 } });
    expect(d.items[0]!.rate).toBe(1_000_000);
    expect(d.items[0]!.etaMs).toBe(2000);
    t = 2000;
    d.progress(request.id, 1_500_000, 3_000_000);
    expect(d.items[0]!.rate).toBeCloseTo(0.3 * 500_000 + 0.7 * 1_000_000);
    finish({ id: request.id, bytes: 3_000_000, check: 'md5-match', checks: [{ kind: 'md5' }] });
    await started;
    expect(d.items[0]).toMatchObject({ status: 'done', received: 3_000_000, check: 'md5-match', etaMs: 0 });
    // Late progress does not reopen a finished download.
    d.progress(request.id, 10, 3_000_000);
    expect(d.items[0]!.received).toBe(3_000_000);
  });

  it('saves a Blob through the page when the worker could not write to disk', async () => {
    const saved: string[] = [];
    const d = new Downloads(undefined, (_blob, name) => saved.push(name));
    await d.start(
      fakeWorker({ download: async (r) => ({ id: r.id, bytes: 3, check: 'no-etag', checks: [], blob: new Blob(['abc']) }) }).api,
      'b',
      'ap-northeast-1',
      'docs/a.txt',
      { kind: 'memory' },
    );
    expect(saved).toEqual(['a.txt']);
  });

  it('a cancelled picker starts nothing; a cancel and a failure are told apart', async () => {
    const d = new Downloads();
    expect(await d.start(fakeWorker().api, 'b', 'r', 'k', { kind: 'cancelled' })).toBeUndefined();
    expect(d.items).toEqual([]);
    await d.start(fakeWorker({ download: () => Promise.reject(failureOf('DOWNLOAD_CANCELLED')) }).api, 'b', 'r', 'x.bin', {
      kind: 'memory',
    });
    expect(d.items[0]).toMatchObject({ status: 'cancelled' });
    expect(d.items[0]!.failure).toBeUndefined();
    await d.start(fakeWorker({ download: () => Promise.reject(failureOf('CHECKSUM_MISMATCH')) }).api, 'b', 'r', 'y.bin', {
      kind: 'memory',
    });
    expect(d.items[0]).toMatchObject({ status: 'failed', failure: { code: 'CHECKSUM_MISMATCH' } });
    d.dismiss(d.items[0]!.id);
    expect(d.items.map((i) => i.name)).toEqual(['x.bin']);
  });

  it('cancel asks the worker', async () => {
    const cancelled: number[] = [];
    const d = new Downloads();
    await d.cancel(fakeWorker({ cancelDownload: async (id) => void cancelled.push(id) }).api, 4);
    expect(cancelled).toEqual([4]);
  });

  it('a streamed download the service worker missed fails at once as not started, and the worker’s side is cancelled', async () => {
    const cancelled: number[] = [];
    let request!: DownloadRequest;
    const d = new Downloads();
    let miss!: () => void;
    const channel = new MessageChannel();
    let tidied = false;
    const started = d.start(
      fakeWorker({
        // The worker's side would wait for the browser's first pull (30 s); here it never ends by itself.
        download: (r) => ((request = r), new Promise<DownloadOutcome>(() => undefined)),
        cancelDownload: async (id) => void cancelled.push(id),
      }).api,
      'b',
      'r',
      'firmware/v1/firmware.bin',
      { kind: 'stream', port: channel.port1, done: () => (tidied = true), missed: new Promise((resolve) => (miss = resolve)) },
    );
    await new Promise((r) => setTimeout(r, 10));
    expect(d.items[0]).toMatchObject({ status: 'running' });
    miss();
    const item = await started;
    expect(item).toMatchObject({
      status: 'failed',
      failure: { code: 'DOWNLOAD_NOT_STARTED', details: { key: 'firmware/v1/firmware.bin' } },
    });
    expect(cancelled).toEqual([request.id]);
    expect(tidied).toBe(true);
    channel.port1.close();
  });
});
