import type { SimAuthenticator, SimAuthResult } from '@krypton-web/krypton-core';
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
  /** Unblocks PIN1 with the PUK and sets `newPin` (the PUK's last try only when allowed). */
  unblockPin(puk: string, newPin: string, allowLastTry: boolean): Promise<void>;
  /** Changes PIN1 from `pin` to `newPin`. */
  changePin(pin: string, newPin: string, allowLastTry: boolean): Promise<void>;
  /** Enables or disables PIN1 with its code. */
  setPinEnabled(enabled: boolean, pin: string, allowLastTry: boolean): Promise<void>;
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
export function pinInfo(state: {
  enabled: boolean;
  verified: boolean;
  triesLeft?: number | undefined;
  pukTriesLeft?: number | undefined;
}): PinInfo {
  return {
    enabled: state.enabled,
    verified: state.verified,
    ...(state.triesLeft !== undefined ? { triesLeft: state.triesLeft } : {}),
    ...(state.pukTriesLeft !== undefined ? { pukTriesLeft: state.pukTriesLeft } : {}),
    blocked: state.enabled && state.triesLeft === 0,
  };
}

/** The SIM commands a link offers, whether krypton-core runs them here (Usim) or the bridge runs them next to the reader. */
export interface SimCommands {
  readImsi(): Promise<string>;
  readIccid(): Promise<string>;
  pinState(): Promise<{ enabled: boolean; verified: boolean; triesLeft?: number | undefined; pukTriesLeft?: number | undefined }>;
  verifyPin(pin: string, options: { allowLastTry: boolean }): Promise<void>;
  unblockPin(puk: string, newPin: string, options: { allowLastTry: boolean }): Promise<void>;
  changePin(pin: string, newPin: string, options: { allowLastTry: boolean }): Promise<void>;
  setPinEnabled(enabled: boolean, pin: string, options: { allowLastTry: boolean }): Promise<void>;
  authenticate(rand: Uint8Array, autn: Uint8Array): Promise<SimAuthResult>;
}

/**
 * What every link that talks to a SIM shares: commands one at a time through one lock, and a
 * "lost" notice given once. Subclasses say how they close.
 */
export abstract class LockedSimLink implements SimLink {
  abstract readonly kind: LinkKind;
  abstract readonly name: string;
  readonly authenticator: SimAuthenticator;
  protected readonly lock = new SimLock();
  private lostListener: ((error: unknown) => void) | undefined;
  protected lost = false;

  protected constructor(private readonly commands: SimCommands) {
    this.authenticator = {
      readImsi: () => this.lock.run(() => this.commands.readImsi()),
      authenticate: (rand, autn) => this.lock.run(() => this.commands.authenticate(rand, autn)),
    };
  }

  readImsi(): Promise<string> {
    return this.authenticator.readImsi();
  }

  readIccid(): Promise<string | undefined> {
    return this.lock.run(() => this.commands.readIccid());
  }

  async pinState(): Promise<PinInfo | undefined> {
    return pinInfo(await this.lock.run(() => this.commands.pinState()));
  }

  async verifyPin(pin: string, allowLastTry: boolean): Promise<void> {
    await this.lock.run(() => this.commands.verifyPin(pin, { allowLastTry }));
  }

  async unblockPin(puk: string, newPin: string, allowLastTry: boolean): Promise<void> {
    await this.lock.run(() => this.commands.unblockPin(puk, newPin, { allowLastTry }));
  }

  async changePin(pin: string, newPin: string, allowLastTry: boolean): Promise<void> {
    await this.lock.run(() => this.commands.changePin(pin, newPin, { allowLastTry }));
  }

  async setPinEnabled(enabled: boolean, pin: string, allowLastTry: boolean): Promise<void> {
    await this.lock.run(() => this.commands.setPinEnabled(enabled, pin, { allowLastTry }));
  }

  onLost(listener: (error: unknown) => void): void {
    this.lostListener = listener;
  }

  /** The link module calls this when the device went away. */
  markLost(error: unknown): void {
    if (this.lost) return;
    this.lost = true;
    this.lostListener?.(error);
  }

  abstract close(): Promise<void>;
}
