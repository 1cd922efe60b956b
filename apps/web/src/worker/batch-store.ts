import { parseChecklist, parseCheckResult, reportRows, type Checklist, type CheckResult } from '@krypton-web/sim-check';
import { failure } from './failure.ts';

/** The database of Check SIMs (apart from the key cache's, so neither can disturb the other). */
export const BATCH_DATABASE = 'krypton-web-checks';
const VERSION = 1;
const BATCHES = 'batches';
const RESULTS = 'results';
/** Finished batches kept besides the open one (the report of an earlier box can still be found). */
const KEEP_FINISHED = 5;

/** A batch as stored: when it began and ended, and its checklist (no secret: no PIN, no key). */
export interface StoredBatch {
  id: string;
  startedAt: number;
  checklist: Checklist;
  finishedAt?: number;
}

/**
 * Where a batch's results live in the browser: IndexedDB, one record per finished check, written
 * with `durability: 'strict'` (flushed to disk before the write counts as done), so a closed tab, a
 * crash or a power cut loses no row that was shown. What is read back is checked field by field.
 */
export class BatchStore {
  private constructor(private readonly db: IDBDatabase) {}

  /** Opens (or creates) the database; rejects with a CHECK_STORAGE_UNAVAILABLE failure when the browser refuses. */
  static async open(factory: IDBFactory | undefined = globalThis.indexedDB, name = BATCH_DATABASE): Promise<BatchStore> {
    if (!factory) throw unavailable('this browser offers no IndexedDB here');
    const db = await new Promise<IDBDatabase>((resolve, reject) => {
      let request: IDBOpenDBRequest;
      try {
        request = factory.open(name, VERSION);
      } catch (e) {
        reject(unavailable(String(e)));
        return;
      }
      request.onupgradeneeded = () => {
        const db = request.result;
        if (!db.objectStoreNames.contains(BATCHES)) db.createObjectStore(BATCHES, { keyPath: 'id' });
        if (!db.objectStoreNames.contains(RESULTS)) db.createObjectStore(RESULTS, { keyPath: 'id' }).createIndex('batchId', 'batchId');
      };
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(unavailable(request.error?.message ?? 'open failed'));
      request.onblocked = () => reject(unavailable('another tab holds an older version of the database'));
    });
    // Another tab upgrading the database must not wait on us.
    db.onversionchange = () => db.close();
    return new BatchStore(db);
  }

  /** Records a new batch. */
  async createBatch(batch: StoredBatch): Promise<void> {
    await this.write([BATCHES], (t) => t.objectStore(BATCHES).put(batch));
  }

  /** Changes the checklist of a batch that is taken up again. */
  async updateChecklist(batchId: string, checklist: Checklist): Promise<void> {
    const batch = await this.batch(batchId);
    if (batch) await this.write([BATCHES], (t) => t.objectStore(BATCHES).put({ ...batch, checklist }));
  }

  /** Appends a finished check; resolves once it is on disk. */
  async addResult(result: CheckResult): Promise<void> {
    await this.write([RESULTS], (t) => t.objectStore(RESULTS).put(result));
  }

  /** The latest batch not marked finished, with how many SIMs its report has (undefined when none). */
  async unfinished(): Promise<{ batch: StoredBatch; sims: number } | undefined> {
    const batches = (await this.all<unknown>(BATCHES)).map(storedBatch).filter((b): b is StoredBatch => b !== undefined);
    const open = batches.filter((b) => b.finishedAt === undefined).sort((a, b) => b.startedAt - a.startedAt)[0];
    if (!open) return undefined;
    return { batch: open, sims: reportRows(await this.results(open.id)).length };
  }

  /** Every stored check of a batch, oldest first; records that are not whole results are skipped. */
  async results(batchId: string): Promise<CheckResult[]> {
    const raw = await this.read<unknown[]>(RESULTS, (store) => store.index('batchId').getAll(batchId));
    return raw
      .map((r) => parseCheckResult(r))
      .filter((r): r is CheckResult => r !== undefined && r.batchId === batchId)
      .sort((a, b) => a.finishedAt - b.finishedAt);
  }

  /** Marks a batch finished, and forgets all but the last few finished batches. */
  async finish(batchId: string, at: number): Promise<void> {
    const batch = await this.batch(batchId);
    if (batch) await this.write([BATCHES], (t) => t.objectStore(BATCHES).put({ ...batch, finishedAt: at }));
    const finished = (await this.all<unknown>(BATCHES))
      .map(storedBatch)
      .filter((b): b is StoredBatch => b !== undefined && b.finishedAt !== undefined)
      .sort((a, b) => b.startedAt - a.startedAt);
    for (const old of finished.slice(KEEP_FINISHED)) await this.remove(old.id);
  }

  /** Closes the database. */
  close(): void {
    this.db.close();
  }

  private async batch(id: string): Promise<StoredBatch | undefined> {
    return storedBatch(await this.read<unknown>(BATCHES, (store) => store.get(id)));
  }

  private async remove(batchId: string): Promise<void> {
    const keys = await this.read<IDBValidKey[]>(RESULTS, (store) => store.index('batchId').getAllKeys(batchId));
    await this.write([BATCHES, RESULTS], (t) => {
      t.objectStore(BATCHES).delete(batchId);
      for (const k of keys) t.objectStore(RESULTS).delete(k);
    });
  }

  private all<T>(store: string): Promise<T[]> {
    return this.read<T[]>(store, (s) => s.getAll());
  }

  private read<T>(store: string, fn: (store: IDBObjectStore) => IDBRequest): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const t = this.db.transaction(store, 'readonly');
      const request = fn(t.objectStore(store));
      t.oncomplete = () => resolve(request.result as T);
      t.onerror = () => reject(storageFailed(t.error));
      t.onabort = () => reject(storageFailed(t.error));
    });
  }

  private write(stores: string[], fn: (t: IDBTransaction) => void): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const t = this.db.transaction(stores, 'readwrite', { durability: 'strict' });
      t.oncomplete = () => resolve();
      t.onerror = () => reject(storageFailed(t.error));
      t.onabort = () => reject(storageFailed(t.error));
      fn(t);
    });
  }
}

function storedBatch(value: unknown): StoredBatch | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const v = value as Record<string, unknown>;
  if (typeof v.id !== 'string' || typeof v.startedAt !== 'number') return undefined;
  let checklist: Checklist;
  try {
    checklist = parseChecklist(v.checklist);
  } catch {
    return undefined;
  }
  return {
    id: v.id,
    startedAt: v.startedAt,
    checklist,
    ...(typeof v.finishedAt === 'number' ? { finishedAt: v.finishedAt } : {}),
  };
}

function unavailable(why: string) {
  return failure(
    'CHECK_STORAGE_UNAVAILABLE',
    `Results cannot be kept in this browser (${why})`,
    'Allow site data for this page; until then, export the report before closing it',
  );
}

function storageFailed(error: DOMException | null) {
  return failure(
    'CHECK_STORAGE_FAILED',
    `A result could not be saved (${error?.name ?? 'storage error'})`,
    'Free some disk space, or export the report now',
  );
}
