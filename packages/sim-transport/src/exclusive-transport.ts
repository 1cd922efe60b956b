import { TransportError, type ApduTransport, type TransmitOptions } from '@krypton-web/krypton-core';

/** Shortest command APDU (CLA INS P1 P2). */
const MIN_APDU = 4;
/** Longest short-form command APDU: header, Lc, 255 data bytes, Le. */
const MAX_APDU = 4 + 1 + 255 + 1;

/**
 * The rules every link shares, written once: one exchange at a time (a second call is an error,
 * never an interleave), no exchange after close(), and close() waits for the exchange in flight.
 * A link implements only `exchange` and `release`.
 */
export abstract class ExclusiveTransport implements ApduTransport {
  abstract readonly kind: string;
  abstract readonly name: string;
  private inFlight: Promise<Uint8Array> | undefined;
  private closing: Promise<void> | undefined;

  /** Sends one APDU through the link (see ApduTransport.transmit). */
  async transmit(apdu: Uint8Array, options: TransmitOptions = {}): Promise<Uint8Array> {
    if (this.closing) throw new TransportError('TRANSPORT_CLOSED', `The link to the SIM (${this.name}) is closed`);
    if (this.inFlight) throw new TransportError('TRANSPORT_BUSY', `The link to the SIM (${this.name}) is busy with another command`);
    if (apdu.length < MIN_APDU || apdu.length > MAX_APDU)
      throw new RangeError(`a command APDU has 4 to ${MAX_APDU} bytes, got ${apdu.length}`);
    if (options.signal?.aborted) throw new TransportError('ABORTED', 'The command was cancelled before it was sent');
    const exchange = this.exchange(apdu.slice(), options);
    this.inFlight = exchange;
    try {
      const response = await exchange;
      if (response.length < 2)
        throw new TransportError('TRANSPORT_FAILED', `The SIM answered ${response.length} byte(s), without a status word`);
      return response;
    } finally {
      this.inFlight = undefined;
    }
  }

  /** Closes the link once the exchange in flight, if any, has settled. Idempotent. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      await this.inFlight?.catch(() => undefined);
      await this.release();
    })();
    return this.closing;
  }

  /** Whether close() has been called. */
  get closed(): boolean {
    return this.closing !== undefined;
  }

  /** Carries one APDU over the link; called with exclusivity already guaranteed. */
  protected abstract exchange(apdu: Uint8Array, options: TransmitOptions): Promise<Uint8Array>;
  /** Frees what the link holds (a port, a reader, a socket). */
  protected abstract release(): Promise<void>;
}
