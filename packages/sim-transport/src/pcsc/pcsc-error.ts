import { TransportError, type TransportErrorCode } from '@krypton-web/krypton-core';

/** What went wrong on a PC/SC link, finer than the transport code, for callers that react differently. */
export type PcscProblem =
  /** pcscd is not running, stopped, or the connection to it broke. */
  | 'no-service'
  /** pcscd runs but offers no reader. */
  | 'no-reader'
  /** No reader of that name (or it was unplugged). */
  | 'unknown-reader'
  /** The reader is empty. */
  | 'no-card'
  /** The card was pulled out (even if it is back now: the session is gone). */
  | 'card-removed'
  /** Another program reset the card: its volatile state (selection, PIN) is gone. */
  | 'card-reset'
  /** A card is in the reader but does not answer reset (upside down, dirty contacts, not a smart card). */
  | 'card-mute'
  /** Another program holds the card (exclusively, or shares it when we asked for exclusive use). */
  | 'sharing-violation'
  /** The same reader is already open on this service. */
  | 'already-open'
  /** The card did not answer within the transmit timeout. */
  | 'timeout'
  /** The caller cancelled. */
  | 'aborted'
  /** Transactions are not available on this connection (see PcscTransport.withTransaction). */
  | 'no-transaction'
  /** The service or transport was closed. */
  | 'closed'
  /** The native pcsclite module could not be loaded. */
  | 'no-module'
  /** Anything else the reader or pcscd reported. */
  | 'failed';

/** A PC/SC link failure: a TransportError (so krypton-core maps it) with the PC/SC problem and code. */
export class PcscError extends TransportError {
  /** The PC/SC return code (e.g. 0x8010000b), when pcscd gave one. */
  readonly scardCode: number | undefined;

  constructor(
    code: TransportErrorCode,
    readonly problem: PcscProblem,
    message: string,
    options: { cause?: unknown; scardCode?: number } = {},
  ) {
    super(code, message, options.cause === undefined ? undefined : { cause: options.cause });
    this.scardCode = options.scardCode;
  }
}

/** The PC/SC return codes the link tells apart (pcsclite.h); everything else is 'failed'. */
export const SCARD = {
  E_CANCELLED: 0x80100002,
  E_INVALID_HANDLE: 0x80100003,
  E_UNKNOWN_READER: 0x80100009,
  E_TIMEOUT: 0x8010000a,
  E_SHARING_VIOLATION: 0x8010000b,
  E_NO_SMARTCARD: 0x8010000c,
  E_PROTO_MISMATCH: 0x8010000f,
  E_NOT_READY: 0x80100010,
  F_COMM_ERROR: 0x80100013,
  E_NOT_TRANSACTED: 0x80100016,
  E_READER_UNAVAILABLE: 0x80100017,
  E_NO_SERVICE: 0x8010001d,
  E_SERVICE_STOPPED: 0x8010001e,
  E_NO_READERS_AVAILABLE: 0x8010002e,
  E_COMM_DATA_LOST: 0x8010002f,
  W_UNSUPPORTED_CARD: 0x80100065,
  W_UNRESPONSIVE_CARD: 0x80100066,
  W_UNPOWERED_CARD: 0x80100067,
  W_RESET_CARD: 0x80100068,
  W_REMOVED_CARD: 0x80100069,
} as const;

/** How to start pcscd, for messages. */
export const START_PCSCD = 'start pcscd (sudo systemctl start pcscd)';

/** Reads the PC/SC code at the end of a pcsclite error message ("…(0x8010000b)"). */
export function scardCodeOf(error: unknown): number | undefined {
  const message = (error as { message?: unknown } | null | undefined)?.message;
  if (typeof message !== 'string') return undefined;
  const m = /\(0x([0-9a-f]{1,8})\)\s*$/i.exec(message);
  return m ? parseInt(m[1]!, 16) : undefined;
}

/** Whether a PC/SC code means the connection to pcscd itself is gone. */
export function isServiceGone(scardCode: number | undefined): boolean {
  return (
    scardCode === SCARD.E_NO_SERVICE ||
    scardCode === SCARD.E_SERVICE_STOPPED ||
    scardCode === SCARD.F_COMM_ERROR ||
    scardCode === SCARD.E_INVALID_HANDLE
  );
}

/** The operation a native error came from, for the message. */
export type PcscOperation = 'connect' | 'transmit' | 'context';

/**
 * Turns a pcsclite error into a PcscError with a message a person can act on. `reader` names the
 * reader in the message; the native text stays in `cause` (it names no card data).
 */
export function pcscFailure(operation: PcscOperation, reader: string | undefined, error: unknown): PcscError {
  const scardCode = scardCodeOf(error);
  const r = reader === undefined ? 'the reader' : `reader "${reader}"`;
  const detail = (error as { message?: unknown } | null | undefined)?.message;
  const native = typeof detail === 'string' ? ` (${detail})` : '';
  const options = { cause: error, ...(scardCode === undefined ? {} : { scardCode }) };
  switch (scardCode) {
    case SCARD.E_NO_SERVICE:
    case SCARD.E_SERVICE_STOPPED:
    case SCARD.F_COMM_ERROR:
      return new PcscError(
        'TRANSPORT_FAILED',
        'no-service',
        `The PC/SC service (pcscd) is not running or stopped${native}: ${START_PCSCD}`,
        options,
      );
    case SCARD.E_INVALID_HANDLE:
      // After pcscd restarts, old handles are unknown to the new daemon.
      return new PcscError(
        'TRANSPORT_FAILED',
        'no-service',
        `The connection to the card in ${r} is no longer valid (pcscd restarted?)${native}: reconnect`,
        options,
      );
    case SCARD.E_NO_READERS_AVAILABLE:
      return new PcscError('TRANSPORT_FAILED', 'no-reader', `No card reader found: plug one in, or ${START_PCSCD}`, options);
    case SCARD.E_UNKNOWN_READER:
    case SCARD.E_READER_UNAVAILABLE:
      return new PcscError('TRANSPORT_FAILED', 'unknown-reader', `The card ${r} is not available (unplugged?)${native}`, options);
    case SCARD.E_SHARING_VIOLATION:
      return new PcscError(
        'TRANSPORT_FAILED',
        'sharing-violation',
        `Another program is using the reader${reader === undefined ? '' : ` "${reader}"`} (it holds the card to itself)${native}: close that program — another smart-card tool, or this app in another window — then try again`,
        options,
      );
    case SCARD.E_NO_SMARTCARD:
      return new PcscError('NO_CARD', 'no-card', `No card in ${r}: insert the SIM card`, options);
    case SCARD.W_REMOVED_CARD:
      return new PcscError('NO_CARD', 'card-removed', `The card was removed from ${r}: insert it again, then reconnect`, options);
    case SCARD.W_UNRESPONSIVE_CARD:
    case SCARD.W_UNPOWERED_CARD:
    case SCARD.W_UNSUPPORTED_CARD:
      return new PcscError(
        'NO_CARD',
        'card-mute',
        `The card in ${r} does not answer${native}: check that it is inserted the right way round, contacts down`,
        options,
      );
    case SCARD.W_RESET_CARD:
      return new PcscError(
        'TRANSPORT_FAILED',
        'card-reset',
        `The card in ${r} was reset by another program: reconnect and start the operation again`,
        options,
      );
    case SCARD.E_TIMEOUT:
      return new PcscError('TIMEOUT', 'timeout', `The card in ${r} did not answer in time${native}`, options);
    case SCARD.E_CANCELLED:
      return new PcscError('ABORTED', 'aborted', `The PC/SC ${operation} on ${r} was cancelled`, options);
    default:
      return new PcscError('TRANSPORT_FAILED', 'failed', `PC/SC ${operation} on ${r} failed${native}`, options);
  }
}
