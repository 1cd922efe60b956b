/**
 * Every failure krypton-core reports, by a stable code. UIs translate by code; the English message
 * and action here are the fallback, and always say what happened and what to do next.
 */
export type KryptonErrorCode =
  // The link to the SIM
  | 'TRANSPORT_BUSY'
  | 'TRANSPORT_CLOSED'
  | 'TRANSPORT_FAILED'
  | 'NO_CARD'
  // The SIM
  | 'NO_USIM'
  | 'PIN_REQUIRED'
  | 'PIN_WRONG'
  | 'PIN_BLOCKED'
  | 'PUK_BLOCKED'
  | 'PIN_LAST_TRY'
  | 'PUK_WRONG'
  | 'PUK_LAST_TRY'
  | 'PIN_DISABLED'
  | 'MAC_FAILURE'
  | 'CARD_ERROR'
  // Key agreement (Keys API)
  | 'KEYS_API_REFUSED'
  | 'RESYNC_FAILED'
  | 'VERIFY_REFUSED'
  // Provisioning API
  | 'SIGNATURE_REFUSED'
  | 'CLOCK_SKEW'
  | 'OPERATION_REFUSED'
  | 'NOT_ON_SORACOM_AIR'
  // AWS
  | 'COGNITO_REFUSED'
  // Any HTTP service
  | 'SERVER_ERROR'
  | 'NETWORK_UNREACHABLE'
  | 'TIMEOUT'
  | 'ABORTED'
  // The bridge's proxy could not get an answer from the Krypton endpoint (relayed by code from its 502/504)
  | BridgeUpstreamCode
  // Local storage (the key cache)
  | 'STORAGE_UNAVAILABLE'
  // Inputs and answers
  | 'BAD_INPUT'
  | 'MALFORMED_ANSWER';

/** The bridge proxy's codes for an upstream it could not get a sound answer from (bridge-server's `BridgeHttpErrorCode`). */
export type BridgeUpstreamCode =
  'UPSTREAM_UNREACHABLE' | 'UPSTREAM_TIMEOUT' | 'UPSTREAM_BROKEN' | 'UPSTREAM_TOO_LARGE' | 'UPSTREAM_REDIRECT' | 'UPSTREAM_NOT_JSON';

/** Facts that came with a failure, for display and for deciding what to do. */
export interface KryptonErrorDetails {
  /** Status word from the card (e.g. 0x6982). */
  sw?: number;
  /** PIN or PUK tries left, when the card said. */
  triesLeft?: number;
  /** HTTP status of a refused request. */
  status?: number;
  /** The server's own error code and message, exactly as sent (SORACOM `{code, message}`, AWS `__type`). */
  serverCode?: string;
  serverMessage?: string;
  /** Which step failed (`imsi`, `keys.start`, `authenticate`, `provisioning`, `cognito`, ...). */
  step?: string;
  /** The host that failed to answer or answered with an error (the upstream behind the bridge, when it said). */
  host?: string;
  /** Why an upstream could not be reached, as the bridge said: `dns`, `refused`, `network` or `timeout`. */
  reason?: string;
  /** Measured difference between the server clock and ours, milliseconds (server minus local). */
  clockOffsetMs?: number;
}

/** The one error type krypton-core throws: a code, what happened, what to do, and the facts. */
export class KryptonError extends Error {
  override readonly name = 'KryptonError';
  readonly code: KryptonErrorCode;
  /** What the person should do next. */
  readonly action: string;
  readonly details: KryptonErrorDetails;

  constructor(code: KryptonErrorCode, message: string, action: string, details: KryptonErrorDetails = {}, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.action = action;
    this.details = details;
  }

  /** Whether a value is a KryptonError, optionally with one of the given codes. */
  static is(value: unknown, ...codes: KryptonErrorCode[]): value is KryptonError {
    return value instanceof KryptonError && (codes.length === 0 || codes.includes(value.code));
  }

  /** A plain-data form for postMessage/comlink and logs (secrets never enter errors). */
  toJSON(): { code: KryptonErrorCode; message: string; action: string; details: KryptonErrorDetails } {
    return { code: this.code, message: this.message, action: this.action, details: this.details };
  }
}
