/**
 * The messages between the bridge (`apps/bridge`, Node, PC/SC) and the page, over one WebSocket at
 * `/ws`. Both ends use these types and this parser, so they cannot drift apart. Every message is a
 * JSON object of at most MAX_BRIDGE_MESSAGE bytes; anything else is refused.
 */

import type { KryptonErrorCode } from '@krypton-web/krypton-core';

/** Largest WebSocket message either side accepts, bytes. */
export const MAX_BRIDGE_MESSAGE = 4096;

/** Version of this protocol; the bridge refuses a hello of another version. */
export const BRIDGE_PROTOCOL_VERSION = 1;

/** What the bridge knows of a USB modem it lists: the port, its USB descriptors, and maker and model once a session asked it. */
export interface BridgeModemPort {
  /** The serial port (`/dev/ttyUSB2`, or a pty given with `--modem`). */
  path: string;
  /** `AT+CGMI` once a session asked, else the USB manufacturer string. */
  maker?: string;
  /** `AT+CGMM` once a session asked, else the USB product string. */
  model?: string;
  /** USB vendor id (0x12d1 Huawei), absent for a port that is not on the USB bus (`--modem` pty). */
  vendorId?: number;
  productId?: number;
  /** USB interface of this port: a modem has several, and only some answer AT. */
  interfaceNumber?: number;
}

/** A reader as the bridge reports it. */
export interface ReaderInfo {
  /** A card reader (PC/SC or the demo's), or a USB modem; a reader when absent (bridges from before modems). */
  kind?: 'reader' | 'modem';
  name: string;
  /** Whether a card is in the reader. */
  card: boolean;
  /** The card's ATR in hex, when a card is present. */
  atr?: string;
  /** Whether another page or program holds this reader now. */
  inUse: boolean;
  /** For a modem: its port and what is known of it. */
  modem?: BridgeModemPort;
}

/** What a modem says about itself and the network, as the bridge passes it on (the AT engine's ModemInfo, plain JSON). */
export interface BridgeModemFacts {
  /** Whether the modem passes APDUs to the SIM (AT+CSIM or logical channels); without it only the IMSI can be read. */
  csim: boolean;
  manufacturer?: string;
  model?: string;
  firmware?: string;
  imei?: string;
  iccid?: string;
  signal?: {
    csq?: { rssi: number; rssiDbm: number | undefined; ber: number | undefined };
    hcsq?: { mode: string; rssiDbm?: number; rsrpDbm?: number; sinrDb?: number; rsrqDb?: number; rscpDbm?: number; ecioDb?: number };
  };
  registration?: { status: string; accessTechnology?: number | undefined; [k: string]: unknown };
  operator?: { name?: string | undefined; accessTechnology?: number | undefined; [k: string]: unknown };
}

/** Requests the page sends; `id` pairs each with its reply. */
export type BridgeRequest =
  | { id: number; op: 'hello'; version: number; token?: string }
  | { id: number; op: 'readers' }
  | { id: number; op: 'open'; reader: string }
  | { id: number; op: 'close'; session: string }
  | { id: number; op: 'imsi'; session: string }
  | { id: number; op: 'iccid'; session: string }
  | { id: number; op: 'pin-state'; session: string }
  | { id: number; op: 'modem-info'; session: string }
  | { id: number; op: 'verify-pin'; session: string; pin: string; allowLastTry: boolean }
  | { id: number; op: 'unblock-pin'; session: string; puk: string; newPin: string; allowLastTry: boolean }
  | { id: number; op: 'change-pin'; session: string; pin: string; newPin: string; allowLastTry: boolean }
  | { id: number; op: 'set-pin-enabled'; session: string; enabled: boolean; pin: string; allowLastTry: boolean }
  | { id: number; op: 'authenticate'; session: string; rand: string; autn: string }
  | { id: number; op: 'apdu'; session: string; apdu: string };

/** The operation names. */
export type BridgeOp = BridgeRequest['op'];

/** What each operation answers. */
export interface BridgeResults {
  hello: { bridge: string; version: number; rawApdu: boolean };
  readers: { readers: ReaderInfo[] };
  /**
   * `kind` says whether a card reader or a modem was opened (a modem has no ATR: `atr` is empty, `protocol` is `AT`);
   * `csim`, for a modem, whether it passes APDUs to the SIM (without, only the IMSI can be read).
   */
  open: { session: string; reader: string; atr: string; protocol: string; kind?: 'reader' | 'modem'; csim?: boolean };
  close: Record<string, never>;
  imsi: { imsi: string };
  iccid: { iccid: string };
  'pin-state': { enabled: boolean; verified: boolean; triesLeft?: number; pukTriesLeft?: number };
  /** Only on a modem's session: a card reader answers BAD_INPUT. */
  'modem-info': BridgeModemFacts;
  'verify-pin': Record<string, never>;
  'unblock-pin': Record<string, never>;
  'change-pin': Record<string, never>;
  'set-pin-enabled': Record<string, never>;
  authenticate: { kind: 'success'; res: string; ck: string; ik: string; kc?: string } | { kind: 'sync-failure'; auts: string };
  apdu: { response: string };
}

/**
 * Every code a bridge error may carry: krypton-core's (the card and Krypton, relayed as they are),
 * a refused request, a fault of the bridge itself, and a message the page's end refuses.
 */
export type BridgeErrorCode = KryptonErrorCode | 'BAD_INPUT' | 'BRIDGE_ERROR' | 'BAD_MESSAGE';

/** An error as it crosses the bridge: KryptonError's fields, no stack, no secrets. */
export interface BridgeError {
  /** A BridgeErrorCode; typed as a string because an older or newer bridge may send another. */
  code: string;
  message: string;
  action: string;
  details?: Record<string, string | number>;
}

/** A reply to one request. */
export type BridgeReply = { id: number; ok: true; result: unknown } | { id: number; ok: false; error: BridgeError };

/** Events the bridge pushes without a request. */
export type BridgeEvent = { event: 'readers'; readers: ReaderInfo[] } | { event: 'session-lost'; session: string; error: BridgeError };

/** Any message from the bridge to the page. */
export type BridgeMessage = BridgeReply | BridgeEvent;

/** A message that is not what the protocol allows; the receiver refuses it. */
export class BridgeProtocolError extends Error {
  override readonly name = 'BridgeProtocolError';
  readonly code = 'BAD_MESSAGE' satisfies BridgeErrorCode;
}

const SESSION = /^[A-Za-z0-9_-]{8,64}$/;
const BASE64_16 = /^[A-Za-z0-9+/]{22}==$/;
const HEX_APDU = /^(?:[0-9a-fA-F]{2}){4,261}$/;
const PIN = /^[0-9]{4,8}$/;
const PUK = /^[0-9]{8}$/;

/** Parses and validates a request from a page (the bridge's side); throws BridgeProtocolError. */
export function parseBridgeRequest(text: string): BridgeRequest {
  const o = parseObject(text);
  const id = o.id;
  if (typeof id !== 'number' || !Number.isSafeInteger(id) || id < 0) throw bad('id must be a non-negative integer');
  const session = () => stringField(o, 'session', SESSION);
  switch (o.op) {
    case 'hello': {
      const version = o.version;
      if (typeof version !== 'number') throw bad('hello needs a version');
      const token = o.token === undefined ? undefined : stringField(o, 'token', /^[A-Za-z0-9_-]{16,128}$/);
      return token === undefined ? { id, op: 'hello', version } : { id, op: 'hello', version, token };
    }
    case 'readers':
      return { id, op: 'readers' };
    case 'open':
      // A reader name is printable: control characters are refused on purpose.
      // eslint-disable-next-line no-control-regex
      return { id, op: 'open', reader: stringField(o, 'reader', /^[^\u0000-\u001f]{1,200}$/) };
    case 'close':
    case 'imsi':
    case 'iccid':
    case 'pin-state':
    case 'modem-info':
      return { id, op: o.op, session: session() };
    case 'verify-pin':
      return { id, op: 'verify-pin', session: session(), pin: stringField(o, 'pin', PIN), allowLastTry: allowLastTry(o) };
    case 'unblock-pin':
      return {
        id,
        op: 'unblock-pin',
        session: session(),
        puk: stringField(o, 'puk', PUK),
        newPin: stringField(o, 'newPin', PIN),
        allowLastTry: allowLastTry(o),
      };
    case 'change-pin':
      return {
        id,
        op: 'change-pin',
        session: session(),
        pin: stringField(o, 'pin', PIN),
        newPin: stringField(o, 'newPin', PIN),
        allowLastTry: allowLastTry(o),
      };
    case 'set-pin-enabled':
      if (typeof o.enabled !== 'boolean') throw bad('enabled must be true or false');
      return {
        id,
        op: 'set-pin-enabled',
        session: session(),
        enabled: o.enabled,
        pin: stringField(o, 'pin', PIN),
        allowLastTry: allowLastTry(o),
      };
    case 'authenticate':
      return {
        id,
        op: 'authenticate',
        session: session(),
        rand: stringField(o, 'rand', BASE64_16),
        autn: stringField(o, 'autn', BASE64_16),
      };
    case 'apdu':
      return { id, op: 'apdu', session: session(), apdu: stringField(o, 'apdu', HEX_APDU) };
    default:
      throw bad('unknown op');
  }
}

/** Parses a message from the bridge (the page's side); throws BridgeProtocolError. */
export function parseBridgeMessage(text: string): BridgeMessage {
  const o = parseObject(text);
  if (typeof o.event === 'string') {
    if (o.event === 'readers' && Array.isArray(o.readers)) return { event: 'readers', readers: o.readers.map(readerInfo) };
    if (o.event === 'session-lost' && typeof o.session === 'string')
      return { event: 'session-lost', session: o.session, error: bridgeError(o.error) };
    throw bad('unknown event');
  }
  if (typeof o.id !== 'number') throw bad('a reply needs an id');
  if (o.ok === true) return { id: o.id, ok: true, result: o.result ?? {} };
  if (o.ok === false) return { id: o.id, ok: false, error: bridgeError(o.error) };
  throw bad('a reply needs ok');
}

function readerInfo(v: unknown): ReaderInfo {
  const o = v as Record<string, unknown>;
  if (typeof o !== 'object' || o === null || typeof o.name !== 'string' || typeof o.card !== 'boolean') throw bad('malformed reader');
  return {
    name: o.name,
    card: o.card,
    inUse: o.inUse === true,
    ...(typeof o.atr === 'string' ? { atr: o.atr } : {}),
    ...(o.kind === 'modem' || o.kind === 'reader' ? { kind: o.kind } : {}),
    ...(o.kind === 'modem' ? { modem: modemPort(o.modem) } : {}),
  };
}

function modemPort(v: unknown): BridgeModemPort {
  const o = (typeof v === 'object' && v !== null ? v : {}) as Record<string, unknown>;
  const text = (k: string) => (typeof o[k] === 'string' ? { [k]: o[k] } : {});
  const int = (k: string) => (typeof o[k] === 'number' && Number.isInteger(o[k]) ? { [k]: o[k] } : {});
  return {
    path: typeof o.path === 'string' ? o.path : '',
    ...text('maker'),
    ...text('model'),
    ...int('vendorId'),
    ...int('productId'),
    ...int('interfaceNumber'),
  };
}

function bridgeError(v: unknown): BridgeError {
  const o = v as Record<string, unknown> | null;
  if (typeof o !== 'object' || o === null || typeof o.code !== 'string' || typeof o.message !== 'string') throw bad('malformed error');
  const details: Record<string, string | number> = {};
  if (typeof o.details === 'object' && o.details !== null) {
    for (const [k, val] of Object.entries(o.details as Record<string, unknown>))
      if (typeof val === 'string' || typeof val === 'number') details[k] = val;
  }
  return { code: o.code, message: o.message, action: typeof o.action === 'string' ? o.action : '', details };
}

function parseObject(text: string): Record<string, unknown> {
  if (text.length > MAX_BRIDGE_MESSAGE) throw bad(`message longer than ${MAX_BRIDGE_MESSAGE} bytes`);
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    throw bad('not JSON');
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw bad('not a JSON object');
  return v as Record<string, unknown>;
}

// Spending a PIN's or PUK's last try is asked for explicitly; absent means no.
function allowLastTry(o: Record<string, unknown>): boolean {
  const allow = o.allowLastTry;
  if (allow !== undefined && typeof allow !== 'boolean') throw bad('allowLastTry must be true or false');
  return allow === true;
}

function stringField(o: Record<string, unknown>, key: string, pattern: RegExp): string {
  const v = o[key];
  if (typeof v !== 'string' || !pattern.test(v)) throw bad(`${key} is missing or malformed`);
  return v;
}

function bad(message: string): BridgeProtocolError {
  return new BridgeProtocolError(message);
}
