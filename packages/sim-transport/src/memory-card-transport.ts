import { TransportError, type TransmitOptions } from '@krypton-web/krypton-core';
import { ExclusiveTransport } from './exclusive-transport.ts';

/** Anything that answers APDUs in memory: the lab's virtual USIM, or a test double. */
export interface MemoryCard {
  transmit(apdu: Uint8Array): Promise<Uint8Array>;
}

/** The link to a card that lives in memory (the demo's virtual SIM, and tests). */
export class MemoryCardTransport extends ExclusiveTransport {
  readonly kind = 'virtual';

  constructor(
    private readonly card: MemoryCard,
    readonly name = 'Virtual SIM',
  ) {
    super();
  }

  protected async exchange(apdu: Uint8Array, options: TransmitOptions): Promise<Uint8Array> {
    const answer = this.card.transmit(apdu);
    if (!options.signal) return answer;
    const signal = options.signal;
    return new Promise((resolve, reject) => {
      const onAbort = () => reject(new TransportError('ABORTED', 'The command was cancelled'));
      signal.addEventListener('abort', onAbort, { once: true });
      answer.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
    });
  }

  protected async release(): Promise<void> {}
}
