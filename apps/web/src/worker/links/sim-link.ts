import type { SimAuthenticator } from '@krypton-web/krypton-core';
import type { LinkKind, ModemSummary, PinInfo } from '../api.ts';

/** What the worker needs from an open link to a SIM; each link module builds one. */
export interface SimLink {
  readonly kind: LinkKind;
  readonly name: string;
  /** What Krypton's key agreement uses (IMSI and AUTHENTICATE); absent for the cellular endpoint. */
  readonly authenticator: SimAuthenticator | undefined;
  readImsi(): Promise<string>;
  readIccid(): Promise<string | undefined>;
  pinState(): Promise<PinInfo | undefined>;
  verifyPin(pin: string, allowLastTry: boolean): Promise<void>;
  /** For a modem: what it says about itself and the network. */
  modemInfo?(): Promise<ModemSummary>;
  /** Called once if the link goes away by itself (card removed, modem unplugged, bridge stopped). */
  onLost(listener: (error: unknown) => void): void;
  close(): Promise<void>;
}

/** Runs SIM commands one at a time: the USIM session admits no interleaving, and refreshes and runs share it. */
export class SimLock {
  private tail: Promise<unknown> = Promise.resolve();

  run<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.tail.then(fn, fn);
    this.tail = next.catch(() => undefined);
    return next;
  }
}

/** PIN1's state in the page's terms. */
export function pinInfo(state: { enabled: boolean; verified: boolean; triesLeft?: number | undefined; pukTriesLeft?: number | undefined }): PinInfo {
  return {
    enabled: state.enabled,
    verified: state.verified,
    ...(state.triesLeft !== undefined ? { triesLeft: state.triesLeft } : {}),
    ...(state.pukTriesLeft !== undefined ? { pukTriesLeft: state.pukTriesLeft } : {}),
    blocked: state.enabled && state.triesLeft === 0,
  };
}
