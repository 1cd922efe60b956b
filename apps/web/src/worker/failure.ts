import type { Failure, FailureDetails } from './api.ts';
import { enFailures, isFailureCode } from '../lib/i18n/en-failures.ts';
import type { FailureCode } from './failure-codes.ts';

/** Codes a SIM link's own errors carry (TransportError, BridgeRemoteError, AtError) that map onto krypton-core's. */
const LINK_CODES = new Set(['TRANSPORT_BUSY', 'TRANSPORT_CLOSED', 'TRANSPORT_FAILED', 'NO_CARD', 'ABORTED', 'TIMEOUT', 'DISCONNECTED']);

/** A failure the worker raises itself (S3, downloads, bad input). */
export function failure(
  code: FailureCode,
  message: string,
  action: string,
  details: FailureDetails = {},
  extra: Partial<Failure> = {},
): Failure {
  return { code, message, action, details, ...extra };
}

/** A failure relayed from elsewhere (a bridge event, krypton-core's credential events): its code is kept as it came. */
export function relayedFailure(code: string, message: string, action: string, details: FailureDetails = {}): Failure {
  return { code, message, action, details };
}

/**
 * Any thrown value as a Failure: krypton-core's KryptonError and the bridge's errors keep their code,
 * message, action and facts; anything else becomes UNEXPECTED with its message. Errors carry no
 * secrets (krypton-core guarantees it for its own; the rest are link and HTTP errors).
 */
export function toFailure(e: unknown, fallbackAction = 'Try again; if it repeats, reload the page'): Failure {
  if (isFailureLike(e)) return e;
  const err = e as { code?: unknown; message?: unknown; action?: unknown; details?: unknown; name?: unknown } | undefined;
  const message = typeof err?.message === 'string' ? err.message : String(e);
  const code = typeof err?.code === 'string' ? err.code : err?.name === 'AbortError' ? 'ABORTED' : 'UNEXPECTED';
  const action =
    typeof err?.action === 'string' && err.action
      ? err.action
      : LINK_CODES.has(code)
        ? linkAction(code)
        : (knownAction(code) ?? fallbackAction);
  return { code, message, action, details: plainDetails(err?.details) };
}

/** The English action of a known code, for errors that came without one (an AT modem's, the bridge's). */
function knownAction(code: string): string | undefined {
  return isFailureCode(code) ? enFailures[code].action : undefined;
}

function linkAction(code: string): string {
  switch (code) {
    case 'NO_CARD':
      return 'Insert the SIM (or put it back in the reader), then connect again';
    case 'TIMEOUT':
      return 'Check the reader or modem and try again';
    case 'TRANSPORT_CLOSED':
      return 'Connect the SIM again';
    case 'DISCONNECTED':
      return 'Plug the modem back in, wait a few seconds, then connect again';
    default:
      return 'Check the connection to the SIM and connect again';
  }
}

function plainDetails(details: unknown): FailureDetails {
  if (typeof details !== 'object' || details === null) return {};
  const out: Record<string, string | number> = {};
  for (const [k, v] of Object.entries(details as Record<string, unknown>)) {
    if (typeof v === 'string' || typeof v === 'number') out[k] = v;
  }
  return out;
}

function isFailureLike(e: unknown): e is Failure {
  return (
    typeof e === 'object' &&
    e !== null &&
    !(e instanceof Error) &&
    typeof (e as Failure).code === 'string' &&
    typeof (e as Failure).action === 'string' &&
    typeof (e as Failure).details === 'object'
  );
}
