import { BridgeClient, type BridgeEvent, type BridgeRemoteError, type BridgeSimSession, type ReaderInfo } from '@krypton-web/sim-transport';
import type { ModemInfo } from '@krypton-web/sim-transport';
import type { ModemSummary, ReaderSummary } from '../api.ts';
import { failure, relayedFailure } from '../failure.ts';
import { summary } from './modem-summary.ts';
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
  return { name: r.name, card: r.card, inUse: r.inUse, ...(r.kind === 'modem' && r.modem ? { modem: r.modem } : {}) };
}

/**
 * A SIM in a PC/SC reader or a USB modem, through the local bridge: the bridge runs the USIM commands
 * (and for a modem the AT engine) next to the device and answers with the narrow SIM command set; CK
 * arrives here, in the worker, never in the page.
 */
export class BridgeLink extends LockedSimLink {
  readonly kind: 'bridge' | 'bridge-modem';
  /** A modem's facts (maker, model, IMEI, signal, registration), as the Web Serial modem link gives them. */
  readonly modemInfo: (() => Promise<ModemSummary>) | undefined;

  private constructor(
    private readonly client: BridgeClient,
    private readonly session: BridgeSimSession,
  ) {
    super(session);
    this.kind = session.kind === 'modem' ? 'bridge-modem' : 'bridge';
    this.modemInfo =
      session.kind === 'modem'
        ? () =>
            this.lock.run(async () => {
              const { csim, ...info } = await session.modemInfo();
              return summary(info as ModemInfo, csim);
            })
        : undefined;
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
    if (session.kind === 'modem' && !session.csim) await link.refuseWithoutCsim();
    return link;
  }

  /** A modem that passes nothing to the SIM (no AT+CSIM) cannot authenticate: said at once, as the Web Serial link does. */
  private async refuseWithoutCsim(): Promise<never> {
    await this.close();
    throw failure(
      'MODEM_NO_CSIM',
      `The modem (${this.session.reader}) does not pass commands to the SIM (it refused AT+CSIM), so the SIM cannot be authenticated through it`,
      'Use a modem that supports AT+CSIM (Huawei MS2131, E3372 and similar), or put the SIM in a card reader',
      {},
    );
  }

  async close(): Promise<void> {
    this.lost = true;
    await this.session.close().catch(() => undefined);
    this.client.close();
  }
}
