import { IDBFactory } from 'fake-indexeddb';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { type Bytes, toBase64, toHex, utf8 } from '../bytes/index.ts';
import { KryptonError } from '../errors/index.ts';
import { CK_A, CK_B, IMSI_A, IMSI_B, T0, keyCacheContract, sampleKey } from './key-cache-contract.test-support.ts';
import {
  DEFAULT_KEY_CACHE_DATABASE,
  IndexedDbKeyCache,
  KEY_CACHE_STORE,
  type StoredKeyRecord,
  WRAPPING_KEY_ID,
} from './indexeddb-key-cache.ts';
import { DEFAULT_KEY_TTL_MS } from './key-cache.ts';
import { factoryWithOpen, refusingRequest } from './indexeddb.test-support.ts';

// Every test gets its own in-memory IndexedDB, so nothing leaks between cases.
keyCacheContract('IndexedDbKeyCache', (now) => new IndexedDbKeyCache({ indexedDB: new IDBFactory(), now }));

// ---- Raw access to the database, bypassing the cache, to see and tamper with what it stored ----

function request<T>(req: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
}

async function withRawStore<T>(
  factory: IDBFactory,
  mode: IDBTransactionMode,
  fn: (store: IDBObjectStore) => IDBRequest<T>,
  name = DEFAULT_KEY_CACHE_DATABASE,
): Promise<T> {
  const db = await request(factory.open(name));
  try {
    const tx = db.transaction(KEY_CACHE_STORE, mode);
    const result = await request(fn(tx.objectStore(KEY_CACHE_STORE)));
    await new Promise<void>((resolve, reject) => {
      tx.oncomplete = () => resolve();
      tx.onabort = () => reject(tx.error);
    });
    return result;
  } finally {
    db.close();
  }
}

const rawGet = (f: IDBFactory, key: IDBValidKey) => withRawStore<unknown>(f, 'readonly', (s) => s.get(key));
const rawPut = (f: IDBFactory, key: IDBValidKey, value: unknown) => withRawStore(f, 'readwrite', (s) => s.put(value, key));
const rawKeys = (f: IDBFactory) => withRawStore(f, 'readonly', (s) => s.getAllKeys());

async function rawRecord(f: IDBFactory, imsi: string): Promise<StoredKeyRecord> {
  const raw = await rawGet(f, imsi);
  expect(raw).toBeDefined();
  return raw as StoredKeyRecord;
}

function contains(haystack: Uint8Array, needle: Uint8Array): boolean {
  outer: for (let i = 0; i + needle.length <= haystack.length; i++) {
    for (let j = 0; j < needle.length; j++) if (haystack[i + j] !== needle[j]) continue outer;
    return true;
  }
  return false;
}

/** Every byte array and every string reachable from a stored value, for looking for leaked secrets. */
function flatten(value: unknown, fields: Uint8Array[] = [], text: string[] = []): { fields: Uint8Array[]; text: string } {
  if (value instanceof Uint8Array) fields.push(value);
  else if (value instanceof ArrayBuffer) fields.push(new Uint8Array(value));
  else if (typeof value === 'string' || typeof value === 'number') text.push(String(value));
  else if (typeof value === 'object' && value !== null) {
    for (const [k, v] of Object.entries(value)) {
      text.push(k);
      flatten(v, fields, text);
    }
  }
  return { fields, text: text.join('\u0000') };
}

const anyContains = (fields: Uint8Array[], needle: Uint8Array) => fields.some((field) => contains(field, needle));

describe('fake-indexeddb in Node 20 (what these tests can prove)', () => {
  it('stores a non-extractable CryptoKey by structured clone: a distinct, still non-extractable, working key comes back', async () => {
    const f = new IDBFactory();
    await new IndexedDbKeyCache({ indexedDB: f }).open();
    const key = await crypto.subtle.generateKey({ name: 'AES-GCM', length: 256 }, false, ['encrypt', 'decrypt']);
    await rawPut(f, 'probe', key);
    const back = await rawGet(f, 'probe');
    expect(back).toBeInstanceOf(CryptoKey);
    expect(back).not.toBe(key);
    const clone = back as CryptoKey;
    expect(clone.extractable).toBe(false);
    expect(clone.algorithm).toEqual({ name: 'AES-GCM', length: 256 });
    const iv = new Uint8Array(12);
    const ct = await crypto.subtle.encrypt({ name: 'AES-GCM', iv }, key, utf8('same key?'));
    expect(new TextDecoder().decode(await crypto.subtle.decrypt({ name: 'AES-GCM', iv }, clone, ct))).toBe('same key?');
  });
});

describe('IndexedDbKeyCache storage', () => {
  let f: IDBFactory;
  let t: number;
  const now = () => t;
  let cache: IndexedDbKeyCache;
  beforeEach(() => {
    f = new IDBFactory();
    t = T0;
    cache = new IndexedDbKeyCache({ indexedDB: f, now });
  });

  it('uses the database krypton-web and one store holding the wrapping key and one record per IMSI', async () => {
    await cache.put(sampleKey(IMSI_A));
    await cache.put(sampleKey(IMSI_B, CK_B));
    const dbs = await f.databases();
    expect(dbs.map((d) => d.name)).toEqual(['krypton-web']);
    const db = await request(f.open('krypton-web'));
    expect(Array.from(db.objectStoreNames)).toEqual([KEY_CACHE_STORE]);
    db.close();
    expect(await rawKeys(f)).toEqual([IMSI_A, IMSI_B, WRAPPING_KEY_ID]);
  });

  it('honours a configured database name', async () => {
    const named = new IndexedDbKeyCache({ indexedDB: f, name: 'other-db', now });
    await named.put(sampleKey());
    expect((await f.databases()).map((d) => d.name)).toEqual(['other-db']);
    expect(await new IndexedDbKeyCache({ indexedDB: f, name: 'other-db', now }).get(IMSI_A)).toBeDefined();
    expect(await new IndexedDbKeyCache({ indexedDB: f, now }).get(IMSI_A)).toBeUndefined();
  });

  it('keeps neither the CK nor the keyId in clear in the stored record', async () => {
    const key = sampleKey(IMSI_A, CK_A, T0, 'keyid-0123456789abcdef');
    await cache.put(key);
    const raw = await rawRecord(f, IMSI_A);
    const { fields, text } = flatten(raw);
    // The checker itself must find a CK stored in clear, or its silence below proves nothing.
    expect(anyContains(flatten({ ...raw, extra: { ck: CK_A.slice() } }).fields, CK_A)).toBe(true);
    expect(fields).toHaveLength(2);
    expect(anyContains(fields, CK_A)).toBe(false);
    expect(anyContains(fields, utf8(key.keyId))).toBe(false);
    for (const form of [toHex(CK_A), toHex(CK_A).toUpperCase(), toBase64(CK_A), key.keyId]) expect(text).not.toContain(form);
    expect(raw.iv).toHaveLength(12);
    expect(raw.ct).toHaveLength(16 + key.keyId.length + 16); // CK ‖ keyId, plus the 16-byte GCM tag
    expect({ createdAt: raw.createdAt, expiresAt: raw.expiresAt }).toEqual({ createdAt: T0, expiresAt: T0 + DEFAULT_KEY_TTL_MS });
  });

  it('uses a fresh IV for every write', async () => {
    const ivs = new Set<string>();
    for (let i = 0; i < 5; i++) {
      await cache.put(sampleKey());
      ivs.add(toHex((await rawRecord(f, IMSI_A)).iv));
    }
    expect(ivs.size).toBe(5);
  });

  it('keeps a non-extractable AES-GCM wrapping key that exportKey refuses', async () => {
    await cache.put(sampleKey());
    const wrap = await rawGet(f, WRAPPING_KEY_ID);
    expect(wrap).toBeInstanceOf(CryptoKey);
    const key = wrap as CryptoKey;
    expect(key.extractable).toBe(false);
    expect(key.algorithm).toEqual({ name: 'AES-GCM', length: 256 });
    expect([...key.usages].sort()).toEqual(['decrypt', 'encrypt']);
    await expect(crypto.subtle.exportKey('raw', key)).rejects.toThrow();
    await expect(crypto.subtle.exportKey('jwk', key)).rejects.toThrow();
  });

  it('lets a second instance on the same database read what the first wrote (one wrapping key)', async () => {
    await cache.put(sampleKey(IMSI_A, CK_A));
    const second = new IndexedDbKeyCache({ indexedDB: f, now });
    expect(await second.get(IMSI_A)).toEqual(sampleKey(IMSI_A, CK_A));
    await second.put(sampleKey(IMSI_B, CK_B));
    expect((await cache.get(IMSI_B))?.ck).toEqual(CK_B);
  });

  it('agrees on one wrapping key when two fresh instances first write at the same time', async () => {
    const a = new IndexedDbKeyCache({ indexedDB: f, now });
    const b = new IndexedDbKeyCache({ indexedDB: f, now });
    await Promise.all([a.put(sampleKey(IMSI_A, CK_A)), b.put(sampleKey(IMSI_B, CK_B))]);
    const third = new IndexedDbKeyCache({ indexedDB: f, now });
    expect((await third.get(IMSI_A))?.ck).toEqual(CK_A);
    expect((await third.get(IMSI_B))?.ck).toEqual(CK_B);
  });

  describe('a record that does not decrypt is absent, and is removed', () => {
    beforeEach(async () => {
      await cache.put(sampleKey(IMSI_A, CK_A));
      await cache.put(sampleKey(IMSI_B, CK_B));
    });

    async function expectGoneButOtherIntact(imsi: string, other: string, otherCk: Bytes) {
      expect(await cache.get(imsi)).toBeUndefined();
      expect(await rawGet(f, imsi)).toBeUndefined();
      expect((await cache.get(other))?.ck).toEqual(otherCk);
    }

    it('a flipped ciphertext bit', async () => {
      const r = await rawRecord(f, IMSI_A);
      r.ct[3]! ^= 0x01;
      await rawPut(f, IMSI_A, r);
      await expectGoneButOtherIntact(IMSI_A, IMSI_B, CK_B);
    });

    it('a flipped tag bit (the last ciphertext byte)', async () => {
      const r = await rawRecord(f, IMSI_A);
      r.ct[r.ct.length - 1]! ^= 0x80;
      await rawPut(f, IMSI_A, r);
      await expectGoneButOtherIntact(IMSI_A, IMSI_B, CK_B);
    });

    it('a flipped IV bit', async () => {
      const r = await rawRecord(f, IMSI_A);
      r.iv[0]! ^= 0x01;
      await rawPut(f, IMSI_A, r);
      await expectGoneButOtherIntact(IMSI_A, IMSI_B, CK_B);
    });

    it("a record copied over another IMSI's (the IMSI is authenticated data)", async () => {
      await rawPut(f, IMSI_B, await rawRecord(f, IMSI_A));
      await expectGoneButOtherIntact(IMSI_B, IMSI_A, CK_A);
    });

    it('a record moved to an IMSI that had none', async () => {
      const elsewhere = '001010000000099';
      await rawPut(f, elsewhere, await rawRecord(f, IMSI_A));
      expect(await cache.get(elsewhere)).toBeUndefined();
      expect(await rawGet(f, elsewhere)).toBeUndefined();
      expect((await cache.get(IMSI_A))?.ck).toEqual(CK_A);
    });

    it('an expiry pushed later (the times are authenticated data)', async () => {
      const r = await rawRecord(f, IMSI_A);
      await rawPut(f, IMSI_A, { ...r, expiresAt: r.expiresAt + DEFAULT_KEY_TTL_MS });
      await expectGoneButOtherIntact(IMSI_A, IMSI_B, CK_B);
    });

    it('a record that is not a record at all', async () => {
      for (const junk of ['hello', 42, null, { v: 2 }, { ...(await rawRecord(f, IMSI_B)), iv: 'abc' }]) {
        await rawPut(f, IMSI_A, junk);
        expect(await cache.get(IMSI_A)).toBeUndefined();
        expect(await rawGet(f, IMSI_A)).toBeUndefined();
      }
      expect((await cache.get(IMSI_B))?.ck).toEqual(CK_B);
    });

    it('every record, once the wrapping key is lost (a new one is made)', async () => {
      await withRawStore(f, 'readwrite', (s) => s.delete(WRAPPING_KEY_ID));
      const fresh = new IndexedDbKeyCache({ indexedDB: f, now });
      expect(await fresh.get(IMSI_A)).toBeUndefined();
      expect(await fresh.get(IMSI_B)).toBeUndefined();
      expect(await rawKeys(f)).toEqual([WRAPPING_KEY_ID]);
      await fresh.put(sampleKey(IMSI_A, CK_B));
      expect((await fresh.get(IMSI_A))?.ck).toEqual(CK_B);
    });
  });

  it('removing an unreadable record never removes a fresh one written meanwhile', async () => {
    await cache.put(sampleKey(IMSI_A, CK_A));
    const r = await rawRecord(f, IMSI_A);
    r.ct[0]! ^= 1;
    await rawPut(f, IMSI_A, r);
    // Hold the decryption of the tampered record while another tab writes a good one.
    const subtle = crypto.subtle;
    const decrypt = subtle.decrypt.bind(subtle);
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const spy = vi.spyOn(subtle, 'decrypt').mockImplementationOnce(async (alg, key, data) => {
      await gate;
      return decrypt(alg, key, data);
    });
    try {
      const reading = cache.get(IMSI_A);
      await new IndexedDbKeyCache({ indexedDB: f, now }).put(sampleKey(IMSI_A, CK_B));
      release();
      expect(await reading).toBeUndefined();
    } finally {
      spy.mockRestore();
    }
    expect((await cache.get(IMSI_A))?.ck).toEqual(CK_B);
  });

  it('still answers "absent", without throwing, when removing an unreadable record fails', async () => {
    await cache.put(sampleKey(IMSI_A, CK_A));
    const r = await rawRecord(f, IMSI_A);
    r.ct[0]! ^= 1;
    await rawPut(f, IMSI_A, r);
    const { IDBObjectStore: FakeStore } = await import('fake-indexeddb');
    const spy = vi.spyOn(FakeStore.prototype, 'delete').mockImplementation(() => {
      throw new DOMException('disk full', 'QuotaExceededError');
    });
    try {
      await expect(cache.get(IMSI_A)).resolves.toBeUndefined();
      expect(spy).toHaveBeenCalled();
    } finally {
      spy.mockRestore();
    }
    expect(await rawGet(f, IMSI_A)).toBeDefined(); // the clean-up really failed; the next get retries it
    expect(await cache.get(IMSI_A)).toBeUndefined();
    expect(await rawGet(f, IMSI_A)).toBeUndefined();
  });

  it('replaces an extractable (or junk) wrapping key and drops the entries written under it', async () => {
    await cache.put(sampleKey(IMSI_A));
    const leaky = await crypto.subtle.generateKey({ name: 'AES-GCM', length: 256 }, true, ['encrypt', 'decrypt']);
    await rawPut(f, WRAPPING_KEY_ID, leaky);
    const fresh = new IndexedDbKeyCache({ indexedDB: f, now });
    await fresh.open();
    expect(await rawKeys(f)).toEqual([WRAPPING_KEY_ID]);
    expect(((await rawGet(f, WRAPPING_KEY_ID)) as CryptoKey).extractable).toBe(false);

    await rawPut(f, WRAPPING_KEY_ID, 'not a key');
    const again = new IndexedDbKeyCache({ indexedDB: f, now });
    await again.put(sampleKey(IMSI_B, CK_B));
    expect((await again.get(IMSI_B))?.ck).toEqual(CK_B);
    expect((await rawGet(f, WRAPPING_KEY_ID)) as CryptoKey).toBeInstanceOf(CryptoKey);
  });

  it('removes an expired record from storage when it is read', async () => {
    await cache.put(sampleKey(IMSI_A));
    await cache.put(sampleKey(IMSI_B, CK_B, T0 + 30 * 60_000));
    t = T0 + DEFAULT_KEY_TTL_MS;
    expect(await cache.get(IMSI_A)).toBeUndefined();
    expect(await rawGet(f, IMSI_A)).toBeUndefined();
    expect(await rawGet(f, IMSI_B)).toBeDefined();
  });

  it('clear removes every entry but keeps the wrapping key, so later writes reuse it', async () => {
    await cache.put(sampleKey(IMSI_A));
    await cache.put(sampleKey(IMSI_B, CK_B));
    const before = await rawGet(f, WRAPPING_KEY_ID);
    await cache.clear();
    expect(await rawKeys(f)).toEqual([WRAPPING_KEY_ID]);
    await cache.put(sampleKey(IMSI_A));
    // A value written under the old key decrypts with a cache that loaded the key before clear.
    const iv = new Uint8Array(12);
    const ct = await crypto.subtle.encrypt({ name: 'AES-GCM', iv }, before as CryptoKey, utf8('x'));
    await expect(
      crypto.subtle.decrypt({ name: 'AES-GCM', iv }, (await rawGet(f, WRAPPING_KEY_ID)) as CryptoKey, ct),
    ).resolves.toBeDefined();
  });

  it('destroy deletes the database, wrapping key included; the cache works again afterwards with a new key', async () => {
    await cache.put(sampleKey(IMSI_A));
    const other = new IndexedDbKeyCache({ indexedDB: f, now });
    expect(await other.get(IMSI_A)).toBeDefined(); // holds an open connection that destroy must not wait on forever
    const oldWrap = await rawGet(f, WRAPPING_KEY_ID);
    await cache.destroy();
    expect(await f.databases()).toEqual([]);
    expect(await other.get(IMSI_A)).toBeUndefined();
    await cache.put(sampleKey(IMSI_B, CK_B));
    expect((await other.get(IMSI_B))?.ck).toEqual(CK_B);
    const newWrap = (await rawGet(f, WRAPPING_KEY_ID)) as CryptoKey;
    const iv = new Uint8Array(12);
    const ct = await crypto.subtle.encrypt({ name: 'AES-GCM', iv }, oldWrap as CryptoKey, utf8('x'));
    await expect(crypto.subtle.decrypt({ name: 'AES-GCM', iv }, newWrap, ct)).rejects.toThrow();
  });

  it('finishes a put whose connection was closed mid-way (database deleted elsewhere) on a new connection', async () => {
    await cache.open();
    // Hold the first encryption until another instance has deleted the database under us.
    const subtle = crypto.subtle;
    const encrypt = subtle.encrypt.bind(subtle);
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const spy = vi.spyOn(subtle, 'encrypt').mockImplementation(async (alg, key, data) => {
      const out = encrypt(alg, key, data);
      await gate;
      return out;
    });
    try {
      const pending = cache.put(sampleKey(IMSI_A));
      await new IndexedDbKeyCache({ indexedDB: f, now }).destroy();
      release();
      await pending;
      // Encrypted twice: once under the deleted database's key, once more under the new one.
      expect(spy).toHaveBeenCalledTimes(2);
    } finally {
      spy.mockRestore();
    }
    expect((await new IndexedDbKeyCache({ indexedDB: f, now }).get(IMSI_A))?.ck).toEqual(CK_A);
  });

  it('shares a database with other stores: adds its own, leaves theirs, and destroy removes only its own', async () => {
    const db = await new Promise<IDBDatabase>((resolve, reject) => {
      const req = f.open(DEFAULT_KEY_CACHE_DATABASE, 3);
      req.onupgradeneeded = () => req.result.createObjectStore('settings');
      req.onsuccess = () => resolve(req.result);
      req.onerror = () => reject(req.error);
    });
    await new Promise<void>((resolve) => {
      const tx = db.transaction('settings', 'readwrite');
      tx.objectStore('settings').put('dark', 'theme');
      tx.oncomplete = () => resolve();
    });
    db.close();

    await cache.put(sampleKey(IMSI_A));
    expect((await cache.get(IMSI_A))?.ck).toEqual(CK_A);
    const after = await request(f.open(DEFAULT_KEY_CACHE_DATABASE));
    expect(after.version).toBe(4);
    expect(Array.from(after.objectStoreNames).sort()).toEqual([KEY_CACHE_STORE, 'settings']);
    after.close();

    await cache.destroy();
    const left = await request(f.open(DEFAULT_KEY_CACHE_DATABASE));
    expect(Array.from(left.objectStoreNames)).toEqual(['settings']);
    const theme = await request(left.transaction('settings').objectStore('settings').get('theme'));
    left.close();
    expect(theme).toBe('dark');
  });

  it('reopens after close and after the browser closes the connection itself', async () => {
    await cache.put(sampleKey(IMSI_A));
    await cache.close();
    expect((await cache.get(IMSI_A))?.ck).toEqual(CK_A);
    const { forceCloseDatabase } = await import('fake-indexeddb');
    const session = await (cache as unknown as { session: Promise<{ db: IDBDatabase }> }).session;
    forceCloseDatabase(session.db as never);
    expect((await cache.get(IMSI_A))?.ck).toEqual(CK_A);
  });
});

describe('IndexedDbKeyCache secrets in memory and logs', () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('zeroes the plaintext it encrypts and the plaintext it decrypts', async () => {
    const subtle = crypto.subtle;
    const encrypt = subtle.encrypt.bind(subtle);
    const decrypt = subtle.decrypt.bind(subtle);
    const encrypted: Uint8Array[] = [];
    const decrypted: ArrayBuffer[] = [];
    vi.spyOn(subtle, 'encrypt').mockImplementation(async (alg, key, data) => {
      encrypted.push(data as Uint8Array);
      return encrypt(alg, key, data);
    });
    vi.spyOn(subtle, 'decrypt').mockImplementation(async (alg, key, data) => {
      const out = await decrypt(alg, key, data);
      decrypted.push(out);
      return out;
    });
    const cache = new IndexedDbKeyCache({ indexedDB: new IDBFactory(), now: () => T0 });
    await cache.put(sampleKey());
    const got = await cache.get(IMSI_A);
    expect(got?.ck).toEqual(CK_A);
    expect(encrypted).toHaveLength(1);
    expect(decrypted).toHaveLength(1);
    expect(encrypted[0]!.length).toBeGreaterThan(16);
    expect(encrypted[0]!.every((b) => b === 0)).toBe(true);
    expect(new Uint8Array(decrypted[0]!).every((b) => b === 0)).toBe(true);
  });

  it('writes nothing to the console, in success or failure', async () => {
    const spies = (['log', 'info', 'warn', 'error', 'debug', 'trace'] as const).map((m) =>
      vi.spyOn(console, m).mockImplementation(() => undefined),
    );
    const f = new IDBFactory();
    const cache = new IndexedDbKeyCache({ indexedDB: f, now: () => T0 });
    await cache.put(sampleKey());
    await cache.get(IMSI_A);
    const r = await rawRecord(f, IMSI_A);
    r.ct[0]! ^= 1;
    await rawPut(f, IMSI_A, r);
    await cache.get(IMSI_A);
    await cache.put({ ...sampleKey(), ck: new Uint8Array(3) }).catch(() => undefined);
    await cache.destroy();
    for (const spy of spies) expect(spy).not.toHaveBeenCalled();
  });
});

describe('IndexedDbKeyCache without usable IndexedDB', () => {
  it('throws STORAGE_UNAVAILABLE at construction when the platform has no indexedDB', () => {
    expect('indexedDB' in globalThis).toBe(false); // Node without fake-indexeddb/auto
    let caught: unknown;
    try {
      new IndexedDbKeyCache();
    } catch (e) {
      caught = e;
    }
    expect(KryptonError.is(caught, 'STORAGE_UNAVAILABLE')).toBe(true);
    expect((caught as KryptonError).details.step).toBe('key-cache');
    expect((caught as KryptonError).action).toMatch(/key cache disabled/);
  });

  it('rejects open() with STORAGE_UNAVAILABLE when the browser refuses to open the database, and tries again next time', async () => {
    let refuse = true;
    const factory = factoryWithOpen(new IDBFactory(), () =>
      refuse
        ? refusingRequest(
            new DOMException('A mutation operation was attempted on a database that did not allow mutations.', 'InvalidStateError'),
          )
        : undefined,
    );
    const cache = new IndexedDbKeyCache({ indexedDB: factory, now: () => T0 });
    const e = await cache.open().then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(KryptonError.is(e, 'STORAGE_UNAVAILABLE')).toBe(true);
    expect((e as KryptonError).message).toContain('InvalidStateError');
    await expect(cache.get(IMSI_A)).rejects.toSatisfy((err) => KryptonError.is(err, 'STORAGE_UNAVAILABLE'));
    refuse = false;
    await cache.put(sampleKey());
    expect((await cache.get(IMSI_A))?.ck).toEqual(CK_A);
  });
});
