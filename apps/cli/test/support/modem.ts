import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { killGroup, repoRoot } from './processes.ts';

/** The lab's Huawei modem emulator behind a real pty, as `socat pty,raw,echo=0,link=P EXEC:"pnpm lab modem --stdio"`. */
export interface ModemProcess {
  /** The pty link to open, like /dev/ttyUSB2. */
  path: string;
  socat: ChildProcess;
  /** Pulls the modem out: kills socat alone, so the pty goes away under whoever holds it. */
  unplug(): void;
  /** Kills everything this fixture started and removes its directory. */
  stop(): Promise<void>;
}

/** Starts the emulator (its own process group) and waits until it says it is listening. */
export async function startModem(modemArgs: readonly string[] = []): Promise<ModemProcess> {
  const dir = mkdtempSync(join(tmpdir(), 'krypton-modem-'));
  const path = join(dir, 'ttyUSB2');
  const exec = ['pnpm', 'lab', 'modem', '--stdio', ...modemArgs].join(' ');
  const socat = spawn('socat', [`pty,raw,echo=0,link=${path}`, `EXEC:${exec}`], { cwd: repoRoot, stdio: ['ignore', 'ignore', 'pipe'], detached: true });
  let stderr = '';
  const exited = once(socat, 'exit');
  const stop = async () => {
    if (socat.exitCode === null && socat.signalCode === null) {
      killGroup(socat, 'SIGTERM');
      const timer = setTimeout(() => killGroup(socat, 'SIGKILL'), 2000);
      await exited;
      clearTimeout(timer);
    }
    // The emulator (pnpm and node under socat) shares the group: make sure none of it outlives the test.
    killGroup(socat, 'SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`the modem emulator did not start in 15 s: ${stderr}`)), 15_000);
      socat.stderr!.on('data', (d: Buffer) => {
        stderr += d.toString();
        if (/modem: Huawei/.test(stderr) && existsSync(path)) {
          clearTimeout(timer);
          resolve();
        }
      });
      void exited.then(() => {
        clearTimeout(timer);
        reject(new Error(`socat exited: ${stderr}`));
      });
    });
  } catch (e) {
    await stop();
    throw e;
  }
  return {
    path,
    socat,
    unplug: () => {
      if (socat.pid !== undefined) process.kill(socat.pid, 'SIGKILL');
    },
    stop,
  };
}

/** Two ptys joined by socat with nobody answering on the far side: a port that is not a modem. */
export async function startSilentPty(): Promise<{ path: string; stop(): Promise<void> }> {
  const dir = mkdtempSync(join(tmpdir(), 'krypton-silent-'));
  const path = join(dir, 'ttyUSB0');
  const socat = spawn('socat', [`pty,raw,echo=0,link=${path}`, `pty,raw,echo=0,link=${join(dir, 'other')}`], { stdio: 'ignore', detached: true });
  const exited = once(socat, 'exit');
  const deadline = Date.now() + 5000;
  while (!existsSync(path) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  return {
    path,
    stop: async () => {
      if (socat.exitCode === null && socat.signalCode === null) {
        killGroup(socat, 'SIGKILL');
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
