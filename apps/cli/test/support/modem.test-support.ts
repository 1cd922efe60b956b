import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { killGroup } from './processes.test-support.ts';

/** Two ptys joined by socat with nobody answering on the far side: a port that is not a modem. */
export async function startSilentPty(): Promise<{ path: string; stop(): Promise<void> }> {
  const dir = mkdtempSync(join(tmpdir(), 'krypton-silent-'));
  const path = join(dir, 'ttyUSB0');
  const socat = spawn('socat', [`pty,raw,echo=0,link=${path}`, `pty,raw,echo=0,link=${join(dir, 'other')}`], {
    stdio: 'ignore',
    detached: true,
  });
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
