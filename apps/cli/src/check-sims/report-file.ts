import { randomBytes } from 'node:crypto';
import { open, readFile, rename, unlink, type FileHandle } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { parseJsonLines, toJsonLine, type CheckResult } from '@krypton-web/sim-check';
import { CliError } from '../errors.ts';

/** What an existing log held. */
export interface EarlierChecks {
  results: CheckResult[];
  /** Lines that were not a whole result (a torn last line after a crash), skipped. */
  skipped: number;
}

/**
 * The batch's append-only JSONL log: one line per finished check, written and flushed to the disk
 * (fdatasync) before `append` resolves, so a crash or a power cut loses no finished row. Appends are
 * serialised: lines from parallel lanes never interleave.
 */
export class JsonlLog {
  #tail: Promise<void> = Promise.resolve();

  private constructor(
    readonly path: string,
    private readonly handle: FileHandle,
  ) {}

  /**
   * Opens (or creates) the log and reads back what it holds. A last line torn by a crash is closed
   * with a newline first, so the next row starts on a line of its own.
   */
  static async open(path: string): Promise<{ log: JsonlLog; earlier: EarlierChecks }> {
    let text = '';
    try {
      text = await readFile(path, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw fileError(path, 'read', e);
    }
    let handle: FileHandle;
    try {
      handle = await open(path, 'a', 0o644);
    } catch (e) {
      throw fileError(path, 'open for appending', e);
    }
    const log = new JsonlLog(path, handle);
    if (text.length > 0 && !text.endsWith('\n')) await log.write('\n');
    return { log, earlier: parseJsonLines(text) };
  }

  /** Appends one finished check; resolves once it is on the disk. */
  append(result: CheckResult): Promise<void> {
    return this.write(toJsonLine(result));
  }

  /** Waits for pending appends, then closes the file. */
  async close(): Promise<void> {
    await this.#tail.catch(() => undefined);
    await this.handle.close();
  }

  private write(text: string): Promise<void> {
    const run = this.#tail.then(async () => {
      try {
        await this.handle.appendFile(text, 'utf8');
        await this.handle.datasync();
      } catch (e) {
        throw fileError(this.path, 'append to', e);
      }
    });
    this.#tail = run.catch(() => undefined);
    return run;
  }
}

/**
 * Replaces `path` with `content` in one step: written to a temporary file in the same directory,
 * flushed, then renamed over the target (atomic on POSIX). Readers see the old file or the whole new
 * one, never half of it; a failure leaves no temporary file behind.
 */
export async function writeFileAtomically(path: string, content: string): Promise<void> {
  const dir = dirname(path);
  const temp = join(dir, `.${basename(path)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  let handle: FileHandle | undefined;
  try {
    handle = await open(temp, 'wx', 0o644);
    await handle.writeFile(content, 'utf8');
    await handle.datasync();
    await handle.close();
    handle = undefined;
    await rename(temp, path);
  } catch (e) {
    await handle?.close().catch(() => undefined);
    await unlink(temp).catch(() => undefined);
    throw fileError(path, 'write', e);
  }
  // The rename itself is durable once the directory is flushed; a file system that cannot sync a
  // directory (some network mounts) still has the whole file in place.
  try {
    const d = await open(dir, 'r');
    await d.sync().finally(() => d.close());
  } catch {
    // best effort
  }
}

function fileError(path: string, what: string, e: unknown): CliError {
  const code = (e as NodeJS.ErrnoException).code;
  const reason = code ?? (e as Error).message;
  const action =
    code === 'EACCES' || code === 'EPERM'
      ? 'Choose a file you may write, or fix its permissions'
      : code === 'ENOENT'
        ? 'Create the directory first, or choose another path'
        : code === 'ENOSPC'
          ? 'Free some disk space, then run again with the same --out to continue the batch'
          : 'Check the path and the disk';
  return new CliError(`cannot ${what} ${path} (${reason})`, action, 'STORAGE_UNAVAILABLE', { cause: e });
}
