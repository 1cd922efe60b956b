import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

/** What `lab serve` prints as its first line. */
export interface LabServeInfo {
  keys: string;
  provisioning: string;
  cognito: string;
  s3: string;
  cellular: string;
  control: string;
  region: string;
  identityPoolId: string;
  bucket: string;
  sims: { name: string; imsi: string }[];
}

/** A lab running in a child process, so a lab that freezes cannot freeze the test with it. */
export interface LabProcess extends LabServeInfo {
  readonly pid: number;
  /** Stops the lab: SIGTERM, then SIGKILL if it has not exited within `graceMs` (a frozen lab never handles SIGTERM). */
  stop(graceMs?: number): Promise<void>;
}

const LAB_BIN = fileURLToPath(new URL('../../bin/lab.js', import.meta.url));

/** Options of `startLabProcess`. */
export interface LabProcessOptions {
  /** Flags for node itself, before the lab's script (e.g. V8 heap settings). */
  nodeFlags?: string[];
  startTimeoutMs?: number;
}

/** Starts `lab serve` with node directly (no pnpm wrapper, so the pid is the lab's own) and waits for its URL line. */
export async function startLabProcess(options: LabProcessOptions = {}): Promise<LabProcess> {
  const child = spawn(process.execPath, [...(options.nodeFlags ?? []), LAB_BIN, 'serve', '--latency-ms', '0'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = once(child, 'exit');
  try {
    const info = await firstLine(child, exited, options.startTimeoutMs ?? 60_000, () => stderr);
    return { ...info, pid: child.pid!, stop: (graceMs = 5_000) => stopChild(child, exited, graceMs) };
  } catch (e) {
    await stopChild(child, exited, 0);
    throw e;
  }
}

async function firstLine(child: ChildProcess, exited: Promise<unknown[]>, timeoutMs: number, stderr: () => string): Promise<LabServeInfo> {
  const lines = createInterface({ input: child.stdout! });
  const line = once(lines, 'line') as Promise<[string]>;
  const failed = exited.then(([code, signal]) => {
    throw new Error(`lab serve exited (${String(code ?? signal)}) before printing its URLs: ${stderr()}`);
  });
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`lab serve printed no URLs within ${timeoutMs} ms: ${stderr()}`)), timeoutMs);
  });
  try {
    const [first] = await Promise.race([line, failed, timedOut]);
    return JSON.parse(first) as LabServeInfo;
  } finally {
    clearTimeout(timer);
    failed.catch(() => undefined);
  }
}

async function stopChild(child: ChildProcess, exited: Promise<unknown[]>, graceMs: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill(graceMs > 0 ? 'SIGTERM' : 'SIGKILL');
  let timer: NodeJS.Timeout | undefined;
  const grace = new Promise<'late'>((resolve) => {
    timer = setTimeout(() => resolve('late'), graceMs);
  });
  if ((await Promise.race([exited, grace])) === 'late') {
    child.kill('SIGKILL');
    await exited;
  }
  clearTimeout(timer);
}
