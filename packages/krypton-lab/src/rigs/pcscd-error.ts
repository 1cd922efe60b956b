/** Codes of the errors raised by the pcscd harness. */
export type PcscdErrorCode =
  /** No pcscd binary where the harness looked. */
  | 'PCSCD_NOT_INSTALLED'
  /** pcscd is there but vsmartcard's vpcd driver is not. */
  | 'VPCD_DRIVER_MISSING'
  /** A pcscd the harness did not start is running: there can be only one per machine. */
  | 'PCSCD_ALREADY_RUNNING'
  /** The pcscd the harness started exited during start-up. */
  | 'PCSCD_EXITED'
  /** pcscd did not become ready in time. */
  | 'PCSCD_NOT_READY'
  /** An option is out of range (e.g. a port that leaves no room for port + 1). */
  | 'BAD_OPTION'
  /** The requested vpcd port (or the one after it) is taken. */
  | 'PORT_IN_USE'
  /** Another process held the machine-wide pcscd lock for too long. */
  | 'LOCK_TIMEOUT'
  /** The harness needs Linux (/proc, /run/pcscd). */
  | 'UNSUPPORTED_PLATFORM'
  /** The handle was used after stop(). */
  | 'STOPPED';

/** The pcscd harness could not give a test its own pcscd; the message says what to do. */
export class PcscdError extends Error {
  override readonly name = 'PcscdError';
  constructor(
    readonly code: PcscdErrorCode,
    message: string,
  ) {
    super(message);
  }
}
