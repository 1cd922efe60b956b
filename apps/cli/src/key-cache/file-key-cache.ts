import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { chmod, link, mkdir, open, readFile, rename, stat, unlink } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { KryptonError, isKeyUsable, type CachedKey, type KeyCache } from '@krypton-web/krypton-core';

/** Where the cache and its key live. */
export interface KeyCachePaths {
  /** The encrypted cache (`$XDG_CACHE_HOME/krypton-web/keys.bin`). */
  cacheFile: string;
  /** The 256-bit key that encrypts it, kept apart (`$XDG_CONFIG_HOME/krypton-web/cache.key`). */
  keyFile: string;
}

/** Options of a file key cache. */
export interface FileKeyCacheOptions extends KeyCachePaths {
  /** Clock for expiry (default Date.now). */
  now?: () => number;
  /** Told about unreadable files and failed writes (the cache carries on as if empty). */
  onProblem?: (message: string) => void;
}

/**
 * The default paths: `KRYPTON_CLI_CACHE_DIR` / `KRYPTON_CLI_CONFIG_DIR` when set (tests), else the XDG
 * base directories, else `~/.cache` and `~/.config`.
 */
export function defaultKeyCachePaths(env: NodeJS.ProcessEnv, home: string): KeyCachePaths {
  const cacheDir = env.KRYPTON_CLI_CACHE_DIR || join(absoluteOr(env.XDG_CACHE_HOME, join(home, '.cache')), 'krypton-web');
  const configDir = env.KRYPTON_CLI_CONFIG_DIR || join(absoluteOr(env.XDG_CONFIG_HOME, join(home, '.config')), 'krypton-web');
  return { cacheFile: join(cacheDir, 'keys.bin'), keyFile: join(configDir, 'cache.key') };
}

/** XDG says relative paths in these variables are invalid and must be ignored. */
function absoluteOr(value: string | undefined, fallback: string): string {
  return value && value.startsWith('/') ? value : fallback;
}

/** File layout: magic and version, then a 96-bit IV, then AES-256-GCM ciphertext with its 128-bit tag. */
const MAGIC = Buffer.from('KWKC\x01', 'latin1');
const IV_BYTES = 12;
const TAG_BYTES = 16;
const KEY_BYTES = 32;
/** A cache holds a handful of SIMs; anything larger is not ours. */
const MAX_FILE_BYTES = 1024 * 1024;

interface StoredEntry {
  imsi: string;
  keyId: string;
  ck: string;
  createdAt: number;
  expiresAt: number;
}

/**
 * krypton-core's KeyCache in a file, for the CLI: one hour per key (the expiry core sets), the
 * whole file encrypted with AES-256-GCM under a random key kept in another file, both 0600 in 0700
 * directories. An unreadable, corrupt or foreign file counts as empty and is rewritten; writes go
 * to a temporary file renamed over the old one, so a crash never leaves half a cache.
 */
export class FileKeyCache implements KeyCache {
  private readonly now: () => number;
  private readonly problem: (message: string) => void;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly options: FileKeyCacheOptions) {
    this.now = options.now ?? Date.now;
    this.problem = options.onProblem ?? (() => undefined);
  }

  /** The paths in use. */
  get paths(): KeyCachePaths {
    return { cacheFile: this.options.cacheFile, keyFile: this.options.keyFile };
  }

  /** The live key for an IMSI (a copy); expired entries are dropped from the file. */
  async get(imsi: string): Promise<CachedKey | undefined> {
    checkImsi(imsi);
    return this.serial(async () => {
      const { entries, rewrite } = await this.load();
      const now = this.now();
      const live = entries.filter((e) => isKeyUsable(e, now));
      const found = live.find((e) => e.imsi === imsi);
      if (rewrite || live.length !== entries.length) await this.tidy(live);
      return found && toCachedKey(found);
    });
  }

  /** Stores a key, replacing the IMSI's previous one. */
  async put(key: CachedKey): Promise<void> {
    checkKey(key);
    // Take what is needed before any await: the caller may wipe its CK as soon as put() returns a promise.
    const entry: StoredEntry = {
      imsi: key.imsi,
      keyId: key.keyId,
      ck: Buffer.from(key.ck).toString('base64'),
      createdAt: key.createdAt,
      expiresAt: key.expiresAt,
    };
    return this.serial(async () => {
      const { entries } = await this.load();
      const now = this.now();
      await this.save([...entries.filter((e) => e.imsi !== entry.imsi && isKeyUsable(e, now)), entry]);
    });
  }

  /** Forgets the key of one IMSI. */
  async delete(imsi: string): Promise<void> {
    checkImsi(imsi);
    return this.serial(async () => {
      const { entries, rewrite } = await this.load();
      const kept = entries.filter((e) => e.imsi !== imsi);
      if (rewrite || kept.length !== entries.length) await this.save(kept);
    });
  }

  /** Forgets every key: the cache file is removed (the encryption key stays for the next one). */
  async clear(): Promise<void> {
    return this.serial(async () => {
      await unlink(this.options.cacheFile).catch((e: NodeJS.ErrnoException) => {
        if (e.code !== 'ENOENT') throw e;
      });
    });
  }

  /** One read-modify-write at a time within this process (another process may still interleave; the last rename wins). */
  private serial<T>(work: () => Promise<T>): Promise<T> {
    const run = this.queue.then(work, work);
    this.queue = run.catch(() => undefined);
    return run;
  }

  /** Reads and decrypts the cache; anything wrong with it means "empty, and rewrite it". */
  private async load(): Promise<{ entries: StoredEntry[]; rewrite: boolean }> {
    let data: Buffer;
    try {
      const info = await stat(this.options.cacheFile);
      if (!info.isFile() || info.size > MAX_FILE_BYTES) {
        this.problem(`${this.options.cacheFile} is not a key cache file; it will be replaced`);
        return { entries: [], rewrite: true };
      }
      data = await readFile(this.options.cacheFile);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT')
        this.problem(`${this.options.cacheFile} cannot be read (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
      return { entries: [], rewrite: false };
    }
    const key = await this.readKey();
    if (!key) {
      this.problem(`the key cache cannot be decrypted without ${this.options.keyFile}; starting afresh`);
      return { entries: [], rewrite: true };
    }
    try {
      return { entries: decrypt(data, key), rewrite: false };
    } catch {
      this.problem(`${this.options.cacheFile} is corrupt or was encrypted with another key; starting afresh`);
      return { entries: [], rewrite: true };
    } finally {
      key.fill(0);
    }
  }

  /** Rewrites the file without what was dropped; a failure here costs nothing but a message. */
  private async tidy(entries: StoredEntry[]): Promise<void> {
    try {
      await this.save(entries);
    } catch (e) {
      this.problem(`${this.options.cacheFile} could not be rewritten (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
    }
  }

  private async save(entries: StoredEntry[]): Promise<void> {
    const key = await this.readKey(true);
    if (!key) throw new Error(`the key cache's key ${this.options.keyFile} cannot be created`);
    try {
      await writeAtomically(this.options.cacheFile, encrypt(entries, key));
    } finally {
      key.fill(0);
    }
  }

  /** The cache's key; with `create`, a new one is made when there is none (or it is unusable). */
  private async readKey(create = false): Promise<Buffer | undefined> {
    const file = this.options.keyFile;
    try {
      const key = await readFile(file);
      if (key.length === KEY_BYTES) {
        await tightenMode(file);
        return key;
      }
      key.fill(0);
      this.problem(`${file} is not a 256-bit key; ${create ? 'a new one replaces it' : 'ignoring it'}`);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') {
        this.problem(`${file} cannot be read (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
        if (!create) return undefined;
      }
    }
    if (!create) return undefined;
    const key = randomBytes(KEY_BYTES);
    await writeAtomically(file, key, true);
    // Two processes may have raced to create it: whatever won the rename is the key.
    const stored = await readFile(file);
    key.fill(0);
    return stored.length === KEY_BYTES ? stored : undefined;
  }
}

function badInput(message: string): KryptonError {
  return new KryptonError('BAD_INPUT', message, 'This is a bug in the calling code.', { step: 'key-cache' });
}

function checkImsi(imsi: unknown): void {
  if (typeof imsi !== 'string' || !/^[0-9]{6,15}$/.test(imsi))
    throw badInput('The key cache was given an IMSI that is not 6 to 15 digits.');
}

function checkKey(key: CachedKey): void {
  if (typeof key !== 'object' || key === null) throw badInput('The key cache was given no key.');
  checkImsi(key.imsi);
  if (typeof key.keyId !== 'string' || key.keyId.length === 0 || key.keyId.length > 1024)
    throw badInput('The key cache was given an empty or oversized keyId.');
  if (!(key.ck instanceof Uint8Array) || key.ck.length !== 16) throw badInput('The key cache was given a CK that is not 16 bytes.');
  if (!Number.isFinite(key.createdAt) || !Number.isFinite(key.expiresAt) || key.expiresAt <= key.createdAt) {
    throw badInput('The key cache was given a key whose expiry is not after its creation.');
  }
}

function toCachedKey(e: StoredEntry): CachedKey {
  return { imsi: e.imsi, keyId: e.keyId, ck: new Uint8Array(Buffer.from(e.ck, 'base64')), createdAt: e.createdAt, expiresAt: e.expiresAt };
}

function encrypt(entries: StoredEntry[], key: Buffer): Buffer {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(MAGIC);
  const plain = Buffer.from(JSON.stringify({ entries }), 'utf8');
  const body = Buffer.concat([cipher.update(plain), cipher.final()]);
  plain.fill(0);
  return Buffer.concat([MAGIC, iv, body, cipher.getAuthTag()]);
}

function decrypt(data: Buffer, key: Buffer): StoredEntry[] {
  if (data.length < MAGIC.length + IV_BYTES + TAG_BYTES || !data.subarray(0, MAGIC.length).equals(MAGIC))
    throw new Error('not a key cache');
  const iv = data.subarray(MAGIC.length, MAGIC.length + IV_BYTES);
  const tag = data.subarray(data.length - TAG_BYTES);
  const decipher = createDecipheriv('aes-256-gcm', key, iv);
  decipher.setAAD(MAGIC);
  decipher.setAuthTag(tag);
  const plain = Buffer.concat([decipher.update(data.subarray(MAGIC.length + IV_BYTES, data.length - TAG_BYTES)), decipher.final()]);
  try {
    const parsed = JSON.parse(plain.toString('utf8')) as { entries?: unknown };
    if (!Array.isArray(parsed.entries)) throw new Error('no entries');
    return parsed.entries.filter(isStoredEntry);
  } finally {
    plain.fill(0);
  }
}

function isStoredEntry(v: unknown): v is StoredEntry {
  const e = v as Partial<StoredEntry> | null;
  return (
    typeof e === 'object' &&
    e !== null &&
    typeof e.imsi === 'string' &&
    /^[0-9]{6,15}$/.test(e.imsi) &&
    typeof e.keyId === 'string' &&
    e.keyId.length > 0 &&
    typeof e.ck === 'string' &&
    Buffer.from(e.ck, 'base64').length === 16 &&
    Number.isFinite(e.createdAt) &&
    Number.isFinite(e.expiresAt)
  );
}

/** Writes a 0600 file in a 0700 directory through a temporary file and a rename. */
async function writeAtomically(path: string, data: Buffer, exclusiveKey = false): Promise<void> {
  const dir = dirname(path);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  await tightenMode(dir, 0o700);
  const temp = join(dir, `.${randomBytes(6).toString('hex')}.tmp`);
  // 'wx': never follow or reuse something already at the temporary name.
  const handle = await open(temp, 'wx', 0o600);
  try {
    await handle.writeFile(data);
    await handle.sync();
  } finally {
    await handle.close();
  }
  try {
    if (exclusiveKey) {
      // A key is created once: link() never replaces a file, so of two processes creating it at the same
      // moment exactly one wins and the other keeps the winner's (a stat-then-rename let both "win",
      // leaving a cache encrypted with a key no longer on disk).
      try {
        await link(temp, path);
        await unlink(temp);
        return;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      }
      const current = await readFile(path).catch(() => Buffer.alloc(0));
      const usable = current.length === KEY_BYTES;
      current.fill(0);
      if (usable) {
        await unlink(temp);
        return;
      }
    }
    await rename(temp, path);
  } catch (e) {
    await unlink(temp).catch(() => undefined);
    throw e;
  }
}

/** Makes a file 0600 (or a directory 0700) if it is looser; errors (not ours to change) are ignored. */
async function tightenMode(path: string, mode = 0o600): Promise<void> {
  try {
    const info = await stat(path);
    if ((info.mode & 0o777) !== mode) await chmod(path, mode);
  } catch {
    // Not fatal: the contents are encrypted either way.
  }
}
