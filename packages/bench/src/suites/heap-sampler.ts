import type { BrowserContext, CDPSession, Page } from 'playwright-core';

/**
 * Samples the JS heap of a page and of its dedicated workers every 250 ms through the browser's
 * DevTools protocol (workers are reached with Target.sendMessageToTarget, which needs no flattened sessions).
 */
export async function heapSampler(
  context: BrowserContext,
  page: Page,
): Promise<{ workers: string[]; stop(): Promise<{ page: number; worker: number; workerWithBuffers: number; samples: number }> }> {
  const pageCdp = await context.newCDPSession(page);
  const browser = context.browser();
  const root: CDPSession = browser ? await browser.newBrowserCDPSession() : pageCdp;
  const { targetInfos } = (await root.send('Target.getTargets')) as { targetInfos: { targetId: string; type: string; url: string }[] };
  const sessions: string[] = [];
  for (const t of targetInfos.filter((t) => t.type === 'worker')) {
    const { sessionId } = await root.send('Target.attachToTarget', { targetId: t.targetId, flatten: false });
    sessions.push(sessionId);
  }
  let nextId = 1;
  const pending = new Map<number, (used: { heap: number; buffers: number }) => void>();
  root.on('Target.receivedMessageFromTarget', (e: { message: string }) => {
    const m = JSON.parse(e.message) as { id?: number; result?: { usedSize?: number; backingStorageSize?: number } };
    if (m.id !== undefined && pending.has(m.id)) {
      pending.get(m.id)!({ heap: m.result?.usedSize ?? 0, buffers: m.result?.backingStorageSize ?? 0 });
      pending.delete(m.id);
    }
  });
  const workerHeap = async () => {
    const total = { heap: 0, buffers: 0 };
    for (const sessionId of sessions) {
      const id = nextId++;
      const used = new Promise<{ heap: number; buffers: number }>((resolve) => pending.set(id, resolve));
      await root.send('Target.sendMessageToTarget', { sessionId, message: JSON.stringify({ id, method: 'Runtime.getHeapUsage' }) });
      const u = await Promise.race([
        used,
        new Promise<{ heap: number; buffers: number }>((r) => setTimeout(() => r({ heap: 0, buffers: 0 }), 1000)),
      ]);
      total.heap += u.heap;
      total.buffers += u.buffers;
    }
    return total;
  };
  let peakPage = 0;
  let peakWorker = 0;
  let peakWorkerWithBuffers = 0;
  let samples = 0;
  let running = true;
  const loop = (async () => {
    while (running) {
      const { usedSize } = (await pageCdp.send('Runtime.getHeapUsage')) as { usedSize: number };
      peakPage = Math.max(peakPage, usedSize);
      const w = await workerHeap();
      peakWorker = Math.max(peakWorker, w.heap);
      // ArrayBuffer backing stores live outside the JS heap: whole-file buffering would show here.
      peakWorkerWithBuffers = Math.max(peakWorkerWithBuffers, w.heap + w.buffers);
      samples++;
      await new Promise((r) => setTimeout(r, 250));
    }
  })();
  return {
    workers: targetInfos.filter((t) => t.type === 'worker').map((t) => t.url),
    stop: async () => {
      running = false;
      await loop;
      await root.detach().catch(() => undefined);
      return { page: peakPage, worker: peakWorker, workerWithBuffers: peakWorkerWithBuffers, samples };
    },
  };
}
