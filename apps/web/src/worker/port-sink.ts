import type { FromDownloadWorker, ToDownloadWorker } from '../lib/download-stream-protocol.ts';
import { failure } from './failure.ts';
import type { ByteWritable } from './batched-writes.ts';
import type { SaveHandle } from './save-stream.ts';

/** How long the browser may take to fetch the download before it counts as never started. */
export const FIRST_PULL_TIMEOUT_MS = 30_000;
/** How long the service worker may take to confirm the end of the download. */
const CLOSE_TIMEOUT_MS = 10_000;

/**
 * A save target that streams to the download service worker through a MessagePort (see
 * download-stream-protocol.ts): each write waits until the browser asks for more, `close()` (after the
 * ETag check) lets the browser complete the file, `abort()` makes it fail the download instead.
 */
export class PortSink implements SaveHandle {
  private credits = 0;
  private pulled = false;
  private cancelled = false;
  private closed = false;
  private wake: (() => void) | undefined;
  /** The last write: writes queue behind it, so they leave in the order they were made. */
  private lastWrite: Promise<void> = Promise.resolve();

  constructor(
    private readonly port: MessagePort,
    private readonly key: string,
    private readonly firstPullTimeoutMs = FIRST_PULL_TIMEOUT_MS,
    private readonly closeTimeoutMs = CLOSE_TIMEOUT_MS,
  ) {
    port.onmessage = (e: MessageEvent<FromDownloadWorker>) => {
      if (e.data.t === 'pull') {
        this.credits++;
        this.pulled = true;
      } else if (e.data.t === 'cancelled') this.cancelled = true;
      else if (e.data.t === 'closed') this.closed = true;
      const w = this.wake;
      this.wake = undefined;
      w?.();
    };
  }

  /** S3 answered: the browser's download may start (with its size, when known). */
  begin(size: number | undefined): void {
    this.send({ t: 'head', ...(size !== undefined ? { size } : {}) });
  }

  /** The download failed before or while streaming: the browser saves nothing, or marks it failed. */
  fail(message: string): void {
    this.send({ t: 'error', message });
    this.port.close();
  }

  async createWritable(): Promise<ByteWritable & { close(): Promise<void>; abort(reason?: unknown): Promise<void> }> {
    return {
      write: (data) => {
        // The writer hands over arrays of its own (BatchedWriter): their buffer moves to the service worker uncopied.
        const bytesOf = async (): Promise<ArrayBuffer> =>
          data instanceof Blob
            ? data.arrayBuffer()
            : data.byteOffset === 0 && data.byteLength === data.buffer.byteLength
              ? data.buffer
              : data.slice().buffer;
        const write = this.lastWrite.then(async () => {
          const bytes = await bytesOf();
          await this.credit();
          this.send({ t: 'chunk', bytes }, [bytes]);
        });
        this.lastWrite = write.catch(() => undefined);
        return write;
      },
      close: async () => {
        this.send({ t: 'end' });
        await this.until(
          () => this.closed,
          this.closeTimeoutMs,
          () =>
            failure(
              'DOWNLOAD_UNCONFIRMED',
              'The browser did not confirm that it saved the file',
              'Check the browser’s download list; download it again if it is not complete',
              {
                key: this.key,
              },
            ),
        );
        this.port.close();
      },
      abort: async (reason) => {
        this.fail(reason instanceof Error ? reason.message : 'The download was stopped');
      },
    };
  }

  private async credit(): Promise<void> {
    await this.until(
      () => this.cancelled || this.credits > 0,
      this.pulled ? undefined : this.firstPullTimeoutMs,
      () =>
        failure(
          'DOWNLOAD_NOT_STARTED',
          'The browser did not start saving the file',
          'Allow downloads from this page, then download it again',
          {
            key: this.key,
          },
        ),
    );
    if (this.cancelled)
      throw failure('DOWNLOAD_CANCELLED', 'The download was cancelled in the browser; nothing was saved', 'Download it again when ready', {
        key: this.key,
      });
    this.credits--;
  }

  private async until(done: () => boolean, timeoutMs: number | undefined, timedOut: () => unknown): Promise<void> {
    const deadline = timeoutMs === undefined ? Infinity : Date.now() + timeoutMs;
    while (!done()) {
      const left = deadline - Date.now();
      if (left <= 0) throw timedOut();
      await new Promise<void>((r) => {
        this.wake = r;
        if (left !== Infinity) setTimeout(r, left);
      });
    }
  }

  private send(m: ToDownloadWorker, transfer: Transferable[] = []): void {
    this.port.postMessage(m, transfer);
  }
}
