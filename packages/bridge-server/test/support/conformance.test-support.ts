/** Runs the shared SIM conformance suite over the page's bridge client, against a real bridge. */
import { BridgeClient, BridgeRemoteError } from '@krypton-web/sim-transport';
import type { SimSessionUnderTest } from '@krypton-web/integration/link-conformance';
import { wsFrom } from './harness.test-support.ts';

export { describeSimCommandConformance } from '@krypton-web/integration/link-conformance';

/** The bridge's form of a krypton-core error: its code carried across intact. */
export const isBridgeError = (e: unknown, code: string): boolean => e instanceof BridgeRemoteError && e.code === code;

/**
 * Opens a session on `reader` as the bridge's own page would (BridgeClient over `ws`, our Origin),
 * with `openAnother` connecting a second page to the same reader.
 */
export async function bridgeSession(bridgeUrl: string, reader: string, dispose?: () => Promise<void>): Promise<SimSessionUnderTest> {
  const wsUrl = `${bridgeUrl.replace('http:', 'ws:')}/ws`;
  const connect = () => BridgeClient.connect(wsUrl, { WebSocket: wsFrom(bridgeUrl) });
  const clients: BridgeClient[] = [];
  const client = await connect();
  clients.push(client);
  const session = await client.open(reader);
  return {
    sim: session,
    close: () => session.close(),
    openAnother: async () => {
      const other = await connect();
      clients.push(other);
      const s = await other.open(reader);
      return { sim: s, close: () => s.close() };
    },
    dispose: async () => {
      clients.forEach((c) => c.close());
      await dispose?.();
    },
  };
}
