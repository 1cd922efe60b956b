import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT } from '@krypton-web/build/workspace';

/** The lab command's bin (run directly: `pnpm lab` would add pnpm's own start-up to every plug-in). */
const LAB_BIN = join(ROOT, 'packages', 'krypton-lab', 'bin', 'lab.js');

/** The lab's Huawei modem emulator behind a real pseudo-terminal, as a USB modem's AT port would be. */
export interface ModemPty {
  /** The pty to open, like /dev/ttyUSB2. */
  path: string;
  socat: ChildProcess;
  /** Pulls the modem out: kills socat alone, so the pty vanishes under whoever holds it. */
  unplug(): void;
  /** Stops everything this fixture started and removes its directory. */
  stop(): Promise<void>;
}

/**
 * Starts `socat pty,raw,echo=0,link=<tmp>/ttyUSB2 EXEC:"node …/lab.js modem --stdio <args>"` in its own
 * process group and resolves once the emulator is up. Needs Debian's socat.
 */
export async function startModemPty(
  modemArgs: readonly string[] = [],
  options: { labCommand?: readonly string[] } = {},
): Promise<ModemPty> {
  const dir = mkdtempSync(join(tmpdir(), 'krypton-modem-'));
  const path = join(dir, 'ttyUSB2');
  // `labCommand`: another lab command speaking AT on stdio (`replay FILE --stdio`), announced the same way.
  const exec = [process.execPath, LAB_BIN, ...(options.labCommand ?? ['modem', '--stdio']), ...modemArgs].join(' ');
  const socat = spawn('socat', [`pty,raw,echo=0,link=${path}`, `EXEC:${exec}`], {
    cwd: ROOT,
    stdio: ['ignore', 'ignore', 'pipe'],
    detached: true,
  });
  let stderr = '';
  const exited = once(socat, 'exit');
  const killGroup = (signal: NodeJS.Signals) => {
    try {
      if (socat.pid !== undefined) process.kill(-socat.pid, signal);
    } catch {
      // Already gone.
    }
  };
  const stop = async () => {
    if (socat.exitCode === null && socat.signalCode === null) {
      killGroup('SIGTERM');
      const timer = setTimeout(() => killGroup('SIGKILL'), 2000);
      await exited;
      clearTimeout(timer);
    }
    // pnpm and node under socat share the group: none of it may outlive the test.
    killGroup('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`the modem emulator did not start in 15 s: ${stderr}`)), 15_000);
      socat.once('error', (e) => reject(new Error(`socat could not start (apt-get install socat): ${e.message}`)));
      socat.stderr.on('data', (d: Buffer) => {
        stderr += d.toString();
        if (/modem: (Huawei|replaying)/.test(stderr) && existsSync(path)) {
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
