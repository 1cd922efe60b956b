/**
 * A lock shared by every process on the machine, as a file holding the owner's pid, process start
 * time and a random token. pcscd always serves /run/pcscd/pcscd.comm, so tests in different vitest
 * workers that each start one must take turns. A lock whose owner died (pid gone, or reused by a
 * process with another start time) is stale and is taken over.
 */
import { randomUUID } from 'node:crypto';
import { linkSync, readFileSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { PcscdError } from './pcscd-error.ts';
import { readProcess } from './proc.ts';

/** Where the pcscd harness keeps its lock: a fixed path, so every worker of every run agrees on it. */
export const DEFAULT_PCSCD_LOCK = '/tmp/krypton-lab-pcscd.lock';

/** A held lock; `release()` is idempotent and also happens on process exit. */
export interface MachineLock {
  readonly path: string;
  release(): void;
}

/** How long to wait for the lock and what to record as its purpose. */
export interface MachineLockOptions {
  timeoutMs?: number;
  pollMs?: number;
  /** Shown to whoever waits: who holds the lock and why. */
  purpose?: string;
}

interface Holder {
  pid: number;
  startTime: string;
  token: string;
  purpose: string;
  since: string;
}

const held = new Map<string, string>();
let exitHookInstalled = false;

function releaseFile(path: string, token: string): void {
  try {
    const holder = JSON.parse(readFileSync(path, 'utf8')) as Partial<Holder>;
    if (holder.token === token) unlinkSync(path);
  } catch {
    // Already gone, or taken over after we were judged dead: nothing of ours to remove.
  }
}

/** Why a lock file does not protect anyone any more, or undefined if its owner is alive. */
function staleness(raw: string, path: string): string | undefined {
  let holder: Partial<Holder>;
  try {
    holder = JSON.parse(raw) as Partial<Holder>;
  } catch {
    // Files are linked into place complete, so garbage is not a write in progress; give it a moment anyway.
    const age = Date.now() - statSync(path).mtimeMs;
    return age > 5000 ? 'unreadable lock file' : undefined;
  }
  if (typeof holder.pid !== 'number') return 'lock file without pid';
  const owner = readProcess(holder.pid);
  if (!owner) return `owner pid ${holder.pid} is gone`;
  if (owner.startTime !== holder.startTime) return `pid ${holder.pid} now belongs to another process`;
  return undefined;
}

function describeHolder(raw: string): string {
  try {
    const h = JSON.parse(raw) as Partial<Holder>;
    return `pid ${h.pid} (${h.purpose ?? 'unknown purpose'}) since ${h.since}`;
  } catch {
    return 'an unreadable lock file';
  }
}

/** Takes the lock at `path`, waiting while a live process holds it. */
export async function acquireMachineLock(path: string, options: MachineLockOptions = {}): Promise<MachineLock> {
  const me = readProcess(process.pid);
  const token = randomUUID();
  const content = JSON.stringify({
    pid: process.pid,
    startTime: me?.startTime ?? '',
    token,
    purpose: options.purpose ?? 'krypton-lab test',
    since: new Date().toISOString(),
  } satisfies Holder);
  const deadline = Date.now() + (options.timeoutMs ?? 120_000);
  for (;;) {
    // Write a private file then link() it into place: the lock appears atomically and complete.
    const temp = `${path}.${process.pid}.${token}`;
    writeFileSync(temp, content, { mode: 0o644 });
    try {
      linkSync(temp, path);
      unlinkSync(temp);
      break;
    } catch (e) {
      unlinkSync(temp);
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    let raw: string;
    try {
      raw = readFileSync(path, 'utf8');
    } catch {
      continue; // released between our link() and read: try again at once
    }
    if (staleness(raw, path) !== undefined) {
      // Remove it only if it is still the same stale file, not a fresh lock someone just took.
      try {
        if (readFileSync(path, 'utf8') === raw) unlinkSync(path);
      } catch {
        // Someone else cleaned it up first.
      }
      continue;
    }
    if (Date.now() >= deadline) {
      throw new PcscdError(
        'LOCK_TIMEOUT',
        `the machine-wide pcscd lock ${path} is held by ${describeHolder(raw)}; waited ${options.timeoutMs ?? 120_000} ms`,
      );
    }
    await new Promise((r) => setTimeout(r, options.pollMs ?? 50));
  }
  held.set(path, token);
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.on('exit', () => {
      for (const [p, t] of held) releaseFile(p, t);
    });
  }
  let released = false;
  return {
    path,
    release: () => {
      if (released) return;
      released = true;
      held.delete(path);
      releaseFile(path, token);
    },
  };
}
