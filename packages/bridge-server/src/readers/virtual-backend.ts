import { toHex } from '@krypton-web/krypton-core';
import { demoProfileSet, findSim, VirtualUsim, type ProfileSet, type VirtualCard } from '@krypton-web/krypton-lab/browser';
import { MemoryCardTransport } from '@krypton-web/sim-transport';
import { VIRTUAL_READER_NAME, type BackendReader, type OpenedCard, type ReaderBackend, type ReaderChange } from './reader-backend.ts';

/**
 * Demo mode's card reader: a virtual USIM in memory behind the same session protocol as a real
 * PC/SC reader, so the "Card reader (bridge)" path can be tried with no reader and no pcscd.
 */
export class VirtualReaderBackend implements ReaderBackend {
  readonly kind = 'virtual';
  private card: VirtualCard | undefined;
  private readonly simName: string;
  private readonly profiles: ProfileSet;

  /** The demo SIM by default; another profile by name, or a card of the caller's (tests count its APDUs). */
  constructor(options: { sim?: string; profiles?: ProfileSet; card?: VirtualCard } = {}) {
    this.simName = options.sim ?? 'demo';
    this.profiles = options.profiles ?? demoProfileSet();
    this.card = options.card;
  }

  async readers(): Promise<BackendReader[]> {
    const card = await this.currentCard();
    return [{ name: VIRTUAL_READER_NAME, card: true, atr: toHex(card.atr) }];
  }

  onChange(_listener: (change: ReaderChange) => void): () => void {
    return () => undefined;
  }

  async open(reader: string): Promise<OpenedCard> {
    if (reader !== VIRTUAL_READER_NAME) throw new Error(`no reader named ${reader}`);
    const card = await this.currentCard();
    card.reset();
    return { transport: new MemoryCardTransport(card, VIRTUAL_READER_NAME), atr: toHex(card.atr), protocol: 'T=0' };
  }

  async close(): Promise<void> {}

  private async currentCard(): Promise<VirtualCard> {
    // One card for the bridge's life: its SQN state persists across sessions like a real SIM's.
    this.card ??= await VirtualUsim.create(findSim(this.profiles, this.simName));
    return this.card;
  }
}
