import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, beforeEach } from 'vitest';

export const repoRoot = fileURLToPath(new URL('../../../../', import.meta.url));
export const binPath = join(repoRoot, 'apps/cli/bin/krypton-cli');
export const checkSimsBinPath = join(repoRoot, 'apps/cli/bin/check-sims');

/** What a finished krypton-cli process left. */
export interface BinResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  ms: number;
}

/** Options of one krypton-cli run. */
export interface RunBinOptions {
  env?: NodeJS.ProcessEnv;
  /** Kill it (SIGKILL) after this long; the test then fails on the result. */
  timeoutMs?: number;
  /** Called once the process runs (to pull a card out mid-run, say). */
  onSpawn?: (child: ChildProcess) => void;
  /** Called with each stderr chunk as it arrives. */
  onStderr?: (text: string) => void;
  /** Called with each stdout chunk as it arrives. */
  onStdout?: (text: string) => void;
  /** Another command of this package (check-sims); krypton-cli by default. */
  bin?: string;
}

/** Runs apps/cli/bin/krypton-cli (or `bin`) as a process, exactly as a script would (its shebang, its bundle). */
export async function runBin(args: readonly string[], options: RunBinOptions = {}): Promise<BinResult> {
  const started = performance.now();
  const child = spawn(options.bin ?? binPath, args, {
    cwd: repoRoot,
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => {
    stdout += d.toString();
    options.onStdout?.(d.toString());
  });
  child.stderr.on('data', (d: Buffer) => {
    stderr += d.toString();
    options.onStderr?.(d.toString());
  });
  options.onSpawn?.(child);
  const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 30_000);
  const [code, signal] = (await once(child, 'close')) as [number | null, NodeJS.Signals | null];
  clearTimeout(timer);
  return { code, signal, stdout, stderr, ms: performance.now() - started };
}

/** A `pnpm lab serve` of the test's own. */
export interface LabProcess {
  urls: { keys: string; provisioning: string; cellular: string; control: string; [k: string]: string };
  child: ChildProcess;
  /** The lab's control API state (`keysHeld`: keys agreed and held). */
  state(): Promise<{ keysHeld: number; [k: string]: unknown }>;
  /** POSTs to the control API (`faults`, `forget-keys`, `desync`, ...). */
  control(path: string, body: unknown): Promise<unknown>;
  /** SIGTERM to the process group, SIGKILL if it lingers. */
  stop(): Promise<void>;
}

/** Starts `pnpm lab serve` in its own process group and reads its JSON line of URLs. */
export async function startLabServe(args: readonly string[] = []): Promise<LabProcess> {
  const child = spawn('pnpm', ['lab', 'serve', ...args], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = once(child, 'exit');
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    killGroup(child, 'SIGTERM');
    const timer = setTimeout(() => killGroup(child, 'SIGKILL'), 3000);
    await exited;
    clearTimeout(timer);
  };
  const lines = createInterface({ input: child.stdout });
  const first = await Promise.race([
    once(lines, 'line').then(([l]) => l as string),
    exited.then(() => {
      throw new Error(`pnpm lab serve exited: ${stderr}`);
    }),
    new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`pnpm lab serve printed nothing in 30 s: ${stderr}`)), 30_000)),
  ]).catch(async (e: unknown) => {
    await stop();
    throw e;
  });
  const urls = JSON.parse(first) as LabProcess['urls'];
  return {
    urls,
    child,
    state: async () => (await (await fetch(`${urls.control}/state`)).json()) as { keysHeld: number },
    control: async (path, body) =>
      (
        await fetch(`${urls.control}/${path}`, {
          method: 'POST',
          headers: { 'Content-Type': 'application/json' },
          body: JSON.stringify(body),
        })
      ).json() as Promise<unknown>,
    stop,
  };
}

/** Signals the process group a test started (never anything else). */
export function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // Already gone.
  }
}

/** Fresh XDG directories for one test's key cache, and their removal. */
export function tempXdg(): { env: NodeJS.ProcessEnv; cacheFile: string; keyFile: string; root: string; dispose(): void } {
  const root = mkdtempSync(join(tmpdir(), 'krypton-cli-test-'));
  return {
    root,
    env: {
      XDG_CACHE_HOME: join(root, 'cache'),
      XDG_CONFIG_HOME: join(root, 'config'),
      KRYPTON_CLI_CACHE_DIR: '',
      KRYPTON_CLI_CONFIG_DIR: '',
    },
    cacheFile: join(root, 'cache', 'krypton-web', 'keys.bin'),
    keyFile: join(root, 'config', 'krypton-web', 'cache.key'),
    dispose: () => rmSync(root, { recursive: true, force: true }),
  };
}

/** What each test of a file running krypton-cli against the file's own `pnpm lab serve` works with. */
export interface LabServeRuns {
  /** The file's lab (no added latency). */
  readonly lab: LabProcess;
  /** This test's fresh XDG folders (its key cache). */
  readonly xdg: ReturnType<typeof tempXdg>;
  /** A scratch folder of this test's own. */
  readonly dir: string;
  /** krypton-cli's flags that point it at the lab. */
  endpoints(): string[];
}

/**
 * Registers the file's hooks: one `pnpm lab serve` for the file, and for each test fresh XDG folders
 * and a scratch folder named `<scratchPrefix>…`, removed after it. Call at the top of a test file.
 */
export function useLabServe(scratchPrefix: string): LabServeRuns {
  let lab: LabProcess | undefined;
  let xdg: ReturnType<typeof tempXdg> | undefined;
  let dir: string | undefined;
  beforeAll(async () => {
    lab = await startLabServe(['--latency-ms', '0']);
  });
  afterAll(async () => {
    await lab?.stop();
  });
  beforeEach(() => {
    xdg = tempXdg();
    dir = mkdtempSync(join(tmpdir(), scratchPrefix));
  });
  afterEach(() => {
    xdg?.dispose();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });
  // Read inside tests only: the hooks above have set them by then.
  const started = <T>(value: T | undefined, what: string): T => {
    if (value === undefined) throw new Error(`${what} is not set up: read it inside a test`);
    return value;
  };
  return {
    get lab() {
      return started(lab, 'the lab');
    },
    get xdg() {
      return started(xdg, 'the XDG folders');
    },
    get dir() {
      return started(dir, 'the scratch folder');
    },
    endpoints() {
      const { urls } = started(lab, 'the lab');
      return ['-keys-api-endpoint-url', urls.keys, `-provisioning-api-endpoint-url=${urls.provisioning}`];
    },
  };
}

/**
 * The inventory application key SORACOM's clients derive when the answer carries none, computed
 * here with node:crypto apart from the product's code: the first 16 bytes of
 * SHA-256(nonce bytes ‖ timestamp string ‖ CK), base64.
 */
export function expectedApplicationKey(nonceBase64: string, timestamp: string, ck: Uint8Array): string {
  return createHash('sha256')
    .update(Buffer.from(nonceBase64, 'base64'))
    .update(timestamp)
    .update(ck)
    .digest()
    .subarray(0, 16)
    .toString('base64');
}
