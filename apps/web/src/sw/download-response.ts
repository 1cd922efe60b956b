import type { FromDownloadWorker, ToDownloadWorker } from '../lib/download-stream-protocol.ts';

/** A header value naming the file, for every browser (plain ASCII fallback, then UTF-8). */
export function contentDisposition(name: string): string {
  const ascii = name.replace(/[^\x20-\x7e]|["\\%]/g, '_');
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(name)}`;
}

/**
 * The download response for bytes arriving through `port`: resolves once the session worker says
 * S3 answered (`head`), with a body that asks for one chunk at a time. The body ends only on `end`
 * (the bytes matched the ETag); `error` errors it, so the browser marks the download failed instead
 * of complete. A failure before `head` answers 204: the browser then saves nothing at all.
 */
export function responseFromPort(port: MessagePort, name: string): Promise<Response> {
  const send = (m: FromDownloadWorker): void => port.postMessage(m);
  return new Promise((resolve) => {
    let controller!: ReadableStreamDefaultController<Uint8Array>;
    let wake: (() => void) | undefined;
    let answered = false;
    let finished = false;
    // A default stream (WebKit has no byte streams); one chunk queued at most.
    const body = new ReadableStream<Uint8Array>(
      {
        start(c) {
          controller = c;
        },
        pull() {
          if (finished) return undefined;
          send({ t: 'pull' });
          return new Promise<void>((r) => (wake = r));
        },
        cancel() {
          // The person cancelled it in the browser's download list.
          finished = true;
          send({ t: 'cancelled' });
          wake?.();
        },
      },
      { highWaterMark: 1 },
    );
    port.onmessage = (e: MessageEvent<ToDownloadWorker>) => {
      const m = e.data;
      if (m.t === 'head') {
        answered = true;
        const headers: Record<string, string> = {
          'Content-Type': 'application/octet-stream',
          'Content-Disposition': contentDisposition(name),
          'X-Content-Type-Options': 'nosniff',
          'Cache-Control': 'no-store',
        };
        if (m.size !== undefined) headers['Content-Length'] = String(m.size);
        resolve(new Response(body, { status: 200, headers }));
        return;
      }
      if (finished) return;
      if (m.t === 'chunk') {
        controller.enqueue(new Uint8Array(m.bytes));
      } else if (m.t === 'end') {
        finished = true;
        controller.close();
        send({ t: 'closed' });
      } else if (m.t === 'error') {
        finished = true;
        if (!answered) resolve(new Response(null, { status: 204 }));
        else controller.error(new Error(m.message));
        port.close();
      }
      const w = wake;
      wake = undefined;
      w?.();
    };
  });
}
