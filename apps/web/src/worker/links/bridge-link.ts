import { BridgeClient, type BridgeEvent, type BridgeRemoteError, type BridgeSimSession, type ReaderInfo } from '@krypton-web/sim-transport';
import type { ReaderSummary } from '../api.ts';
import { relayedFailure } from '../failure.ts';
import { LockedSimLink } from './sim-link.ts';

/** The readers a bridge sees, over a short-lived connection. */
export async function listBridgeReaders(wsUrl: string, token: string | undefined): Promise<ReaderSummary[]> {
  const client = await BridgeClient.connect(wsUrl, token ? { token } : {});
  try {
    return (await client.readers()).map(reader);
  } finally {
    client.close();
  }
}

export function reader(r: ReaderInfo): ReaderSummary {
  return { name: r.name, card: r.card, inUse: r.inUse };
}

/**
 * A SIM in a PC/SC reader, through the local bridge: the bridge runs the USIM commands next to
 * pcscd and answers with the narrow SIM command set; CK arrives here, in the worker, never in the page.
 */
export class BridgeLink extends LockedSimLink {
  readonly kind = 'bridge' as const;

  private constructor(
    private readonly client: BridgeClient,
    private readonly session: BridgeSimSession,
  ) {
    super(session);
  }

  get name(): string {
    return this.session.reader;
  }
  /** Connects to the bridge and opens an exclusive session on `readerName`. */
  static async open(
    wsUrl: string,
    readerName: string,
    token: string | undefined,
    onReaders: (readers: ReaderSummary[]) => void,
  ): Promise<BridgeLink> {
    let link: BridgeLink | undefined;
    const early: unknown[] = [];
    const client = await BridgeClient.connect(wsUrl, {
      ...(token ? { token } : {}),
      onEvent: (event: BridgeEvent) => {
        if (event.event === 'readers') onReaders(event.readers.map(reader));
        else if (event.event === 'session-lost') {
          const error = relayedFailure(
            event.error.code,
            event.error.message,
            event.error.action || 'Put the SIM back in the reader, then connect again',
            {},
          );
          if (link) link.markLost(error);
          else early.push(error);
        }
      },
      onClose: (error: BridgeRemoteError) => link?.markLost(error),
    });
    let session: BridgeSimSession;
    try {
      session = await client.open(readerName);
    } catch (e) {
      client.close();
      throw e;
    }
    link = new BridgeLink(client, session);
    if (early.length > 0) link.markLost(early[0]);
    return link;
  }

  async close(): Promise<void> {
    this.lost = true;
    await this.session.close().catch(() => undefined);
    this.client.close();
  }
}
