import { KryptonError, type KryptonErrorCode } from '../errors/index.ts';

/** What a transport error code means for a person, and what they should do. */
const TRANSPORT_ERRORS: Readonly<Record<string, { code: KryptonErrorCode; message: string; action: string }>> = {
  TRANSPORT_BUSY: {
    code: 'TRANSPORT_BUSY',
    message: 'The link to the SIM is busy with another command.',
    action: 'Wait for the running operation to finish, then try again.',
  },
  TRANSPORT_CLOSED: {
    code: 'TRANSPORT_CLOSED',
    message: 'The link to the SIM is closed.',
    action: 'Reconnect the modem or card reader, then try again.',
  },
  TRANSPORT_FAILED: {
    code: 'TRANSPORT_FAILED',
    message: 'The link to the SIM failed.',
    action: 'Check the cable, reconnect the modem or card reader, and try again.',
  },
  NO_CARD: {
    code: 'NO_CARD',
    message: 'No SIM card answers in the reader or modem.',
    action: 'Reinsert the card (contacts down, fully in), then try again.',
  },
  ABORTED: {
    code: 'ABORTED',
    message: 'The SIM command was cancelled.',
    action: 'Start again when you are ready.',
  },
  TIMEOUT: {
    code: 'TIMEOUT',
    message: 'The SIM did not answer in time.',
    action: 'Reinsert the card or reconnect the modem, then try again.',
  },
};

/**
 * Maps anything a transport threw into a KryptonError. Transport errors are recognised by
 * `name === 'TransportError'` and their `code` (by shape, so a copy from another bundle counts too);
 * a DOM `AbortError` becomes ABORTED; a KryptonError passes through unchanged.
 */
export function transportFailure(error: unknown): KryptonError {
  if (error instanceof KryptonError) return error;
  const e = error as { name?: unknown; code?: unknown; message?: unknown } | null | undefined;
  if (e?.name === 'AbortError') return build('ABORTED', error);
  if (e?.name === 'TransportError' && typeof e.code === 'string' && e.code in TRANSPORT_ERRORS) return build(e.code, error);
  return build('TRANSPORT_FAILED', error);
}

function build(kind: string, cause: unknown): KryptonError {
  const known = TRANSPORT_ERRORS[kind]!;
  // The link's own words say which link and why (they carry no card data); keep them after ours.
  const detail = typeof (cause as { message?: unknown } | null)?.message === 'string' ? (cause as { message: string }).message : '';
  const message = detail && kind === 'TRANSPORT_FAILED' ? `${known.message.slice(0, -1)}: ${detail}` : known.message;
  return new KryptonError(known.code, message, known.action, {}, { cause });
}
