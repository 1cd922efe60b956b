/**
 * The one interface every link to a SIM implements: carry one command APDU to the card and bring
 * its response back. Links do no T=0 handling of their own (krypton-core does it once for all):
 * `transmit` returns exactly what the card answered, status word included.
 */
export interface ApduTransport {
  /** What kind of link this is, for traces and messages ("virtual", "pcsc", "serial", "bridge"). */
  readonly kind: string;
  /** A human name for the link ("Virtual PCD 00 00", "Huawei E3372 on /dev/ttyUSB2"). */
  readonly name: string;
  /**
   * Sends one command APDU and resolves with the response APDU (data ‖ SW1 ‖ SW2).
   * One exchange at a time: a call while another is in flight rejects with code TRANSPORT_BUSY.
   * After close() every call rejects with code TRANSPORT_CLOSED.
   */
  transmit(apdu: Uint8Array, options?: TransmitOptions): Promise<Uint8Array>;
  /** Ends the link; waits for an exchange in flight to finish (or fail) first. */
  close(): Promise<void>;
}

/** Per-exchange options. */
export interface TransmitOptions {
  /** Aborts waiting for the answer; the link then decides whether it is still usable. */
  signal?: AbortSignal;
}

/**
 * A link that can name the SIM's IMSI without APDUs: a modem that answers `AT+CIMI` but offers no
 * `AT+CSIM`, for example. krypton-core uses it when present and the card cannot be read directly.
 */
export interface ImsiSource {
  readImsi(options?: TransmitOptions): Promise<string>;
}

/** Codes of the errors links raise; krypton-core maps them into its own error family. */
export type TransportErrorCode = 'TRANSPORT_BUSY' | 'TRANSPORT_CLOSED' | 'TRANSPORT_FAILED' | 'NO_CARD' | 'ABORTED' | 'TIMEOUT';

/** A failure of the link itself (not of the card): the card may never have seen the command. */
export class TransportError extends Error {
  override readonly name = 'TransportError';
  constructor(
    readonly code: TransportErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** Whether a transport can also read the IMSI by itself. */
export function isImsiSource(value: unknown): value is ImsiSource {
  return typeof value === 'object' && value !== null && typeof (value as Partial<ImsiSource>).readImsi === 'function';
}
