import { toHex } from '@krypton-web/krypton-core';
import { demoProfileSet, findSim, VirtualUsim, type ProfileSet, type VirtualCard } from '@krypton-web/krypton-lab/browser';
import { MemoryCardTransport } from '@krypton-web/sim-transport';
import { DemoStackLane, type DemoStackOptions } from './demo-stack.ts';
import {
  DEMO_STACK_READER_NAME,
  VIRTUAL_READER_NAME,
  type BackendReader,
  type OpenedCard,
  type ReaderBackend,
  type ReaderChange,
} from './reader-backend.ts';

/**
 * Demo mode's card readers: a virtual USIM in memory behind the same session protocol as a real
 * PC/SC reader, so the "Card reader (bridge)" path can be tried with no reader and no pcscd; and,
 * when asked, the demo stack, a second reader whose cards come and go (batch checks).
 */
export class VirtualReaderBackend implements ReaderBackend {
  readonly kind = 'virtual';
  private card: VirtualCard | undefined;
  private readonly simName: string;
  private readonly profiles: ProfileSet;
  private readonly stack: DemoStackLane | undefined;

  /**
   * The demo SIM by default; another profile by name, or a card of the caller's (tests count its APDUs).
   * `stack` adds the demo stack reader (true for its default timings).
   */
  constructor(options: { sim?: string; profiles?: ProfileSet; card?: VirtualCard; stack?: boolean | DemoStackOptions } = {}) {
    this.simName = options.sim ?? 'demo';
    this.profiles = options.profiles ?? demoProfileSet();
    this.card = options.card;
    if (options.stack) this.stack = new DemoStackLane(this.profiles, options.stack === true ? {} : options.stack);
  }

  async readers(): Promise<BackendReader[]> {
    const card = await this.currentCard();
    const demo: BackendReader = { name: VIRTUAL_READER_NAME, card: true, atr: toHex(card.atr) };
    return this.stack ? [demo, this.stack.reader] : [demo];
  }

  onChange(listener: (change: ReaderChange) => void): () => void {
    // The demo reader's card never leaves: only the stack has changes to report.
    return this.stack ? this.stack.onChange(listener) : () => undefined;
  }

  async open(reader: string): Promise<OpenedCard> {
    if (reader === DEMO_STACK_READER_NAME && this.stack) return this.stack.open();
    if (reader !== VIRTUAL_READER_NAME) throw new Error(`no reader named ${reader}`);
    const card = await this.currentCard();
    card.reset();
    return { transport: new MemoryCardTransport(card, VIRTUAL_READER_NAME), atr: toHex(card.atr), protocol: 'T=0' };
  }

  async close(): Promise<void> {
    this.stack?.close();
  }

  private async currentCard(): Promise<VirtualCard> {
    // One card for the bridge's life: its SQN state persists across sessions like a real SIM's.
    this.card ??= await VirtualUsim.create(findSim(this.profiles, this.simName));
    return this.card;
  }
}
