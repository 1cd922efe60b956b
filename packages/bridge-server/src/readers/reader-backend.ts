import type { ApduTransport, ImsiSource, SimInfoSource } from '@krypton-web/krypton-core';
import type { BridgeModemFacts, BridgeModemPort } from '@krypton-web/sim-transport';

/** A reader as a backend sees it. */
export interface BackendReader {
  name: string;
  card: boolean;
  atr?: string;
  /** A USB modem rather than a card reader (modems/modem-backend.ts). */
  kind?: 'reader' | 'modem';
  modem?: BridgeModemPort;
}

/** An open connection to the card in one reader. */
export interface OpenedCard {
  transport: ApduTransport;
  atr: string;
  protocol: string;
  /** Runs one session command with the card to ourselves (a PC/SC transaction on a shared reader); absent where nobody else can reach the card. */
  exclusively?: <T>(fn: () => Promise<T>) => Promise<T>;
  /** A modem's own answers for the IMSI (AT+CIMI), ICCID and PIN state, which USIM commands then need no APDU for. */
  imsiSource?: ImsiSource;
  simInfoSource?: SimInfoSource;
  /** A modem's: whether it passes APDUs to the SIM (AT+CSIM). */
  csim?: boolean;
  /** Present on a modem: what it says about itself and the network. */
  modemFacts?: () => Promise<BridgeModemFacts>;
}

/** What changed in the readers: the list, a card pulled out, or the whole service gone (pcscd stopped). */
export type ReaderChange =
  | { type: 'readers' }
  /** `message` and `action` say it in the backend's terms (a modem unplugged rather than a card removed). */
  | { type: 'card-removed'; reader: string; message?: string; action?: string }
  | { type: 'service-lost' };

/** A source of card readers: PC/SC through pcscd, or the demo's virtual reader. */
export interface ReaderBackend {
  /** A short name for logs ("pcsc", "virtual"). */
  readonly kind: string;
  /** The readers now. */
  readers(): Promise<BackendReader[]>;
  /** Calls `listener` on every change; returns the unsubscribe function. */
  onChange(listener: (change: ReaderChange) => void): () => void;
  /** Connects exclusively to the card in `reader`. */
  open(reader: string): Promise<OpenedCard>;
  /** Releases the backend. */
  close(): Promise<void>;
  /** After `service-lost`: whether the service is back (its readers listed again) within `timeoutMs`. */
  whenRestored?(timeoutMs: number): Promise<boolean>;
}

/** The demo's in-memory reader, as the bridge lists it (readers/virtual-backend.ts; named here so naming it loads no lab). */
export const VIRTUAL_READER_NAME = 'Krypton Web demo reader (virtual SIM)';

/** The demo's second reader, whose card comes and goes from a box of SIMs (readers/demo-stack.ts). */
export const DEMO_STACK_READER_NAME = 'Krypton Web demo stack (virtual SIMs)';
