/**
 * A loopback address whose route has `quickack 1`, so TCP connections to it acknowledge at once.
 *
 * Why: vpcd 0.8 sends each APDU as two segments with Nagle on, and the card side's delayed ACK
 * stalls the second one by ~40 ms (krypton-protocol.md §11). Node has no TCP_QUICKACK socket option;
 * a route metric does the same for every socket whose destination it covers. A /32 route for one
 * otherwise unused address (default 127.77.0.1) limits the effect to connections made to it: point
 * the card at `127.77.0.1:<vpcd port>` (vpcd listens on every interface) and nothing else on the
 * machine changes. Needs root (CAP_NET_ADMIN) and iproute2's `ip`.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** The loopback address used by default for quick ACKs. */
export const QUICKACK_LOOPBACK_ADDRESS = '127.77.0.1';

/** A route with quick ACKs to one loopback address; `disable()` removes it. */
export interface LoopbackQuickAck {
  readonly address: string;
  disable(): Promise<void>;
}

/** Codes of the errors raised when the quick-ACK route cannot be set. */
export type QuickAckErrorCode = 'BAD_ADDRESS' | 'ROUTE_FAILED';

/** The quick-ACK route could not be added (not root, no `ip`, or an address outside 127/8). */
export class QuickAckError extends Error {
  override readonly name = 'QuickAckError';
  constructor(
    readonly code: QuickAckErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/** Adds (or replaces) a `quickack 1` local route for `address`, a 127/8 address other than 127.0.0.1. */
export async function enableLoopbackQuickAck(address = QUICKACK_LOOPBACK_ADDRESS): Promise<LoopbackQuickAck> {
  if (!/^127\.(?:[0-9]{1,3}\.){2}[0-9]{1,3}$/.test(address) || address === '127.0.0.1') {
    throw new QuickAckError('BAD_ADDRESS', `quick ACKs are only set for a dedicated 127/8 address other than 127.0.0.1, got ${address}`);
  }
  const route = ['local', `${address}/32`, 'dev', 'lo', 'table', 'local'];
  try {
    await run('ip', ['route', 'replace', ...route, 'proto', 'static', 'scope', 'host', 'src', '127.0.0.1', 'quickack', '1']);
  } catch (e) {
    const err = e as { stderr?: string; message: string };
    throw new QuickAckError(
      'ROUTE_FAILED',
      `cannot add a quickack route for ${address} (needs root and iproute2): ${(err.stderr ?? err.message).trim()}`,
    );
  }
  let disabled = false;
  return {
    address,
    disable: async () => {
      if (disabled) return;
      disabled = true;
      await run('ip', ['route', 'del', ...route]).catch(() => undefined);
    },
  };
}
