/**
 * The modem-through-bridge rig, for any browser engine's test: the lab's Huawei modem emulator behind a
 * real socat pty (`pnpm lab modem --stdio`), and the product's bridge in demo mode offering that pty as a
 * modem (`pnpm bridge --lab --modem PATH`). Drive the page with `connectBridgeModem` (web-driver) or the
 * same clicks: "USB modem (bridge)", the modem at `modem.path`, "Connect".
 */
import { startModemPty, type ModemPty } from '@krypton-web/krypton-lab/rigs';
import { startStack, type Stack } from './stack.test-support.ts';

/** A bridge (with the lab) serving the app, and the emulated modem it lists. */
export interface BridgeModemStack {
  stack: Stack;
  modem: ModemPty;
  close(): Promise<void>;
}

/** Starts the modem emulator on a pty (`modemArgs`: `pnpm lab modem` flags, e.g. `--personality slow`), then the bridge offering it. */
export async function startBridgeModemStack(modemArgs: readonly string[] = ['--sim', 'demo']): Promise<BridgeModemStack> {
  const modem = await startModemPty(modemArgs);
  let stack: Stack;
  try {
    stack = await startStack({ modems: { discover: false, paths: [modem.path] } });
  } catch (e) {
    await modem.stop();
    throw e;
  }
  return {
    stack,
    modem,
    close: async () => {
      await stack.close();
      await modem.stop();
    },
  };
}
