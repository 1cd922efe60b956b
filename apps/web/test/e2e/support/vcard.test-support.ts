import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';

const LAB_BIN = fileURLToPath(new URL('../../../../../packages/krypton-lab/bin/lab.js', import.meta.url));

/** `pnpm lab vcard`: the lab's virtual USIM in the vpcd reader of a pcscd, as its own process. */
export interface Vcard {
  /** Takes the card out of the reader (stops the process). */
  remove(): Promise<void>;
}

export async function insertVcard(vpcdPort: number, sim = 'demo'): Promise<Vcard> {
  const child: ChildProcess = spawn(process.execPath, [LAB_BIN, 'vcard', '--vpcd', `127.0.0.1:${vpcdPort}`, '--sim', sim], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (out += c.toString()));
  const deadline = Date.now() + 20_000;
  while (!out.includes('is in the vpcd reader')) {
    if (child.exitCode !== null) throw new Error(`lab vcard exited (${child.exitCode}): ${out}`);
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`lab vcard did not reach vpcd: ${out}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    remove: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    },
  };
}
