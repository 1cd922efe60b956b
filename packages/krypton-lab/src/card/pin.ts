import { constantTimeEqual } from '@krypton-web/krypton-core';
import type { StoredPinState } from '../profiles/index.ts';
import { SW } from './status-words.ts';

/** Initial number of PIN attempts (TS 102 221 §11.1.9.1.1). */
export const PIN_MAX_TRIES = 3;
/** Initial number of UNBLOCK PIN attempts (TS 102 221 §11.1.13.1.1). */
export const PUK_MAX_TRIES = 10;
/** A PIN or PUK travels as 8 bytes: ASCII digits, then FF padding (TS 102 221 §9.5.1). */
export const PIN_BLOCK_LENGTH = 8;

/**
 * Decodes an 8-byte PIN block into its digits; undefined when it is not 4 to 8 ASCII digits followed
 * only by FF (the card answers such data with `6A80`).
 */
export function decodePinBlock(block: Uint8Array): string | undefined {
  if (block.length !== PIN_BLOCK_LENGTH) return undefined;
  let digits = '';
  let padding = false;
  for (const b of block) {
    if (b === 0xff) padding = true;
    else if (padding || b < 0x30 || b > 0x39) return undefined;
    else digits += String.fromCharCode(b);
  }
  return digits.length >= 4 ? digits : undefined;
}

/** Encodes digits as an 8-byte PIN block (ASCII digits padded with FF). */
export function encodePinBlock(digits: string): Uint8Array {
  const block = new Uint8Array(PIN_BLOCK_LENGTH).fill(0xff);
  for (let i = 0; i < digits.length && i < PIN_BLOCK_LENGTH; i++) block[i] = digits.charCodeAt(i);
  return block;
}

/**
 * One PIN with its PUK, as TS 102 221 §11.1.9–§11.1.13 define them. The code, enablement and both
 * counters are persistent; the verification status is volatile and cleared by `reset()`.
 * Every operation returns the status word the card answers with.
 */
export class PinCounter {
  private readonly state: StoredPinState;
  private verifiedFlag = false;

  constructor(state: StoredPinState) {
    this.state = { ...state };
  }

  /** Whether the PIN must be verified before protected files and commands. */
  get enabled(): boolean {
    return this.state.enabled;
  }

  /** PIN attempts left (0 = blocked). */
  get triesLeft(): number {
    return this.state.retries;
  }

  /** UNBLOCK PIN attempts left (0 = the PUK is blocked). */
  get pukTriesLeft(): number {
    return this.state.pukRetries;
  }

  /** Whether the PIN has been verified since the last reset. */
  get verified(): boolean {
    return this.verifiedFlag;
  }

  /** Whether an access condition "PIN" is met: verified, or disabled (TS 102 221 §9.5.1). */
  get satisfied(): boolean {
    return !this.state.enabled || this.verifiedFlag;
  }

  /** A copy of the persistent state (code, enablement, counters). */
  snapshot(): StoredPinState {
    return { ...this.state };
  }

  /** Forgets the verification, as a reset or power cycle does. */
  reset(): void {
    this.verifiedFlag = false;
  }

  /**
   * VERIFY PIN with no data (TS 102 221 §11.1.9.1.2): 9000 when no verification is needed
   * (disabled or already verified), otherwise 63Cx with the attempts left (63C0 when blocked).
   */
  status(): number {
    if (this.satisfied && this.state.retries > 0) return SW.OK;
    return SW.VERIFY_FAILED | this.state.retries;
  }

  /** VERIFY PIN (TS 102 221 §11.1.9.1.1): needs the PIN enabled and not blocked. */
  verify(block: Uint8Array): number {
    if (this.state.retries === 0) return SW.PIN_BLOCKED;
    if (!this.state.enabled) return SW.CONDITIONS_NOT_SATISFIED;
    return this.present(block, () => {
      this.verifiedFlag = true;
    });
  }

  /** CHANGE PIN (TS 102 221 §11.1.10): needs the PIN enabled and not blocked. */
  change(oldBlock: Uint8Array, newDigits: string): number {
    if (this.state.retries === 0) return SW.PIN_BLOCKED;
    if (!this.state.enabled) return SW.CONDITIONS_NOT_SATISFIED;
    return this.present(oldBlock, () => {
      this.state.code = newDigits;
      this.verifiedFlag = true;
    });
  }

  /** DISABLE PIN (TS 102 221 §11.1.11): needs the PIN enabled and not blocked. */
  disable(block: Uint8Array): number {
    if (this.state.retries === 0) return SW.PIN_BLOCKED;
    if (!this.state.enabled) return SW.CONDITIONS_NOT_SATISFIED;
    return this.present(block, () => {
      this.state.enabled = false;
    });
  }

  /** ENABLE PIN (TS 102 221 §11.1.12): needs the PIN disabled and not blocked. */
  enable(block: Uint8Array): number {
    if (this.state.retries === 0) return SW.PIN_BLOCKED;
    if (this.state.enabled) return SW.CONDITIONS_NOT_SATISFIED;
    return this.present(block, () => {
      this.state.enabled = true;
      this.verifiedFlag = true;
    });
  }

  /** UNBLOCK PIN with no data (TS 102 221 §11.1.13.1.2): 63Cx with the UNBLOCK PIN attempts left. */
  unblockStatus(): number {
    return SW.VERIFY_FAILED | this.state.pukRetries;
  }

  /**
   * UNBLOCK PIN (TS 102 221 §11.1.13.1.1): a correct PUK sets the new PIN, resets both counters,
   * enables the PIN and satisfies it; a wrong one costs a PUK attempt (63C9 … 63C0, then 6983).
   */
  unblock(pukBlock: Uint8Array, newDigits: string): number {
    if (this.state.pukRetries === 0) return SW.PIN_BLOCKED;
    if (!constantTimeEqual(pukBlock, encodePinBlock(this.state.puk))) {
      this.state.pukRetries -= 1;
      this.verifiedFlag = false;
      return SW.VERIFY_FAILED | this.state.pukRetries;
    }
    this.state.pukRetries = PUK_MAX_TRIES;
    this.state.retries = PIN_MAX_TRIES;
    this.state.code = newDigits;
    this.state.enabled = true;
    this.verifiedFlag = true;
    return SW.OK;
  }

  // A correct presentation resets the counter to 3; a false one decrements it and answers 63Cx,
  // 63C0 on the attempt that blocks the PIN (TS 102 221 §11.1.9.1.1).
  private present(block: Uint8Array, onSuccess: () => void): number {
    if (!constantTimeEqual(block, encodePinBlock(this.state.code))) {
      this.state.retries -= 1;
      this.verifiedFlag = false;
      return SW.VERIFY_FAILED | this.state.retries;
    }
    this.state.retries = PIN_MAX_TRIES;
    onSuccess();
    return SW.OK;
  }
}
