/** Codes of the errors raised by the card stack. */
export type StackErrorCode =
  /** An option is out of range or missing (no readers, a bad port, a timeline without SIMs). */
  | 'BAD_OPTION'
  /** No SIM of that name in the stack's profiles. */
  | 'UNKNOWN_SIM'
  /** The reader index is not one of the stack's readers. */
  | 'NO_SUCH_READER'
  /** A card is already in that reader: remove it first. */
  | 'READER_OCCUPIED'
  /** vpcd did not take the card (nothing listens on its port, or pcscd never powered the card). */
  | 'INSERT_TIMEOUT'
  /** A timeline is already running on this stack. */
  | 'BUSY'
  /** The stack was closed. */
  | 'CLOSED';

/** A card stack operation failed; the message says what to do. */
export class StackError extends Error {
  override readonly name = 'StackError';
  constructor(
    readonly code: StackErrorCode,
    message: string,
  ) {
    super(message);
  }
}
