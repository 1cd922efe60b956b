import { TransportError, type TransportErrorCode } from '@krypton-web/krypton-core';

/** Why an AT command failed. */
export type AtErrorCode =
  /** The modem answered `ERROR` (or Huawei's `TOO MANY PARAMETERS`): bad syntax, or it refuses without saying why. */
  | 'ERROR'
  /** The modem answered `+CME ERROR` (equipment error, TS 27.007 §9.2); `cme` says which. */
  | 'CME_ERROR'
  /** The modem answered `+CMS ERROR` (SMS error, TS 27.005 §3.2.5); `cms` says which. */
  | 'CMS_ERROR'
  /** `NO CARRIER` as the final result of a call command. */
  | 'NO_CARRIER'
  /** Huawei's `COMMAND NOT SUPPORT`: this firmware lacks the command. */
  | 'NOT_SUPPORTED'
  /** No final result in time; the engine resynchronises before the next command. */
  | 'TIMEOUT'
  /** The caller's AbortSignal fired. */
  | 'ABORTED'
  /** The engine was closed. */
  | 'CLOSED'
  /** The port went away (unplugged, closed by the other side). */
  | 'DISCONNECTED'
  /** Too many commands waiting. */
  | 'QUEUE_FULL'
  /** The engine refuses to send this command (dangerous, or not a well-formed AT command). */
  | 'REFUSED'
  /** The modem's answer did not have the expected form. */
  | 'BAD_RESPONSE'
  /** The platform could not write the command to the port. */
  | 'WRITE_FAILED';

/** An equipment or SMS error code with its meaning. */
export interface AtErrorDetail {
  /** The numeric code (`+CME ERROR: 10`); undefined when a verbose text matched no known code. */
  readonly code: number | undefined;
  /** The standard text ("SIM not inserted"), or the modem's own words when verbose and unknown. */
  readonly text: string;
  /** What it means for a person, and what to do. */
  readonly explanation: string;
}

/** A failed AT command. Messages name the command verb only (never its arguments, which may hold APDUs or a PIN). */
export class AtError extends Error {
  override readonly name = 'AtError';
  constructor(
    readonly code: AtErrorCode,
    message: string,
    readonly extra: { command?: string; cme?: AtErrorDetail; cms?: AtErrorDetail; cause?: unknown } = {},
  ) {
    super(message, extra.cause === undefined ? undefined : { cause: extra.cause });
  }

  /** The command verb that failed (`AT+CSIM`), when the error belongs to one command. */
  get command(): string | undefined {
    return this.extra.command;
  }

  /** The equipment error, for code CME_ERROR. */
  get cme(): AtErrorDetail | undefined {
    return this.extra.cme;
  }

  /** The SMS error, for code CMS_ERROR. */
  get cms(): AtErrorDetail | undefined {
    return this.extra.cms;
  }
}

interface KnownError {
  readonly text: string;
  readonly explanation: string;
  /** The transport code krypton-core should see when this error ends an APDU or IMSI read. */
  readonly transport?: TransportErrorCode;
}

/** Common `+CME ERROR` codes (TS 27.007 §9.2.1), with what a person should do. */
export const CME_ERRORS: Readonly<Record<number, KnownError>> = {
  0: { text: 'phone failure', explanation: 'the modem reported an internal failure; reconnect it' },
  1: { text: 'no connection to phone', explanation: 'the modem has no connection to its radio part; reconnect it' },
  2: { text: 'phone-adaptor link reserved', explanation: 'another program holds the modem; close it' },
  3: { text: 'operation not allowed', explanation: 'the modem does not allow this command in its current state' },
  4: { text: 'operation not supported', explanation: 'this modem does not support the command' },
  5: { text: 'PH-SIM PIN required', explanation: 'the modem is locked to another SIM; unlock it with its phone-lock code' },
  10: {
    text: 'SIM not inserted',
    explanation: 'the modem sees no SIM card; insert it (contacts down) and reconnect the modem',
    transport: 'NO_CARD',
  },
  11: { text: 'SIM PIN required', explanation: 'the SIM asks for its PIN before the modem lets commands through; enter the PIN' },
  12: { text: 'SIM PUK required', explanation: 'the SIM PIN is blocked; unblock it with the PUK from the SIM card holder' },
  13: {
    text: 'SIM failure',
    explanation: 'the modem cannot talk to the SIM; reseat the card and reconnect the modem',
    transport: 'NO_CARD',
  },
  14: { text: 'SIM busy', explanation: 'the SIM is still starting up or busy; wait a few seconds and try again' },
  15: { text: 'SIM wrong', explanation: 'the modem does not accept this SIM (it may be locked to another operator)' },
  16: { text: 'incorrect password', explanation: 'the PIN or password was wrong' },
  17: { text: 'SIM PIN2 required', explanation: 'the SIM asks for PIN2 for this command' },
  18: { text: 'SIM PUK2 required', explanation: 'PIN2 is blocked; unblock it with PUK2' },
  20: { text: 'memory full', explanation: 'the storage on the SIM or modem is full' },
  21: { text: 'invalid index', explanation: 'no entry at that index' },
  22: { text: 'not found', explanation: 'the requested entry does not exist' },
  23: { text: 'memory failure', explanation: 'the modem or SIM storage failed' },
  30: { text: 'no network service', explanation: 'the modem has no network coverage' },
  31: { text: 'network timeout', explanation: 'the network did not answer in time; try again' },
  32: { text: 'network not allowed - emergency calls only', explanation: 'the network refuses this SIM; only emergency calls work' },
  50: { text: 'incorrect parameters', explanation: 'the modem rejected the parameters of the command' },
  100: { text: 'unknown', explanation: 'the modem reported an unspecified error' },
  103: { text: 'illegal MS', explanation: 'the network rejected this SIM (illegal MS)' },
  106: { text: 'illegal ME', explanation: 'the network rejected this modem (illegal ME)' },
  107: { text: 'GPRS services not allowed', explanation: 'this SIM is not allowed data service' },
  111: { text: 'PLMN not allowed', explanation: 'this network does not accept the SIM' },
  112: { text: 'location area not allowed', explanation: 'this SIM may not register in this area' },
  113: { text: 'roaming not allowed in this location area', explanation: 'this SIM may not roam here' },
  148: { text: 'unspecified GPRS error', explanation: 'the data service failed without a reason' },
  149: { text: 'PDP authentication failure', explanation: 'the APN user name or password was refused' },
};

/** Common `+CMS ERROR` codes (TS 27.005 §3.2.5). */
export const CMS_ERRORS: Readonly<Record<number, KnownError>> = {
  300: { text: 'ME failure', explanation: 'the modem failed to handle the message' },
  302: { text: 'operation not allowed', explanation: 'the modem does not allow this now' },
  303: { text: 'operation not supported', explanation: 'this modem does not support the command' },
  310: { text: 'SIM not inserted', explanation: 'the modem sees no SIM card', transport: 'NO_CARD' },
  311: { text: 'SIM PIN required', explanation: 'the SIM asks for its PIN' },
  313: { text: 'SIM failure', explanation: 'the modem cannot talk to the SIM', transport: 'NO_CARD' },
  314: { text: 'SIM busy', explanation: 'the SIM is busy; try again' },
  316: { text: 'SIM PUK required', explanation: 'the SIM PIN is blocked' },
  321: { text: 'invalid memory index', explanation: 'no message at that index' },
  322: { text: 'memory full', explanation: 'the message storage is full' },
  330: { text: 'SMSC address unknown', explanation: 'the SIM has no SMS centre address' },
  331: { text: 'no network service', explanation: 'the modem has no network coverage' },
  500: { text: 'unknown error', explanation: 'the modem reported an unspecified error' },
};

/** The final result that ends a command's answer. */
export type AtFinal =
  | { readonly kind: 'ok' }
  | { readonly kind: 'error'; readonly text: string }
  | { readonly kind: 'cme'; readonly detail: AtErrorDetail }
  | { readonly kind: 'cms'; readonly detail: AtErrorDetail }
  | { readonly kind: 'no-carrier' }
  | { readonly kind: 'not-supported' };

const CME_LINE = /^\+CME ERROR:\s*(.*)$/i;
const CMS_LINE = /^\+CMS ERROR:\s*(.*)$/i;

/**
 * Classifies a line as a final result, or undefined when it is not one. `NO CARRIER` counts as final
 * only when `call` (the command in flight dials, answers or returns online); otherwise it is a URC.
 */
export function classifyFinal(line: string, call = false): AtFinal | undefined {
  const upper = line.toUpperCase();
  if (upper === 'OK') return { kind: 'ok' };
  if (upper === 'ERROR' || upper === 'TOO MANY PARAMETERS') return { kind: 'error', text: line };
  if (upper === 'COMMAND NOT SUPPORT') return { kind: 'not-supported' };
  if (call && upper === 'NO CARRIER') return { kind: 'no-carrier' };
  const cme = CME_LINE.exec(line);
  if (cme) return { kind: 'cme', detail: lookUp(CME_ERRORS, cme[1]!.trim()) };
  const cms = CMS_LINE.exec(line);
  if (cms) return { kind: 'cms', detail: lookUp(CMS_ERRORS, cms[1]!.trim()) };
  return undefined;
}

/** Looks an error up by number (`AT+CMEE=1`) or by its verbose text (`AT+CMEE=2`). */
function lookUp(table: Readonly<Record<number, KnownError>>, value: string): AtErrorDetail {
  if (/^\d{1,5}$/.test(value)) {
    const code = Number(value);
    const known = table[code];
    return known
      ? { code, text: known.text, explanation: known.explanation }
      : { code, text: `error ${code}`, explanation: 'an error this client does not know' };
  }
  const wanted = value.toLowerCase();
  for (const [code, known] of Object.entries(table)) {
    if (known.text.toLowerCase() === wanted) return { code: Number(code), text: known.text, explanation: known.explanation };
  }
  // Verbose text we do not know: keep the modem's words (bounded: they end up in a message).
  return { code: undefined, text: value.slice(0, 80), explanation: 'the modem reported this error' };
}

/** The AtError a final result other than OK stands for. */
export function finalError(final: Exclude<AtFinal, { kind: 'ok' }>, command: string): AtError {
  switch (final.kind) {
    case 'error':
      return new AtError('ERROR', `The modem answered ${final.text} to ${command}`, { command });
    case 'not-supported':
      return new AtError('NOT_SUPPORTED', `This modem does not support ${command} (COMMAND NOT SUPPORT)`, { command });
    case 'no-carrier':
      return new AtError('NO_CARRIER', `${command} ended with NO CARRIER`, { command });
    case 'cme':
      return new AtError('CME_ERROR', `The modem refused ${command}: ${describe(final.detail, 'CME')}`, { command, cme: final.detail });
    case 'cms':
      return new AtError('CMS_ERROR', `The modem refused ${command}: ${describe(final.detail, 'CMS')}`, { command, cms: final.detail });
  }
}

function describe(detail: AtErrorDetail, family: string): string {
  const code = detail.code === undefined ? '' : ` (${family} error ${detail.code})`;
  return `${detail.text}${code} — ${detail.explanation}`;
}

/** Transport codes of the engine's own failures. */
const TRANSPORT_CODES: Readonly<Record<AtErrorCode, TransportErrorCode>> = {
  ERROR: 'TRANSPORT_FAILED',
  CME_ERROR: 'TRANSPORT_FAILED',
  CMS_ERROR: 'TRANSPORT_FAILED',
  NO_CARRIER: 'TRANSPORT_FAILED',
  NOT_SUPPORTED: 'TRANSPORT_FAILED',
  TIMEOUT: 'TIMEOUT',
  ABORTED: 'ABORTED',
  CLOSED: 'TRANSPORT_CLOSED',
  DISCONNECTED: 'TRANSPORT_FAILED',
  QUEUE_FULL: 'TRANSPORT_BUSY',
  REFUSED: 'TRANSPORT_FAILED',
  BAD_RESPONSE: 'TRANSPORT_FAILED',
  WRITE_FAILED: 'TRANSPORT_FAILED',
};

/**
 * Maps an engine failure to the TransportError krypton-core understands, keeping the message (and
 * with it the CME meaning). SIM-absent CME/CMS codes become NO_CARD; a disconnect keeps the code the
 * platform channel chose (Web Serial reports an unplug as NO_CARD).
 */
export function toTransportError(error: unknown): TransportError {
  if (error instanceof TransportError) return error;
  if (!(error instanceof AtError)) {
    const message = error instanceof Error ? error.message : String(error);
    return new TransportError('TRANSPORT_FAILED', `The modem link failed: ${message}`, { cause: error });
  }
  let code = TRANSPORT_CODES[error.code];
  const detail = error.cme ?? error.cms;
  if (detail?.code !== undefined) code = (error.cme ? CME_ERRORS : CMS_ERRORS)[detail.code]?.transport ?? code;
  const cause = error.extra.cause;
  if (error.code === 'DISCONNECTED' && cause instanceof TransportError) code = cause.code;
  return new TransportError(code, error.message, { cause: error });
}
