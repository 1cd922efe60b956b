import { mkdir, open, rename, rm, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';

/**
 * Writes a whole transcript so that the file is either absent or complete: written beside, flushed
 * to disk, then renamed over (a crash mid-write leaves a stray `.tmp`, never half a transcript).
 */
export async function writeWhole(file: string, text: string): Promise<void> {
  const tmp = `${file}.${process.pid}.tmp`;
  const handle = await open(tmp, 'w', 0o644);
  try {
    await handle.writeFile(text);
    await handle.sync();
  } catch (e) {
    await handle.close().catch(() => undefined);
    await rm(tmp, { force: true });
    throw e;
  }
  await handle.close();
  await rename(tmp, file);
}

/**
 * A transcript that grows line by line: the header first, then each event as one append, flushed to
 * disk before `flush()` resolves. What was flushed survives a crash; the file is valid JSON Lines after
 * every line (the parser needs nothing after the last one).
 */
export class AppendedTranscript {
  private handle: Promise<FileHandle> | undefined;
  private queue: Promise<void> = Promise.resolve();
  private failure: Error | undefined;
  private closed = false;

  constructor(
    private readonly file: string,
    private readonly headerLine: () => string,
    private readonly onFailure: (e: Error) => void,
  ) {}

  /** Queues one line (an event's JSON); the first also writes the header. */
  append(line: string): void {
    this.queue = this.queue.then(async () => {
      if (this.failure || this.closed) return;
      try {
        const first = this.handle === undefined;
        this.handle ??= mkdir(dirname(this.file), { recursive: true }).then(() => open(this.file, 'a', 0o644));
        const handle = await this.handle;
        await handle.appendFile(`${first ? `${this.headerLine()}\n` : ''}${line}\n`);
        await handle.datasync();
      } catch (e) {
        // One failure ends the file: a later line after a lost one would misreport the run.
        this.failure = e as Error;
        this.onFailure(this.failure);
      }
    });
  }

  /** Resolves once every line queued so far is on disk (or the file failed, which was reported). */
  flush(): Promise<void> {
    return this.queue;
  }

  /** Whether anything was written (the file exists). */
  get started(): boolean {
    return this.handle !== undefined;
  }

  /** Flushes and closes the file. */
  async close(): Promise<void> {
    await this.queue;
    this.closed = true;
    const handle = this.handle;
    this.handle = undefined;
    if (handle) await (await handle.catch(() => undefined))?.close();
  }
}
