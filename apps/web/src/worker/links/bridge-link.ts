import type { SimAuthenticator } from '@krypton-web/krypton-core';
import { BridgeClient, type BridgeEvent, type BridgeRemoteError, type BridgeSimSession, type ReaderInfo } from '@krypton-web/sim-transport';
import type { PinInfo, ReaderSummary } from '../api.ts';
import { failure } from '../failure.ts';
import { pinInfo, SimLock, type SimLink } from './sim-link.ts';

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
export class BridgeLink implements SimLink {
  readonly kind = 'bridge' as const;
  readonly authenticator: SimAuthenticator;
  private readonly lock = new SimLock();
  private lostListener: ((error: unknown) => void) | undefined;
  private lost = false;

  private constructor(
    private readonly client: BridgeClient,
    private readonly session: BridgeSimSession,
  ) {
    this.authenticator = {
      readImsi: () => this.lock.run(() => this.session.readImsi()),
      authenticate: (rand, autn) => this.lock.run(() => this.session.authenticate(rand, autn)),
    };
  }

  get name(): string {
    return this.session.reader;
  }

  /** Connects to the bridge and opens an exclusive session on `readerName`. */
  static async open(wsUrl: string, readerName: string, token: string | undefined, onReaders: (readers: ReaderSummary[]) => void): Promise<BridgeLink> {
    let link: BridgeLink | undefined;
    const early: unknown[] = [];
    const client = await BridgeClient.connect(wsUrl, {
      ...(token ? { token } : {}),
      onEvent: (event: BridgeEvent) => {
        if (event.event === 'readers') onReaders(event.readers.map(reader));
        else if (event.event === 'session-lost') {
          const error = failure(event.error.code, event.error.message, event.error.action || 'Put the SIM back in the reader, then connect again', {});
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

  readImsi(): Promise<string> {
    return this.authenticator.readImsi();
  }

  readIccid(): Promise<string | undefined> {
    return this.lock.run(() => this.session.readIccid());
  }

  async pinState(): Promise<PinInfo | undefined> {
    return pinInfo(await this.lock.run(() => this.session.pinState()));
  }

  async verifyPin(pin: string, allowLastTry: boolean): Promise<void> {
    await this.lock.run(() => this.session.verifyPin(pin, { allowLastTry }));
  }

  onLost(listener: (error: unknown) => void): void {
    this.lostListener = listener;
  }

  markLost(error: unknown): void {
    if (this.lost) return;
    this.lost = true;
    this.lostListener?.(error);
  }

  async close(): Promise<void> {
    this.lost = true;
    await this.session.close().catch(() => undefined);
    this.client.close();
  }
}
