import { Logger, startBridge, type ModemBackendOptions, type ReaderBackend, type RunningBridge } from '@krypton-web/bridge-server';
import type { Lab } from '@krypton-web/krypton-lab';
import { ensureBuilt } from './build.test-support.ts';

/** The product as `pnpm start` runs it: the bridge on a free loopback port serving the built app, with the lab mounted. */
export interface Stack {
  url: string;
  lab: Lab;
  bridge: RunningBridge;
  close(): Promise<void>;
}

/** What a test may choose about its stack. */
export interface StackOptions {
  pcsc?: boolean;
  /** A lab of the caller's: the stack owns it from this call on (it closes it, also when the start fails). */
  lab?: Lab;
  modems?: ModemBackendOptions | false;
  /** What the bridge's Krypton proxy calls SORACOM with (tests stand in for an unreachable or failing SORACOM). */
  upstreamFetch?: typeof fetch;
  /** The bridge's upstream timeout, ms (default 20 s). */
  upstreamTimeoutMs?: number;
  /** Reader backends besides PC/SC ([] leaves out the demo's virtual readers). */
  readers?: ReaderBackend[];
}

/** Builds the app when stale, then starts the real bridge in demo mode (PC/SC only when asked: it needs a pcscd). */
export async function startStack(options: StackOptions = {}): Promise<Stack> {
  let bridge: RunningBridge | undefined;
  try {
    const webRoot = await ensureBuilt();
    bridge = await startBridge({
      port: 0,
      lab: options.lab ?? true,
      webRoot,
      pcsc: options.pcsc ?? false,
      // This machine's own USB serial ports stay out of tests unless a test names its ports.
      modems: options.modems ?? false,
      log: new Logger(() => undefined),
      ...(options.upstreamFetch ? { upstreamFetch: options.upstreamFetch } : {}),
      ...(options.upstreamTimeoutMs ? { limits: { upstreamTimeoutMs: options.upstreamTimeoutMs } } : {}),
      // Readers of the test's own (a demo stack on its own timings) in place of the demo mode's.
      ...(options.readers ? { readers: options.readers } : {}),
    });
    // Tests read the seeded objects: the lab the bridge starts brings its S3 backend up in the background.
    await bridge.lab!.ready;
  } catch (e) {
    // A failed start leaves nothing listening: the caller has no stack to close.
    await bridge?.close().catch(() => undefined);
    await options.lab?.close().catch(() => undefined);
    throw e;
  }
  const running = bridge;
  return {
    url: running.url,
    lab: running.lab!,
    bridge: running,
    close: async () => {
      try {
        await running.close();
      } finally {
        // A lab given to the bridge is the caller's: the bridge leaves it running.
        await options.lab?.close();
      }
    },
  };
}
