/**
 * WebKitGTK (the Safari stand-in here) through Debian's `WebKitWebDriver`, spoken to as plain W3C
 * WebDriver over fetch. It needs an X server: each launch starts its own Xvfb, and a fresh HOME whose
 * XDG download folder is where downloads land. Everything started is stopped by close().
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { EngineLaunchError, encodeTarget, FINDER, pageScript, ScriptedPage, type EngineBrowser, type Target } from './engine.ts';

/** Debian's WebDriver for WebKitGTK (package webkit2gtk-driver). */
export const WEBKIT_WEBDRIVER = '/usr/bin/WebKitWebDriver';
/** The browser WebKitWebDriver starts (shipped with libwebkit2gtk-4.1). */
export const MINIBROWSER = '/usr/lib/x86_64-linux-gnu/webkit2gtk-4.1/MiniBrowser';
/** Debian's X virtual frame buffer (package xvfb). */
export const XVFB = '/usr/bin/Xvfb';

/** The key of a web element reference in WebDriver answers. */
const ELEMENT = 'element-6066-11e4-a52e-4f735466cecf';

/** A WebDriver error answer, with its error code and message. */
export class WebDriverError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'WebDriverError';
  }
}

/** One W3C WebDriver session over fetch. */
export class WebDriverSession {
  constructor(
    readonly base: string,
    readonly id: string,
  ) {}

  /** Sends one command; returns its `value`, or throws its error. */
  async command<T>(method: 'GET' | 'POST' | 'DELETE', path: string, body?: unknown, timeoutMs = 60_000): Promise<T> {
    return webdriverCall<T>(this.base, method, `/session/${this.id}${path}`, body, timeoutMs);
  }
}

async function webdriverCall<T>(base: string, method: string, path: string, body: unknown, timeoutMs: number): Promise<T> {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(timeoutMs),
  });
  const json = (await res.json()) as { value: T | { error: string; message: string } };
  const v = json.value as { error?: string; message?: string } | null;
  if (!res.ok || (v && typeof v === 'object' && typeof v.error === 'string'))
    throw new WebDriverError(v?.error ?? `HTTP ${res.status}`, `${method} ${path}: ${v?.message ?? res.statusText}`);
  return json.value as T;
}

/** A WebKit page: scripts through Execute Script, clicks through Element Click. */
class WebKitPage extends ScriptedPage {
  readonly engine = 'webkit' as const;
  constructor(readonly session: WebDriverSession) {
    super();
  }

  async goto(url: string): Promise<void> {
    await this.session.command('POST', '/url', { url });
  }

  async screenshot(path: string): Promise<void> {
    const png = await this.session.command<string>('GET', '/screenshot');
    writeFileSync(path, Buffer.from(png, 'base64'));
  }

  protected async run<T>(body: string, args: unknown[]): Promise<T> {
    return this.session.command<T>('POST', '/execute/sync', { script: `return ${pageScript(body, args)};`, args: [] });
  }

  protected async clickFirst(target: Target): Promise<boolean> {
    const el = await this.session.command<Record<string, string> | null>('POST', '/execute/sync', {
      script: `return (${FINDER})(arguments[0])[0] || null;`,
      args: [encodeTarget(target)],
    });
    if (!el?.[ELEMENT]) return false;
    await this.session.command('POST', `/element/${el[ELEMENT]}/click`, {});
    return true;
  }
}

/** A launched WebKitGTK: its engine-neutral page and its WebDriver session. */
export interface WebKitBrowser extends EngineBrowser {
  readonly engine: 'webkit';
  readonly page: WebKitPage;
  readonly session: WebDriverSession;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

/** Starts Xvfb on a free display (it picks one and tells us through a file descriptor). */
async function startXvfb(timeoutMs: number): Promise<{ display: string; process: ChildProcess }> {
  const child = spawn(XVFB, ['-displayfd', '3', '-screen', '0', '1280x1024x24', '-nolisten', 'tcp'], {
    stdio: ['ignore', 'ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  const display = await new Promise<string>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`Xvfb gave no display within ${timeoutMs} ms`)), timeoutMs);
    (child.stdio[3] as Readable).on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('\n')) {
        clearTimeout(timer);
        resolve(`:${out.trim()}`);
      }
    });
    child.once('error', (e) => {
      clearTimeout(timer);
      reject(new Error(`Xvfb (${XVFB}) did not start: ${e.message}. Install it with apt-get install xvfb`));
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`Xvfb exited (${code}) before giving a display: ${stderr.trim()}`));
    });
  }).catch((e: unknown) => {
    child.kill('SIGKILL');
    throw e;
  });
  return { display, process: child };
}

function stop(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 3_000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

/**
 * Starts Xvfb, WebKitWebDriver and a MiniBrowser session with a fresh HOME (its XDG download folder
 * is `downloadDir`). Session creation hangs without a working display, so every step is timed out
 * and fails with an error that says which one.
 */
export async function launchWebKit(
  options: {
    timeoutMs?: number;
    /** An X display to use instead of starting Xvfb (a developer's own screen, to watch the run). */
    display?: string;
  } = {},
): Promise<WebKitBrowser> {
  const started = performance.now();
  const timeoutMs = options.timeoutMs ?? 60_000;
  const home = mkdtempSync(join(tmpdir(), 'krypton-web-webkit-'));
  const downloadDir = join(home, 'Downloads');
  mkdirSync(downloadDir);
  mkdirSync(join(home, '.config'));
  writeFileSync(join(home, '.config', 'user-dirs.dirs'), `XDG_DOWNLOAD_DIR="${downloadDir}"\n`);
  let xvfb: ChildProcess | undefined;
  let driver: ChildProcess | undefined;
  const cleanUp = async () => {
    await stop(driver);
    await stop(xvfb);
    rmSync(home, { recursive: true, force: true });
  };
  try {
    const x = options.display !== undefined ? { display: options.display, process: undefined } : await startXvfb(10_000);
    xvfb = x.process;
    const port = await freePort();
    let driverLog = '';
    driver = spawn(WEBKIT_WEBDRIVER, [`--port=${port}`, '--host=local'], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: {
        ...process.env,
        DISPLAY: x.display,
        HOME: home,
        XDG_CONFIG_HOME: join(home, '.config'),
        XDG_DATA_HOME: join(home, '.local', 'share'),
        XDG_CACHE_HOME: join(home, '.cache'),
        // GPU rendering under Xvfb gives blank screenshots; the CPU renderer draws them.
        WEBKIT_SKIA_ENABLE_CPU_RENDERING: '1',
        // No accessibility bus on this machine: GTK would wait for one.
        NO_AT_BRIDGE: '1',
      },
    });
    driver.stdout?.on('data', (d: Buffer) => (driverLog = (driverLog + d.toString()).slice(-4000)));
    driver.stderr?.on('data', (d: Buffer) => (driverLog = (driverLog + d.toString()).slice(-4000)));
    const spawnFailed = new Promise<never>((_, reject) =>
      driver!.once('error', (e) => reject(new Error(`${WEBKIT_WEBDRIVER} did not start: ${e.message}. Install webkit2gtk-driver`))),
    );
    spawnFailed.catch(() => undefined);
    const base = `http://127.0.0.1:${port}`;
    const deadline = Date.now() + 10_000;
    for (;;) {
      const ready = await Promise.race([
        webdriverCall<{ ready: boolean }>(base, 'GET', '/status', undefined, 1_000).then(
          (s) => s.ready,
          () => false,
        ),
        spawnFailed,
      ]);
      if (ready) break;
      if (Date.now() > deadline)
        throw new EngineLaunchError('ENGINE_NOT_STARTED', `WebKitWebDriver did not answer on ${base} within 10 s: ${driverLog.trim()}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    let created: { sessionId: string };
    try {
      created = await webdriverCall<{ sessionId: string }>(
        base,
        'POST',
        '/session',
        { capabilities: { alwaysMatch: { 'webkitgtk:browserOptions': { binary: MINIBROWSER, args: ['--automation'] } } } },
        timeoutMs,
      );
    } catch (e) {
      throw new EngineLaunchError(
        'SESSION_NOT_CREATED',
        `WebKitWebDriver could not create a MiniBrowser session within ${timeoutMs} ms on display ${x.display} (${e instanceof Error ? e.message : String(e)}): ${driverLog.trim() || 'no driver output'}. Check that webkit2gtk-driver and xvfb are installed.`,
        { cause: e },
      );
    }
    const session = new WebDriverSession(base, created.sessionId);
    await session.command('POST', '/window/rect', { width: 1280, height: 900 }).catch(() => undefined);
    const launchMs = Math.round(performance.now() - started);
    return {
      engine: 'webkit',
      session,
      page: new WebKitPage(session),
      downloadDir,
      launchMs,
      close: async () => {
        await session.command('DELETE', '', undefined, 10_000).catch(() => undefined);
        await cleanUp();
      },
    };
  } catch (e) {
    await cleanUp();
    throw e;
  }
}
