import type { Bytes } from '@krypton-web/krypton-core';
import type { LabClock } from './lab-clock.ts';

/** A master key (CK) the Keys API agreed with a SIM, as the server holds it. */
export interface MasterKey {
  keyId: string;
  imsi: string;
  ck: Bytes;
  xres: Bytes;
  /** Set once the client proved it holds the same CK by sending RES. */
  verified: boolean;
  /** Wrong RES values received so far. */
  failedVerifications: number;
  createdAt: number;
  expiresAt: number;
}

/** How long an agreed key stays usable; SORACOM's clients cache keys for an hour. */
export const DEFAULT_KEY_TTL_MS = 60 * 60 * 1000;

/** The server's table of agreed keys, by keyId, with expiry on the lab clock. */
export class MasterKeyStore {
  private readonly keys = new Map<string, MasterKey>();

  constructor(
    private readonly clock: LabClock,
    readonly ttlMs = DEFAULT_KEY_TTL_MS,
  ) {}

  /** Records a new, not yet verified key for an IMSI (under `keyId`, a UUID by default) and returns it. */
  create(imsi: string, ck: Bytes, xres: Bytes, keyId: string = crypto.randomUUID()): MasterKey {
    this.sweep();
    const now = this.clock.now();
    const key: MasterKey = {
      keyId,
      imsi,
      ck,
      xres,
      verified: false,
      failedVerifications: 0,
      createdAt: now,
      expiresAt: now + this.ttlMs,
    };
    this.keys.set(key.keyId, key);
    return key;
  }

  /** Looks a key up; expired keys are forgotten, as if they had never existed. */
  get(keyId: string): MasterKey | undefined {
    const key = this.keys.get(keyId);
    if (key && key.expiresAt <= this.clock.now()) {
      this.keys.delete(keyId);
      return undefined;
    }
    return key;
  }

  /** Drops a key (after too many wrong RES values). */
  delete(keyId: string): void {
    this.keys.delete(keyId);
  }

  /** Lab fault: forgets every key, or those of one IMSI, as a server that lost its state would. */
  forget(imsi?: string): number {
    let n = 0;
    for (const [id, key] of this.keys) {
      if (imsi === undefined || key.imsi === imsi) {
        this.keys.delete(id);
        n++;
      }
    }
    return n;
  }

  /** Number of keys held (for the lab state endpoint). */
  get size(): number {
    return this.keys.size;
  }

  private sweep(): void {
    const now = this.clock.now();
    for (const [id, key] of this.keys) if (key.expiresAt <= now) this.keys.delete(id);
  }
}
