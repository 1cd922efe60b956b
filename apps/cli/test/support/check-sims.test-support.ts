import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { parseJsonLines, type CheckResult } from '@krypton-web/sim-check';
import { checkSimsBinPath, runBin, type BinResult, type RunBinOptions } from './processes.test-support.ts';

/** A check-sims process the test talks to while it runs (--watch): what it printed so far, and waits on it. */
export interface RunningCheckSims {
  child(): ChildProcess;
  stdout(): string;
  stderr(): string;
  /** Resolves when the stream has printed a line matching `pattern` (searched from `from`), else fails naming it. */
  waitFor(stream: 'stdout' | 'stderr', pattern: RegExp, options?: { from?: number; timeoutMs?: number }): Promise<void>;
  /** The finished process. */
  result: Promise<BinResult>;
}

/** check-sims processes still running: a failed test must not leave a watcher holding the next test's cards. */
const running = new Set<ChildProcess>();

/** Kills (SIGKILL) every check-sims process a test started and that still runs; call it in afterEach. */
export async function killLeftoverCheckSims(): Promise<void> {
  await Promise.all(
    [...running].map(async (c) => {
      if (c.exitCode === null && c.signalCode === null) {
        const exited = once(c, 'exit');
        c.kill('SIGKILL');
        await exited;
      }
      running.delete(c);
    }),
  );
}

/** Starts `apps/cli/bin/check-sims` as a process (stdin not a terminal: no PIN prompt). */
export function startCheckSims(args: readonly string[], options: RunBinOptions = {}): RunningCheckSims {
  let child: ChildProcess | undefined;
  const out = { stdout: '', stderr: '' };
  const waiters = new Set<() => void>();
  const changed = () => waiters.forEach((w) => w());
  const result = runBin(args, {
    timeoutMs: 120_000,
    ...options,
    bin: checkSimsBinPath,
    onSpawn: (c) => {
      child = c;
      running.add(c);
      c.once('exit', () => running.delete(c));
      options.onSpawn?.(c);
    },
    onStdout: (t) => {
      out.stdout += t;
      changed();
    },
    onStderr: (t) => {
      out.stderr += t;
      changed();
    },
  });
  void result.then(changed);
  return {
    child: () => child!,
    stdout: () => out.stdout,
    stderr: () => out.stderr,
    result,
    waitFor: (stream, pattern, { from = 0, timeoutMs = 30_000 } = {}) =>
      new Promise<void>((resolve, reject) => {
        let finished = false;
        const check = () => {
          if (pattern.test(out[stream].slice(from))) return done(() => resolve());
          if (child && (child.exitCode !== null || child.signalCode !== null))
            done(() =>
              reject(new Error(`check-sims ended before printing ${String(pattern)} on ${stream}:\n${out.stdout}\n${out.stderr}`)),
            );
        };
        const timer = setTimeout(
          () => done(() => reject(new Error(`no ${String(pattern)} on ${stream} within ${timeoutMs} ms:\n${out.stdout}\n${out.stderr}`))),
          timeoutMs,
        );
        const done = (settle: () => void) => {
          if (finished) return;
          finished = true;
          clearTimeout(timer);
          waiters.delete(check);
          settle();
        };
        waiters.add(check);
        check();
      }),
  };
}

/** Runs check-sims to its end. */
export function runCheckSimsBin(args: readonly string[], options: RunBinOptions = {}): Promise<BinResult> {
  return startCheckSims(args, options).result;
}

/** The result lines of a run's stdout (one per SIM), without notices and the summary. */
export function resultLines(stdout: string): string[] {
  return stdout.split('\n').filter((l) => /^\d\d:\d\d:\d\d {2}/.test(l) && /\s(PASS|WARN|FAIL) {2}\d+\.\d s/.test(l));
}

/** Every row of a JSONL log, failing the test on a line that is not a whole result. */
export function jsonlRows(text: string): CheckResult[] {
  const { results, skipped } = parseJsonLines(text);
  if (skipped > 0) throw new Error(`${skipped} line(s) of the log are not results:\n${text}`);
  return results;
}
