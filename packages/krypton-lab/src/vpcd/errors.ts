/** Codes of the errors raised by the vpcd framing and connector. */
export type VpcdErrorCode =
  /** A frame announced more bytes than the decoder accepts, or a payload is too long to frame. */
  | 'FRAME_TOO_LARGE'
  /** A frame of length 0: vpcd never sends one, and treats receiving one as an ejected card. */
  | 'EMPTY_FRAME'
  /** The stream ended in the middle of a frame. */
  | 'TRUNCATED_FRAME'
  /** A decoder that already failed was fed again: the stream is out of step and must be dropped. */
  | 'DECODER_FAILED'
  /** A 1-byte message carried a control code vpcd does not define. */
  | 'UNKNOWN_CONTROL'
  /** The virtual card threw while answering; the reader got `6F00` instead. */
  | 'CARD_FAILED'
  /** A connection option is invalid (host, port, backoff). */
  | 'BAD_OPTION'
  /** Waiting for the connection took longer than allowed. */
  | 'TIMEOUT'
  /** The connection was closed while something waited for it. */
  | 'CLOSED';

/** A vpcd framing or connection failure, with a code to branch on and a message for people. */
export class VpcdError extends Error {
  override readonly name = 'VpcdError';
  constructor(
    readonly code: VpcdErrorCode,
    message: string,
  ) {
    super(message);
  }
}
