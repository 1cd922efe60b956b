import type { Bytes } from '../bytes/index.ts';
import { KryptonError } from '../errors/index.ts';

/** One agreed master key. */
export interface CachedKey {
  /** The SIM the key belongs to; the cache holds at most one key per IMSI. */
  imsi: string;
  /** The server's name for the key (Keys API). */
  keyId: string;
  /** The 16-byte master key CK: a secret. */
  ck: Bytes;
  /** When the key was agreed, ms since the epoch. */
  createdAt: number;
  /** When the key stops being offered, ms since the epoch (exclusive). */
  expiresAt: number;
}

/** Where agreed keys live between runs. */
export interface KeyCache {
  /** The live key for an IMSI; expired or unreadable entries are never returned, and are removed. */
  get(imsi: string): Promise<CachedKey | undefined>;
  /** Stores a key, replacing any key for the same IMSI. */
  put(key: CachedKey): Promise<void>;
  /** Forgets the key for one IMSI (nothing happens if there is none). */
  delete(imsi: string): Promise<void>;
  /** Forgets every key. */
  clear(): Promise<void>;
}

/** How long the public clients reuse an agreed key: one hour. */
export const DEFAULT_KEY_TTL_MS = 60 * 60 * 1000;

/** Length of CK (TS 33.102: 128 bits). */
export const CK_LENGTH = 16;

/**
 * How far an entry's `createdAt` may lie ahead of the cache's clock and still count. An entry from
 * further in the future means the clock went back, so its real age is unknown and it is dropped
 * rather than kept alive for longer than its TTL.
 */
export const KEY_CACHE_CLOCK_TOLERANCE_MS = 5 * 60 * 1000;

/** Clock a cache reads to decide expiry; ms since the epoch. */
export type KeyCacheClock = () => number;

/** Builds a cache entry for a key agreed now, living `ttlMs` (default one hour); `ck` is kept, not copied. */
export function newCachedKey(
  imsi: string,
  keyId: string,
  ck: Bytes,
  now: number = Date.now(),
  ttlMs: number = DEFAULT_KEY_TTL_MS,
): CachedKey {
  return { imsi, keyId, ck, createdAt: now, expiresAt: now + ttlMs };
}

/** Whether an entry may be used at `now`: not yet expired, and not created in the (clock-skewed) future. */
export function isKeyUsable(key: Pick<CachedKey, 'createdAt' | 'expiresAt'>, now: number): boolean {
  return now < key.expiresAt && key.createdAt <= now + KEY_CACHE_CLOCK_TOLERANCE_MS;
}

const IMSI_PATTERN = /^[0-9]{6,15}$/;

/** Throws unless `imsi` is 6 to 15 digits (what EF_IMSI can hold). */
export function checkImsi(imsi: unknown): asserts imsi is string {
  // The message never echoes the value: callers sometimes pass the wrong field, which may be a secret.
  if (typeof imsi !== 'string' || !IMSI_PATTERN.test(imsi)) {
    throw badInput(
      'The key cache was given an IMSI that is not 6 to 15 digits.',
      'This is a bug in the calling code: pass the IMSI read from the SIM.',
    );
  }
}

/** Throws unless `key` is a well-formed entry (IMSI, non-empty keyId, 16-byte CK, sane times). */
export function checkCachedKey(key: CachedKey): void {
  if (typeof key !== 'object' || key === null) throw badInput('The key cache was given no key.', 'This is a bug in the calling code.');
  checkImsi(key.imsi);
  if (typeof key.keyId !== 'string' || key.keyId.length === 0 || key.keyId.length > 1024) {
    throw badInput(
      'The key cache was given an empty or oversized keyId.',
      'This is a bug in the calling code: pass the keyId the Keys API returned.',
    );
  }
  if (!(key.ck instanceof Uint8Array) || key.ck.length !== CK_LENGTH) {
    throw badInput(
      `The key cache was given a CK that is not ${CK_LENGTH} bytes.`,
      'This is a bug in the calling code: pass the CK from the SIM authentication.',
    );
  }
  if (!Number.isFinite(key.createdAt) || !Number.isFinite(key.expiresAt) || key.expiresAt <= key.createdAt) {
    throw badInput(
      'The key cache was given a key whose expiry is not after its creation.',
      'This is a bug in the calling code: set expiresAt = createdAt + TTL.',
    );
  }
}

/** A deep copy of an entry, so neither side can change the other's CK. */
export function copyCachedKey(key: CachedKey): CachedKey {
  return { imsi: key.imsi, keyId: key.keyId, ck: key.ck.slice(), createdAt: key.createdAt, expiresAt: key.expiresAt };
}

/** A failure of the storage behind the key cache (no IndexedDB, quota, refused), as a KryptonError. */
export function keyCacheError(message: string, action: string, cause?: unknown): KryptonError {
  return new KryptonError('STORAGE_UNAVAILABLE', message, action, { step: 'key-cache' }, cause === undefined ? undefined : { cause });
}

function badInput(message: string, action: string): KryptonError {
  return new KryptonError('BAD_INPUT', message, action, { step: 'key-cache' });
}
