import { type Bytes, concatBytes, utf8, wipe } from '../bytes/index.ts';
import type { KryptonError } from '../errors/index.ts';
import {
  CK_LENGTH,
  type CachedKey,
  type KeyCache,
  type KeyCacheClock,
  checkCachedKey,
  checkImsi,
  isKeyUsable,
  keyCacheError,
} from './key-cache.ts';

/** Database the browser key cache uses unless told otherwise. */
export const DEFAULT_KEY_CACHE_DATABASE = 'krypton-web';

/** The one object store the key cache owns inside its database. */
export const KEY_CACHE_STORE = 'key-cache';

/**
 * Where the wrapping key sits in the store. Entries are keyed by IMSI strings; an array key can
 * never equal a string, so no IMSI can overwrite the wrapping key and `clear()` can tell them apart.
 */
export const WRAPPING_KEY_ID = ['wrapping-key'];

/** Format of the stored records; part of the authenticated data so an old record cannot pass as a new one. */
const RECORD_VERSION = 1;
/** AES-GCM nonce length recommended by NIST SP 800-38D. */
const IV_LENGTH = 12;
/** AES-GCM tag length (the WebCrypto default). */
const TAG_LENGTH = 16;

/** What one entry looks like in IndexedDB: only the expiry is readable without the wrapping key. */
export interface StoredKeyRecord {
  v: typeof RECORD_VERSION;
  /** Fresh random nonce of this write. */
  iv: Bytes;
  /** AES-GCM(CK ‖ UTF-8 keyId), authenticated with the IMSI and both times. */
  ct: Bytes;
  createdAt: number;
  expiresAt: number;
}

/** Options of {@link IndexedDbKeyCache}. */
export interface IndexedDbKeyCacheOptions {
  /** Database name (default `krypton-web`); other stores in the same database are left alone. */
  name?: string;
  /** The IndexedDB to use (default the platform's `indexedDB`); tests pass a fresh fake per case. */
  indexedDB?: IDBFactory;
  /** Clock for expiry checks (default `Date.now`). */
  now?: KeyCacheClock;
}

interface Session {
  db: IDBDatabase;
  key: CryptoKey;
}

/** Thrown inside an operation when the connection closed under it; the operation is then run once more. */
class ConnectionLost extends Error {}

/**
 * Key cache for browsers and workers. Entries live in IndexedDB, CK and keyId encrypted with
 * AES-256-GCM under a non-extractable key that is generated on first use and kept in the same
 * store (IndexedDB stores a CryptoKey by structured clone, which keeps it non-extractable), so
 * page scripts can use the key but nothing can read it out. An entry that does not decrypt
 * (tampered, moved to another IMSI, wrapping key lost) is treated as absent and removed.
 *
 * Construction throws a KryptonError (`STORAGE_UNAVAILABLE`, step `key-cache`) when IndexedDB or WebCrypto
 * is missing; opening can still fail later (Firefox private windows refuse `open`), so call
 * {@link IndexedDbKeyCache.open} first, or use `openKeyCache()`, which falls back to memory.
 */
export class IndexedDbKeyCache implements KeyCache {
  /** The database this cache lives in. */
  readonly name: string;
  private readonly factory: IDBFactory;
  private readonly now: KeyCacheClock;
  private session: Promise<Session> | undefined;

  constructor(options: IndexedDbKeyCacheOptions = {}) {
    this.name = options.name ?? DEFAULT_KEY_CACHE_DATABASE;
    this.now = options.now ?? (() => Date.now());
    const factory = options.indexedDB ?? platformIndexedDb();
    if (factory === undefined) {
      throw keyCacheError(
        'This browser offers no IndexedDB here (private window, blocked site data, or an old browser), so agreed keys cannot be kept between runs.',
        'Allow site data for this page, or run with the key cache disabled: each run will then agree a new key with the SIM.',
      );
    }
    if (typeof globalThis.crypto?.subtle?.encrypt !== 'function') {
      throw keyCacheError(
        'WebCrypto is not available (the page is not a secure context), so agreed keys cannot be stored encrypted.',
        'Open the page over https or from localhost, or run with the key cache disabled.',
      );
    }
    this.factory = factory;
  }

  /** Opens the database and loads (or creates) the wrapping key; rejects with a KryptonError if storage is refused. */
  async open(): Promise<void> {
    await this.withSession(async () => undefined);
  }

  /** The live key for an IMSI, decrypted into a fresh copy the caller owns. */
  async get(imsi: string): Promise<CachedKey | undefined> {
    checkImsi(imsi);
    return this.withSession(async (s) => {
      const raw = await this.transact(s, 'readonly', (store) => {
        const req = store.get(imsi);
        return () => req.result as unknown;
      });
      if (raw === undefined) return undefined;
      const key = await decryptRecord(s.key, imsi, raw, this.now());
      if (key === undefined) {
        // Expired, tampered with, or under a lost wrapping key: useless either way, so it goes.
        try {
          await this.transact(s, 'readwrite', (store) => deleteIfUnchanged(store, imsi, raw));
        } catch {
          // The answer is still "absent"; a failed clean-up is retried by the next get, not the caller's problem.
        }
      }
      return key;
    });
  }

  /** Encrypts and stores a key, replacing any key for the same IMSI. */
  async put(key: CachedKey): Promise<void> {
    checkCachedKey(key);
    const { imsi, createdAt, expiresAt } = key;
    // Taken before any await, so a caller wiping its CK right after calling put cannot race us.
    const plain = concatBytes(key.ck, utf8(key.keyId));
    try {
      await this.withSession(async (s) => {
        const iv = crypto.getRandomValues(new Uint8Array(IV_LENGTH));
        const ct = new Uint8Array(
          await crypto.subtle.encrypt({ name: 'AES-GCM', iv, additionalData: additionalData(imsi, createdAt, expiresAt) }, s.key, plain),
        );
        const record: StoredKeyRecord = { v: RECORD_VERSION, iv, ct, createdAt, expiresAt };
        await this.transact(s, 'readwrite', (store) => {
          store.put(record, imsi);
          return () => undefined;
        });
      });
    } finally {
      wipe(plain);
    }
  }

  /** Forgets the key for one IMSI. */
  async delete(imsi: string): Promise<void> {
    checkImsi(imsi);
    await this.withSession((s) =>
      this.transact(s, 'readwrite', (store) => {
        store.delete(imsi);
        return () => undefined;
      }),
    );
  }

  /** Forgets every key; the wrapping key stays, so later writes need not make a new one. */
  async clear(): Promise<void> {
    await this.withSession((s) =>
      this.transact(s, 'readwrite', (store) => {
        const req = store.getAllKeys();
        req.onsuccess = () => {
          for (const k of req.result) if (!Array.isArray(k)) store.delete(k);
        };
        return () => undefined;
      }),
    );
  }

  /** Closes this cache's connection; the next call opens it again. */
  async close(): Promise<void> {
    const session = this.session;
    this.session = undefined;
    if (session === undefined) return;
    try {
      (await session).db.close();
    } catch {
      // It never opened: nothing to close.
    }
  }

  /**
   * Removes everything the cache ever stored, wrapping key included: the whole database when the
   * cache is its only user, else just the cache's store (other stores in a shared database stay).
   * Other IndexedDbKeyCache instances let go when asked; a connection held by code that ignores
   * `versionchange` delays this until it closes. The cache can be used again afterwards.
   */
  async destroy(): Promise<void> {
    await this.close();
    const db = await openRequest(this.factory, this.name, undefined);
    const shared = Array.from(db.objectStoreNames).some((n) => n !== KEY_CACHE_STORE);
    const version = db.version;
    db.close();
    if (shared) {
      const upgraded = await openRequest(this.factory, this.name, version + 1, (d) => {
        if (d.objectStoreNames.contains(KEY_CACHE_STORE)) d.deleteObjectStore(KEY_CACHE_STORE);
      });
      upgraded.close();
      return;
    }
    await new Promise<void>((resolve, reject) => {
      let req: IDBOpenDBRequest;
      try {
        req = this.factory.deleteDatabase(this.name);
      } catch (e) {
        reject(storageFailure(e));
        return;
      }
      req.onsuccess = () => resolve();
      req.onerror = () => reject(storageFailure(req.error));
    });
  }

  private connect(): Promise<Session> {
    if (this.session !== undefined) return this.session;
    const attempt: Promise<Session> = (async () => {
      const db = await openDatabase(this.factory, this.name);
      const forget = () => {
        db.close();
        if (this.session === attempt) this.session = undefined;
      };
      // Another tab upgrading or deleting the database must not wait for us: let go and reopen on next use.
      db.onversionchange = forget;
      // The browser may close the connection itself (site data cleared); reopen on next use.
      db.onclose = forget;
      try {
        return { db, key: await loadWrappingKey(db) };
      } catch (e) {
        db.close();
        throw e;
      }
    })();
    this.session = attempt;
    attempt.catch(() => {
      // A failed open is not remembered: the next call tries again (the person may have allowed storage).
      if (this.session === attempt) this.session = undefined;
    });
    return attempt;
  }

  private async withSession<T>(op: (s: Session) => Promise<T>): Promise<T> {
    try {
      return await op(await this.connect());
    } catch (e) {
      if (!(e instanceof ConnectionLost)) throw e;
      // The database was deleted or upgraded by someone else mid-operation: once more on a new connection.
      try {
        return await op(await this.connect());
      } catch (again) {
        throw again instanceof ConnectionLost ? storageFailure(again.cause) : again;
      }
    }
  }

  /** Runs `body` in one transaction, then reads its result once the transaction has committed. */
  private transact<T>(s: Session, mode: IDBTransactionMode, body: (store: IDBObjectStore) => () => T): Promise<T> {
    let tx: IDBTransaction;
    try {
      tx = s.db.transaction(KEY_CACHE_STORE, mode);
    } catch (e) {
      // InvalidStateError: the connection is closing (versionchange, close); the handlers above already
      // dropped the session, so a retry opens a new one.
      return Promise.reject(isDomError(e, 'InvalidStateError') ? new ConnectionLost('closed', { cause: e }) : storageFailure(e));
    }
    return runTransaction(tx, body);
  }
}

/** Aborts the transaction a body runs in, reporting `cause` instead of the bare AbortError. */
type Fail = (cause: unknown) => void;

function runTransaction<T>(tx: IDBTransaction, body: (store: IDBObjectStore, fail: Fail) => () => T): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let result: () => T = () => {
      throw new Error('unreachable: transaction completed before its body ran');
    };
    let failure: unknown;
    const fail: Fail = (cause) => {
      failure ??= cause;
      try {
        tx.abort();
      } catch {
        // Already finished or aborting.
      }
    };
    tx.oncomplete = () => resolve(result());
    // A failed request aborts the transaction; the abort handler reports it once.
    tx.onerror = (event) => event.preventDefault();
    tx.onabort = () => reject(storageFailure(failure ?? tx.error));
    try {
      result = body(tx.objectStore(KEY_CACHE_STORE), fail);
    } catch (e) {
      // e.g. DataCloneError from put: without the abort the transaction would commit with nothing in it.
      fail(e);
    }
  });
}

function startTransaction(db: IDBDatabase, mode: IDBTransactionMode): IDBTransaction {
  try {
    return db.transaction(KEY_CACHE_STORE, mode);
  } catch (e) {
    // Closed by a versionchange while the wrapping key was loading: the caller retries on a new connection.
    throw isDomError(e, 'InvalidStateError') ? new ConnectionLost('closed', { cause: e }) : storageFailure(e);
  }
}

/** Deletes the entry at `imsi` only if it is still `seen`, so a put that landed meanwhile survives. */
function deleteIfUnchanged(store: IDBObjectStore, imsi: string, seen: unknown): () => undefined {
  const req = store.get(imsi);
  req.onsuccess = () => {
    if (req.result !== undefined && fingerprint(req.result) === fingerprint(seen)) store.delete(imsi);
  };
  return () => undefined;
}

/** Identifies one write: its IV, which is random per write; records that do not parse all look alike. */
function fingerprint(raw: unknown): string {
  const record = parseRecord(raw);
  return record === undefined ? 'unparseable' : Array.from(record.iv, (b) => b.toString(16).padStart(2, '0')).join('');
}

async function decryptRecord(wrappingKey: CryptoKey, imsi: string, raw: unknown, now: number): Promise<CachedKey | undefined> {
  const record = parseRecord(raw);
  // Expiry is read before decrypting; the times are authenticated below, so a record pushed later fails there.
  if (record === undefined || !isKeyUsable(record, now)) return undefined;
  let plain: Bytes;
  try {
    plain = new Uint8Array(
      await crypto.subtle.decrypt(
        { name: 'AES-GCM', iv: record.iv, additionalData: additionalData(imsi, record.createdAt, record.expiresAt) },
        wrappingKey,
        record.ct,
      ),
    );
  } catch {
    // OperationError: wrong key, other IMSI, or altered bytes. Deliberately not reported: a cache miss is the answer.
    return undefined;
  }
  try {
    if (plain.length <= CK_LENGTH) return undefined;
    const keyId = new TextDecoder('utf-8', { fatal: true }).decode(plain.subarray(CK_LENGTH));
    return { imsi, keyId, ck: plain.slice(0, CK_LENGTH), createdAt: record.createdAt, expiresAt: record.expiresAt };
  } catch {
    return undefined;
  } finally {
    wipe(plain);
  }
}

function parseRecord(raw: unknown): StoredKeyRecord | undefined {
  if (typeof raw !== 'object' || raw === null) return undefined;
  const r = raw as Partial<Record<keyof StoredKeyRecord, unknown>>;
  if (r.v !== RECORD_VERSION) return undefined;
  if (!(r.iv instanceof Uint8Array) || r.iv.length !== IV_LENGTH) return undefined;
  if (!(r.ct instanceof Uint8Array) || r.ct.length <= CK_LENGTH + TAG_LENGTH) return undefined;
  if (typeof r.createdAt !== 'number' || typeof r.expiresAt !== 'number') return undefined;
  if (!Number.isFinite(r.createdAt) || !Number.isFinite(r.expiresAt)) return undefined;
  return { v: RECORD_VERSION, iv: new Uint8Array(r.iv), ct: new Uint8Array(r.ct), createdAt: r.createdAt, expiresAt: r.expiresAt };
}

/** Binds a ciphertext to its IMSI, its times and the record format, so none can be changed or swapped. */
function additionalData(imsi: string, createdAt: number, expiresAt: number): Bytes {
  return utf8(JSON.stringify(['krypton-web/key-cache', RECORD_VERSION, imsi, createdAt, expiresAt]));
}

function isWrappingKey(value: unknown): value is CryptoKey {
  return (
    typeof CryptoKey !== 'undefined' &&
    value instanceof CryptoKey &&
    value.type === 'secret' &&
    value.extractable === false &&
    value.algorithm.name === 'AES-GCM' &&
    value.usages.includes('encrypt') &&
    value.usages.includes('decrypt')
  );
}

/**
 * The stored wrapping key, or a new one. Generating happens outside the transaction (WebCrypto
 * promises would let it auto-commit); the check-and-add then runs in one readwrite transaction,
 * which IndexedDB serialises, so two tabs opening at once end up sharing whichever key landed first.
 */
async function loadWrappingKey(db: IDBDatabase): Promise<CryptoKey> {
  const stored = await runTransaction(startTransaction(db, 'readonly'), (store) => {
    const req = store.get(WRAPPING_KEY_ID);
    return () => req.result as unknown;
  });
  if (isWrappingKey(stored)) return stored;
  let candidate: CryptoKey;
  try {
    candidate = await crypto.subtle.generateKey({ name: 'AES-GCM', length: 256 }, false, ['encrypt', 'decrypt']);
  } catch (e) {
    throw keyCacheError('WebCrypto could not create the key that protects cached keys.', 'Run with the key cache disabled.', e);
  }
  return runTransaction(startTransaction(db, 'readwrite'), (store, fail) => {
    let chosen = candidate;
    const req = store.get(WRAPPING_KEY_ID);
    req.onsuccess = () => {
      if (isWrappingKey(req.result)) {
        chosen = req.result;
        return;
      }
      if (req.result !== undefined) {
        // Something that is not a usable non-extractable key sat there: entries under it are
        // unreadable or were exposed, so they go with it.
        const keys = store.getAllKeys();
        keys.onsuccess = () => {
          for (const k of keys.result) if (!Array.isArray(k)) store.delete(k);
        };
      }
      try {
        store.put(candidate, WRAPPING_KEY_ID);
      } catch (e) {
        // DataCloneError where CryptoKey cannot be stored: the open fails and openKeyCache falls back.
        fail(e);
      }
    };
    return () => chosen;
  });
}

/**
 * Opens the database, adding the key cache's store if it is missing. The version is not fixed, so
 * the database can be shared with other stores: when ours is absent we upgrade by one.
 */
async function openDatabase(factory: IDBFactory, name: string): Promise<IDBDatabase> {
  let lastError: unknown;
  // A few rounds, because another tab or module may upgrade the same database between our two opens.
  for (let round = 0; round < 3; round++) {
    const db = await openRequest(factory, name, undefined);
    if (db.objectStoreNames.contains(KEY_CACHE_STORE)) return db;
    const version = db.version;
    db.close();
    try {
      const upgraded = await openRequest(factory, name, version + 1);
      if (upgraded.objectStoreNames.contains(KEY_CACHE_STORE)) return upgraded;
      upgraded.close();
    } catch (e) {
      lastError = e;
    }
  }
  // eslint-disable-next-line @typescript-eslint/only-throw-error -- what IndexedDB threw, passed on unchanged
  if (lastError !== undefined) throw lastError;
  throw storageFailure(new DOMException('the key cache store could not be added', 'NotFoundError'));
}

function addStore(db: IDBDatabase): void {
  if (!db.objectStoreNames.contains(KEY_CACHE_STORE)) db.createObjectStore(KEY_CACHE_STORE);
}

function openRequest(
  factory: IDBFactory,
  name: string,
  version: number | undefined,
  upgrade: (db: IDBDatabase) => void = addStore,
): Promise<IDBDatabase> {
  return new Promise<IDBDatabase>((resolve, reject) => {
    let req: IDBOpenDBRequest;
    try {
      req = version === undefined ? factory.open(name) : factory.open(name, version);
    } catch (e) {
      reject(storageFailure(e));
      return;
    }
    req.onupgradeneeded = () => upgrade(req.result);
    req.onsuccess = () => resolve(req.result);
    req.onerror = (event) => {
      event.preventDefault();
      reject(storageFailure(req.error));
    };
  });
}

function platformIndexedDb(): IDBFactory | undefined {
  try {
    return (globalThis as { indexedDB?: IDBFactory }).indexedDB ?? undefined;
  } catch {
    // Some browsers throw SecurityError on merely reading `indexedDB` when site data is blocked.
    return undefined;
  }
}

function isDomError(e: unknown, name: string): boolean {
  return typeof e === 'object' && e !== null && (e as { name?: unknown }).name === name;
}

function storageFailure(cause: unknown): KryptonError {
  const name =
    typeof cause === 'object' && cause !== null && typeof (cause as { name?: unknown }).name === 'string'
      ? (cause as { name: string }).name
      : 'unknown error';
  return keyCacheError(
    `The browser refused to read or write the key cache (${name}).`,
    "Clear this site's data or free some disk space, or run with the key cache disabled: each run will then agree a new key with the SIM.",
    cause,
  );
}
