/**
 * Gives a test its own pcscd with vpcd readers on private ports, and takes it away again.
 *
 * pcscd always serves /run/pcscd/pcscd.comm (it ignores PCSCLITE_CSOCK_NAME, which only clients
 * honour: the harness unsets it in its own process, so the caller's PC/SC clients dial this daemon),
 * so one machine runs one pcscd: the harness takes a machine-wide lock (see machine-lock.ts) before
 * starting it, and refuses to run beside a pcscd it did not start (the system service, a
 * developer's own). Reusing
 * a foreign pcscd was rejected on purpose: its readers are not ours to configure, restart tests
 * would kill it, and a developer's running `lab vcard` would answer in place of the test's card.
 * A pcscd left behind by a harness whose process died (its config path names the dead owner's
 * pid) is an orphan and is killed.
 *
 * pcscd runs in the foreground (`-f -c <dir>`), as a child of the test process, which therefore
 * owns it; it needs root (it writes /run/pcscd), as in CI.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import {
  accessSync,
  closeSync,
  constants,
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  rmSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { DEFAULT_PCSCD_LOCK, acquireMachineLock, type MachineLock } from './machine-lock.ts';
import { PcscdError } from './pcscd-error.ts';
import { findFreePortPair, isPortFree } from './ports.ts';
import { findProcesses, listeningTcpPorts, readProcess, type ProcessInfo } from './proc.ts';

/** Where Debian's vsmartcard-vpcd installs the vpcd driver. */
export const DEFAULT_VPCD_DRIVER = '/usr/lib/pcsc/drivers/serial/libifdvpcd.so';
/** The socket every pcscd serves and every PC/SC client dials. */
export const PCSCD_SOCKET = '/run/pcscd/pcscd.comm';
const PCSCD_PID_FILE = '/run/pcscd/pcscd.pid';
/**
 * pcscd names the readers of a vpcd entry "<FRIENDLYNAME> 00 00" (its port) and "<FRIENDLYNAME> 00 01"
 * (port + 1). Two facts found by running pcscd 1.9.9 with vsmartcard-vpcd 0.8 (Debian 12):
 * - a second entry with the same FRIENDLYNAME is not numbered "01 00" as identical USB readers are:
 *   its readers are "Virtual PCD 00 00/00 01" again and no client can tell them apart; so every
 *   entry after the first gets its own name;
 * - vpcd keeps its sockets in a static array indexed by slot alone, and pcscd loads a LIBPATH once
 *   for all entries naming it: a second entry on the same driver file takes over the first one's
 *   slots (a card on the second entry's port shows in both entries' readers, the first entry's ports
 *   are never polled). Each further entry therefore loads its own copy of the driver (a copy, not a
 *   link: the dynamic loader shares one instance per file).
 */
const FRIENDLY_NAME = 'Virtual PCD';
/** vpcd offers two readers (slots) per reader.conf.d entry. */
const SLOTS_PER_ENTRY = 2;
/** More readers than any test or bench needs, and few enough that pcscd starts quickly. */
const MAX_READERS = 16;
/** Config dirs are named `<marker><owner pid>-<random>`, so an orphaned pcscd names its dead owner. */
const CONFIG_DIR_MARKER = 'krypton-lab-pcscd-';
const INSTALL_HINT = 'install with: apt-get install pcscd vsmartcard-vpcd libpcsclite-dev';

/** What a test may choose about its pcscd. */
export interface StartPcscdOptions {
  /**
   * How many vpcd readers (default 2, one reader.conf.d entry). vpcd gives two readers per entry, so
   * an odd count leaves the last entry's second reader unused (PC/SC still lists it, empty).
   */
  readers?: number;
  /** vpcd port for the first reader; the others take the next ports in order; default: free pairs. */
  port?: number;
  /**
   * FRIENDLYNAME of each vpcd entry, in order (default "Virtual PCD", "Virtual PCD 2" …): readers with
   * names of any characters, as real ones have. A `"` cannot appear (reader.conf quotes the name).
   */
  friendlyNames?: readonly string[];
  /** How long pcscd may take to be ready (default 15 s). */
  readyTimeoutMs?: number;
  /** How long to wait for another test's pcscd to stop (default 120 s). */
  lockTimeoutMs?: number;
  /** The pcscd binary (default: found on PATH or in /usr/sbin). */
  pcscdPath?: string;
  /** The vpcd driver (default: Debian's path). */
  driverPath?: string;
  /** The machine-wide lock file (default /tmp/krypton-lab-pcscd.lock). */
  lockPath?: string;
  /** Run pcscd with --debug (its output is in `logs()`). */
  debug?: boolean;
}

/** A pcscd owned by the test: where its vpcd listens, what its readers are called, and how to stop it. */
export interface PcscdHandle {
  /** vpcd's TCP port for the first reader; connect the card here. */
  readonly vpcdPort: number;
  /** The first reader's name, "Virtual PCD 00 00". */
  readonly readerName: string;
  /** Every reader's name, in order: "Virtual PCD 00 00", "Virtual PCD 00 01", "Virtual PCD 2 00 00" … */
  readonly readerNames: readonly string[];
  /** vpcd's TCP port of each reader, in the order of `readerNames`. */
  readonly vpcdPorts: readonly number[];
  /** pcscd's current pid (it changes on restart). */
  readonly pid: number;
  /** The private folder holding the reader config and pcscd's output. */
  readonly configDir: string;
  /** What pcscd printed so far (all runs). */
  logs(): string;
  /**
   * Stops pcscd and starts it again, keeping the machine lock: with the same readers and ports, or with
   * `readers` readers (readers attached or removed while a program runs: pcscd 1.9.9 reads its reader
   * configuration only at start, SIGUSR1 does not re-read it). Entries kept keep their names and ports;
   * `readerNames` and `vpcdPorts` then describe the new set. `pauseMs` keeps pcscd away that long first.
   */
  restart(options?: { readers?: number; pauseMs?: number }): Promise<void>;
  /** Terminates pcscd, waits for it to exit, removes the temp files and releases the lock. Idempotent. */
  stop(): Promise<void>;
}

interface Daemon {
  child: ChildProcess;
  pid: number;
  exited: Promise<void>;
  exitDescription: () => string | undefined;
}

const liveDaemons = new Set<ChildProcess>();
const liveDirs = new Set<string>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // A test that never called stop() (or crashed) must not leave a pcscd holding the machine.
  process.on('exit', () => {
    for (const child of liveDaemons) child.kill('SIGKILL');
    for (const dir of liveDirs) rmSync(dir, { recursive: true, force: true });
  });
}

/** Finds the pcscd binary, or says which packages to install. */
export function findPcscd(explicit?: string): string {
  const candidates = explicit
    ? [explicit]
    : [...(process.env.PATH ?? '').split(delimiter).filter(Boolean), '/usr/sbin', '/sbin', '/usr/local/sbin'].map((d) => join(d, 'pcscd'));
  for (const candidate of candidates) {
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // try the next place
    }
  }
  throw new PcscdError(
    'PCSCD_NOT_INSTALLED',
    `pcscd is not installed (looked for ${explicit ?? 'pcscd on PATH and in /usr/sbin'}); ${INSTALL_HINT}`,
  );
}

function readPidFile(): number | undefined {
  try {
    // pcscd writes "<pid>\n\0": parseInt stops at the newline, Number() would give NaN.
    const pid = parseInt(readFileSync(PCSCD_PID_FILE, 'utf8'), 10);
    return Number.isNaN(pid) ? undefined : pid;
  } catch {
    return undefined;
  }
}

function canConnect(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(path);
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** For a pcscd started by this harness: the pid of the process that started it and its config folder. */
function harnessOrigin(info: ProcessInfo): { owner: number; dir: string } | undefined {
  const pattern = new RegExp(`^(.*/${CONFIG_DIR_MARKER}([0-9]+)-[^/]+)`);
  for (const arg of info.argv) {
    const m = pattern.exec(arg);
    if (m) return { owner: Number(m[2]), dir: m[1]! };
  }
  return undefined;
}

async function waitGone(pid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (readProcess(pid)) {
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 20));
  }
  return true;
}

/** Kills orphans of dead harnesses, refuses any other pcscd, and clears stale daemon files. Call with the lock held. */
async function clearTheWay(): Promise<void> {
  for (const info of findProcesses('pcscd')) {
    const origin = harnessOrigin(info);
    if (origin && !readProcess(origin.owner)) {
      process.kill(info.pid, 'SIGKILL');
      if (!(await waitGone(info.pid, 3000)))
        throw new PcscdError('PCSCD_ALREADY_RUNNING', `an orphaned test pcscd (pid ${info.pid}) would not die`);
      rmSync(origin.dir, { recursive: true, force: true });
      continue;
    }
    throw new PcscdError(
      'PCSCD_ALREADY_RUNNING',
      `a pcscd this harness did not start is running (pid ${info.pid}: ${info.argv.join(' ')}); only one pcscd can run per machine ` +
        `(it always serves ${PCSCD_SOCKET}). Stop it first (systemctl stop pcscd.socket pcscd.service, or kill ${info.pid}) and run the tests again.`,
    );
  }
  // No pcscd runs now, so a socket or pid file left by a killed one is stale; pcscd itself refuses
  // to start if the stale pid happens to belong to a live process.
  for (const file of [PCSCD_SOCKET, PCSCD_PID_FILE]) {
    try {
      unlinkSync(file);
    } catch {
      // absent, or not ours to remove: pcscd will say so
    }
  }
}

/** util-linux's setpriv (Debian's base system has it). */
const SETPRIV = '/usr/bin/setpriv';

function launch(binary: string, readersDir: string, logPath: string, debug: boolean): Daemon {
  // pcscd's output goes to a file, not a pipe, so an unreferenced child cannot keep the test process alive.
  const log = openSync(logPath, 'a');
  const env = { ...process.env };
  delete env.PCSCLITE_CSOCK_NAME;
  let child: ChildProcess;
  const args = ['--foreground', '--config', readersDir, debug ? '--debug' : '--info'];
  try {
    // Under setpriv --pdeathsig the kernel ends pcscd when the process that started it dies, however
    // it dies (a killed test run, a bench stopped by a timeout): an orphaned pcscd would hold the
    // machine's PC/SC socket and make every later harness refuse to start.
    child = existsSync(SETPRIV)
      ? spawn(SETPRIV, ['--pdeathsig', 'KILL', '--', binary, ...args], { stdio: ['ignore', log, log], env })
      : spawn(binary, args, { stdio: ['ignore', log, log], env });
  } finally {
    closeSync(log);
  }
  let description: string | undefined;
  const exited = new Promise<void>((resolve) => {
    child.once('exit', (code, signal) => {
      description = signal ? `killed by ${signal}` : `exit code ${code}`;
      liveDaemons.delete(child);
      resolve();
    });
    child.once('error', (e) => {
      description = e.message;
      liveDaemons.delete(child);
      resolve();
    });
  });
  liveDaemons.add(child);
  child.unref();
  return { child, pid: child.pid ?? -1, exited, exitDescription: () => description };
}

function tail(logPath: string, lines = 15): string {
  try {
    return readFileSync(logPath, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no output)';
  }
}

async function waitReady(daemon: Daemon, vpcdPorts: readonly number[], logPath: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ended = daemon.exitDescription();
    if (ended !== undefined) {
      const hint = process.getuid?.() === 0 ? '' : ' (pcscd needs root to write /run/pcscd)';
      throw new PcscdError('PCSCD_EXITED', `pcscd exited during start-up (${ended})${hint}; its last output:\n${tail(logPath)}`);
    }
    const ports = listeningTcpPorts();
    // Ready means: vpcd listens on every port, and the socket answers for *this* pcscd (pid file).
    if (vpcdPorts.every((p) => ports.has(p)) && readPidFile() === daemon.pid && (await canConnect(PCSCD_SOCKET))) return;
    if (Date.now() > deadline) {
      await terminate(daemon);
      throw new PcscdError(
        'PCSCD_NOT_READY',
        `pcscd was not ready within ${timeoutMs} ms (vpcd on ${vpcdPorts.join('/')}, ${PCSCD_SOCKET}); its last output:\n${tail(logPath)}`,
      );
    }
    await new Promise((r) => setTimeout(r, 25));
  }
}

async function terminate(daemon: Daemon, graceMs = 5000): Promise<void> {
  if (daemon.exitDescription() !== undefined) return;
  daemon.child.kill('SIGTERM');
  let timer: NodeJS.Timeout | undefined;
  const graceOver = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(true), graceMs)));
  const late = await Promise.race([daemon.exited.then(() => false), graceOver]);
  clearTimeout(timer);
  if (late) {
    daemon.child.kill('SIGKILL');
    await daemon.exited;
  }
}

/** The FRIENDLYNAME of the vpcd entry `index` (from 0): "Virtual PCD", then "Virtual PCD 2", "Virtual PCD 3" … */
export function vpcdFriendlyName(index: number): string {
  return index === 0 ? FRIENDLY_NAME : `${FRIENDLY_NAME} ${index + 1}`;
}

/** The reader.conf.d entry for one vpcd reader pair listening on `port` and `port + 1`. */
export function vpcdReaderConfig(port: number, driver: string, friendlyName = FRIENDLY_NAME): string {
  const hex = `0x${port.toString(16).toUpperCase()}`;
  return `FRIENDLYNAME "${friendlyName}"\nDEVICENAME   /dev/null:${hex}\nLIBPATH      ${driver}\nCHANNELID    ${hex}\n`;
}

/** The names pcscd gives the two readers of a vpcd entry. */
export function vpcdReaderNames(friendlyName: string): [string, string] {
  return [`${friendlyName} 00 00`, `${friendlyName} 00 01`];
}

/** The number of readers asked for, checked (default 2: one vpcd entry). */
function checkReaderCount(readers: number | undefined): number {
  const count = readers ?? SLOTS_PER_ENTRY;
  if (!(Number.isInteger(count) && count >= 1 && count <= MAX_READERS)) {
    throw new PcscdError('BAD_OPTION', `readers must be an integer from 1 to ${MAX_READERS}, got ${readers}`);
  }
  return count;
}

/** First ports of `count` vpcd entries: consecutive from `port` when given (checked free), else free pairs apart from each other. */
async function choosePorts(count: number, port: number | undefined): Promise<number[]> {
  if (port !== undefined) {
    const firsts = Array.from({ length: count }, (_, i) => port + SLOTS_PER_ENTRY * i);
    for (const p of firsts.flatMap((f) => [f, f + 1])) {
      if (!(await isPortFree(p)))
        throw new PcscdError('PORT_IN_USE', `TCP port ${p} is taken; vpcd needs ${port} to ${port + SLOTS_PER_ENTRY * count - 1}`);
    }
    return firsts;
  }
  const firsts: number[] = [];
  while (firsts.length < count) {
    const p = await findFreePortPair();
    // The kernel may hand out a port next to one already chosen (it is still free: nothing listens yet).
    if (!firsts.some((f) => Math.abs(f - p) < SLOTS_PER_ENTRY)) firsts.push(p);
  }
  return firsts;
}

/** Starts a pcscd of the test's own, with `readers` vpcd readers (default 2) on private ports; see the module comment. */
export async function startPcscd(options: StartPcscdOptions = {}): Promise<PcscdHandle> {
  if (process.platform !== 'linux') throw new PcscdError('UNSUPPORTED_PLATFORM', `the pcscd harness needs Linux, not ${process.platform}`);
  const binary = findPcscd(options.pcscdPath);
  const driver = options.driverPath ?? DEFAULT_VPCD_DRIVER;
  if (!existsSync(driver)) throw new PcscdError('VPCD_DRIVER_MISSING', `the vpcd driver ${driver} is missing; ${INSTALL_HINT}`);
  const readerCount = checkReaderCount(options.readers);
  const entryCount = Math.ceil(readerCount / SLOTS_PER_ENTRY);
  const lastPort = 65536 - SLOTS_PER_ENTRY * entryCount;
  if (options.port !== undefined && !(Number.isInteger(options.port) && options.port > 0 && options.port <= lastPort)) {
    throw new PcscdError(
      'BAD_OPTION',
      `port must be an integer from 1 to ${lastPort} (vpcd also takes port + 1${entryCount > 1 ? ' and the ports after it, two per entry' : ''}), got ${options.port}`,
    );
  }
  for (const name of options.friendlyNames ?? []) {
    if (name.trim() === '' || /["\r\n]/.test(name) || name.length > 100)
      throw new PcscdError(
        'BAD_OPTION',
        `a reader's FRIENDLYNAME must be 1 to 100 characters without quotes or line breaks, got ${JSON.stringify(name)}`,
      );
  }
  // libpcsclite reads the variable at this process's first PC/SC call; pointed anywhere else, the
  // caller's clients would miss the daemon started here (the product's own clients rightly honour it).
  delete process.env.PCSCLITE_CSOCK_NAME;
  installExitHook();
  const lock: MachineLock = await acquireMachineLock(options.lockPath ?? DEFAULT_PCSCD_LOCK, {
    timeoutMs: options.lockTimeoutMs ?? 120_000,
    purpose: `pcscd harness in ${process.argv.slice(1, 3).join(' ')}`,
  });
  let configDir: string | undefined;
  try {
    await clearTheWay();
    let firstPorts = await choosePorts(entryCount, options.port);
    let count = readerCount;
    const friendly = (i: number): string => options.friendlyNames?.[i] ?? vpcdFriendlyName(i);
    const vpcdPortsNow = () => firstPorts.flatMap((p) => [p, p + 1]).slice(0, count);
    const readerNamesNow = () => firstPorts.flatMap((_, i) => vpcdReaderNames(friendly(i))).slice(0, count);
    const listeningNow = () => firstPorts.flatMap((p) => [p, p + 1]);
    const dir = mkdtempSync(join(tmpdir(), `${CONFIG_DIR_MARKER}${process.pid}-`));
    configDir = dir;
    liveDirs.add(dir);
    // pcscd parses every file in its config folder, so the folder holds the reader files alone.
    const readersDir = join(configDir, 'reader.conf.d');
    mkdirSync(readersDir);
    const entryFile = (i: number) => join(readersDir, i === 0 ? 'vpcd' : `vpcd-${i + 1}`);
    const writeEntry = (p: number, i: number) => {
      let library = driver;
      if (i > 0) {
        library = join(dir, `libifdvpcd-${i + 1}.so`);
        if (!existsSync(library)) copyFileSync(driver, library);
      }
      writeFileSync(entryFile(i), vpcdReaderConfig(p, library, friendly(i)));
    };
    firstPorts.forEach(writeEntry);
    const logPath = join(configDir, 'pcscd.log');
    const readyTimeoutMs = options.readyTimeoutMs ?? 15_000;
    const debug = options.debug ?? false;
    let daemon = launch(binary, readersDir, logPath, debug);
    await waitReady(daemon, listeningNow(), logPath, readyTimeoutMs);

    let stopping: Promise<void> | undefined;
    return {
      vpcdPort: firstPorts[0]!,
      readerName: readerNamesNow()[0]!,
      get readerNames() {
        return readerNamesNow();
      },
      get vpcdPorts() {
        return vpcdPortsNow();
      },
      get pid() {
        return daemon.pid;
      },
      configDir: dir,
      logs: () => (existsSync(logPath) ? readFileSync(logPath, 'utf8') : ''),
      restart: async (change = {}) => {
        if (stopping) throw new PcscdError('STOPPED', 'this pcscd was stopped; start a new one');
        const nextCount = change.readers === undefined ? count : checkReaderCount(change.readers);
        await terminate(daemon);
        if (change.pauseMs) await new Promise((r) => setTimeout(r, change.pauseMs));
        const nextEntries = Math.ceil(nextCount / SLOTS_PER_ENTRY);
        // Entries kept keep their ports (a card dialling one redials the same port); removed ones lose their file.
        for (let i = nextEntries; i < firstPorts.length; i++) rmSync(entryFile(i), { force: true });
        const kept = firstPorts.slice(0, nextEntries);
        while (kept.length < nextEntries) {
          const p = await findFreePortPair();
          if (!kept.some((f) => Math.abs(f - p) < SLOTS_PER_ENTRY)) {
            kept.push(p);
            writeEntry(p, kept.length - 1);
          }
        }
        firstPorts = kept;
        count = nextCount;
        daemon = launch(binary, readersDir, logPath, debug);
        await waitReady(daemon, listeningNow(), logPath, readyTimeoutMs);
      },
      stop: () =>
        (stopping ??= (async () => {
          try {
            await terminate(daemon);
          } finally {
            rmSync(dir, { recursive: true, force: true });
            liveDirs.delete(dir);
            lock.release();
          }
        })()),
    };
  } catch (e) {
    if (configDir) {
      rmSync(configDir, { recursive: true, force: true });
      liveDirs.delete(configDir);
    }
    lock.release();
    throw e;
  }
}
