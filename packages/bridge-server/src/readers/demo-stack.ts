import { KryptonError, toHex, TransportError } from '@krypton-web/krypton-core';
import { DEMO_BOX_SIMS, findSim, VirtualUsim, type ProfileSet } from '@krypton-web/krypton-lab/browser';
import { MemoryCardTransport, type MemoryCard } from '@krypton-web/sim-transport';
import { DEMO_STACK_READER_NAME, type BackendReader, type OpenedCard, type ReaderChange } from './reader-backend.ts';

/** How the demo stack deals its cards; tests shorten the times. */
export interface DemoStackOptions {
  /** How long each card stays in the reader (default 6 s). */
  insertedMs?: number;
  /** How long the reader stays empty between cards (default 2 s). */
  removedMs?: number;
  /** The SIMs dealt, in order, round and round (default: the lab's twelve-SIM demo box). */
  sims?: readonly string[];
}

/** A dealt card: the fresh USIM while it is in the reader, then nothing but NO_CARD. */
class DealtCard implements MemoryCard {
  #pulled = false;

  constructor(
    readonly usim: VirtualUsim,
    readonly sim: string,
  ) {}

  /** The card leaves the reader: a command still on its way finds no card, as with a real reader. */
  pull(): void {
    this.#pulled = true;
    this.usim.powerOff();
  }

  async transmit(apdu: Uint8Array): Promise<Uint8Array> {
    if (this.#pulled) throw new TransportError('NO_CARD', `The card was removed from "${DEMO_STACK_READER_NAME}"`);
    return this.usim.transmit(apdu);
  }
}

/**
 * The demo stack reader: a box of virtual SIMs dealt into one reader on a timeline (in for a few
 * seconds, out, the next one), so the batch check screen can be tried without hardware. Every card
 * is a fresh VirtualUsim from its profile, as each card of a real box is its own piece of plastic.
 */
export class DemoStackLane {
  readonly #profiles: ProfileSet;
  readonly #sims: readonly string[];
  readonly #insertedMs: number;
  readonly #removedMs: number;
  readonly #listeners = new Set<(change: ReaderChange) => void>();
  #card: DealtCard | undefined;
  #dealt = 0;
  #timer: NodeJS.Timeout | undefined;
  #closed = false;

  /** Starts dealing at once: the first card goes in as soon as it is built. */
  constructor(profiles: ProfileSet, options: DemoStackOptions = {}) {
    this.#profiles = profiles;
    this.#insertedMs = positive(options.insertedMs ?? 6000, 'insertedMs');
    this.#removedMs = positive(options.removedMs ?? 2000, 'removedMs');
    this.#sims = [...(options.sims ?? DEMO_BOX_SIMS)];
    if (this.#sims.length === 0) throw new RangeError('demo stack: sims must name at least one SIM');
    // An unknown name fails here, at start, rather than minutes later when its turn comes.
    for (const name of this.#sims) findSim(profiles, name);
    void this.#insert();
  }

  /** The reader as the bridge lists it: with its card's ATR while a card is in. */
  get reader(): BackendReader {
    return this.#card
      ? { name: DEMO_STACK_READER_NAME, card: true, atr: toHex(this.#card.usim.atr) }
      : { name: DEMO_STACK_READER_NAME, card: false };
  }

  /** The name of the SIM in the reader now, or undefined between cards. */
  get sim(): string | undefined {
    return this.#card?.sim;
  }

  /** Calls `listener` when a card goes in ({type:'readers'}) or comes out (card-removed, then readers). */
  onChange(listener: (change: ReaderChange) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Connects to the card in the reader now; NO_CARD between cards. */
  open(): OpenedCard {
    const card = this.#card;
    if (!card) {
      throw new KryptonError(
        'NO_CARD',
        `There is no card in "${DEMO_STACK_READER_NAME}" right now`,
        'The demo stack puts a new card in every few seconds: wait for it, then open the reader again',
      );
    }
    card.usim.reset();
    return { transport: new MemoryCardTransport(card, DEMO_STACK_READER_NAME), atr: toHex(card.usim.atr), protocol: 'T=0' };
  }

  /** Stops dealing; the card in the reader stays where it is, silently. Idempotent. */
  close(): void {
    this.#closed = true;
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#listeners.clear();
  }

  async #insert(): Promise<void> {
    const sim = this.#sims[this.#dealt++ % this.#sims.length]!;
    let usim: VirtualUsim | undefined;
    try {
      usim = await VirtualUsim.create(findSim(this.#profiles, sim));
    } catch {
      // A card that cannot be built is skipped: the reader stays empty for its turn.
    }
    if (this.#closed) return;
    if (!usim) {
      this.#after(this.#insertedMs + this.#removedMs, () => void this.#insert());
      return;
    }
    this.#card = new DealtCard(usim, sim);
    this.#notify({ type: 'readers' });
    this.#after(this.#insertedMs, () => this.#remove());
  }

  #remove(): void {
    const card = this.#card;
    this.#card = undefined;
    card?.pull();
    // As the PC/SC backend does: first end the sessions on the reader, then refresh every page's list.
    this.#notify({ type: 'card-removed', reader: DEMO_STACK_READER_NAME });
    this.#notify({ type: 'readers' });
    this.#after(this.#removedMs, () => void this.#insert());
  }

  #after(ms: number, next: () => void): void {
    if (this.#closed) return;
    this.#timer = setTimeout(next, ms);
    // A demo reader must never be what keeps a finished process alive.
    this.#timer.unref();
  }

  #notify(change: ReaderChange): void {
    for (const listener of this.#listeners) {
      try {
        listener(change);
      } catch {
        // One listener's failure must not stop the others hearing of the change.
      }
    }
  }
}

function positive(ms: number, name: string): number {
  if (!(Number.isFinite(ms) && ms > 0)) throw new RangeError(`demo stack: ${name} must be a positive number of milliseconds, got ${ms}`);
  return ms;
}
