/**
 * The lab's Huawei modem emulator behind a real pseudo-terminal, run in this process so a test sees
 * every AT command it received and its settings: `socat pty,link=<dir>/ttyUSB2 pty,link=<dir>/far`,
 * the emulator on the far end through serialport. Killing socat makes both ptys vanish, as unplugging
 * a USB modem makes its ttyUSB node vanish.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { SimProfile } from '@krypton-web/krypton-lab';
import { HuaweiModemEmulator, type HuaweiModemOptions } from '@krypton-web/krypton-lab/modem';
import { openNodeSerialChannel } from '@krypton-web/sim-transport/node';

/** An emulated modem on a pty. */
export interface PtyModem {
  /** The port the bridge opens (`--modem PATH`). */
  path: string;
  emulator: HuaweiModemEmulator;
  /** Every AT command line the emulator received, in order. */
  commands: string[];
  /** Kills socat: both ptys vanish under whoever holds them. Resolves once socat has exited. */
  unplug(): Promise<void>;
  stop(): Promise<void>;
}

/** Starts socat with two ptys and puts the emulator on the far one (`silent`: nobody there, a port that is not a modem's AT port). */
export async function startPtyModem(
  sim: SimProfile | string,
  options: HuaweiModemOptions = {},
  { silent = false }: { silent?: boolean } = {},
): Promise<PtyModem> {
  const dir = mkdtempSync(join(tmpdir(), 'bridge-modem-'));
  const path = join(dir, 'ttyUSB2');
  const far = join(dir, 'far');
  const socat = spawn('socat', [`pty,raw,echo=0,link=${path}`, `pty,raw,echo=0,link=${far}`], { stdio: 'ignore' });
  const exited = once(socat, 'exit');
  const deadline = Date.now() + 5000;
  while (!(existsSync(path) && existsSync(far))) {
    if (Date.now() > deadline || socat.exitCode !== null) throw new Error('socat did not create the ptys (apt-get install socat)');
    await new Promise((r) => setTimeout(r, 20));
  }
  const commands: string[] = [];
  const emulator = await HuaweiModemEmulator.create(sim, { ...options, onCommand: (line) => commands.push(line) });
  const channel = await openNodeSerialChannel({ path: far, lock: false });
  channel.start({
    onData: (bytes) => {
      if (!silent) emulator.receive(bytes);
    },
    onClose: () => undefined,
  });
  const detach = emulator.attach((bytes) => void channel.write(bytes.slice()).catch(() => undefined));
  const unplug = async () => {
    if (socat.exitCode === null && socat.signalCode === null) socat.kill('SIGKILL');
    await exited;
  };
  return {
    path,
    emulator,
    commands,
    unplug,
    stop: async () => {
      await unplug();
      detach();
      await channel.close().catch(() => undefined);
      emulator.dispose();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
