/**
 * The contract between the Check SIMs screen and the batch worker (comlink). Like api.ts for the
 * single-SIM session: plain, structured-cloneable data only, and never a secret (the PIN the person
 * types goes in; no CK, RES or AWS secret ever comes out). The page imports this file for its types
 * and one value, BATCH_METHODS.
 */
import type { CheckResult, CheckStep, Checklist, Verdict } from '@krypton-web/sim-check';
import type { Failure, NothingMissing, ReaderSummary, SessionSettings } from './api.ts';

/**
 * What a lane (one card reader, or one USB modem: `modem`) shows. Only facts of the card in the
 * reader now: never a SIM that left.
 */
export type LaneView = LaneDisplay & { modem?: true };

/** The states of a lane. */
type LaneDisplay =
  /** No card: "Insert the next SIM". */
  | { reader: string; status: 'empty' }
  /** A card is in, but another page or program holds the reader. */
  | { reader: string; status: 'in-use' }
  | { reader: string; status: 'checking'; iccid?: string; step?: CheckStep }
  /** The SIM's PIN is needed; `triesLeft` as the SIM says. */
  | { reader: string; status: 'pin'; iccid?: string; triesLeft?: number }
  /** The check of the SIM in the reader ended (persisted before this was sent). */
  | { reader: string; status: 'done'; result: CheckResult }
  /** The SIM in the reader was checked earlier in this batch. */
  | { reader: string; status: 'already'; iccid: string; previous: { at: number; verdict: Verdict } }
  /** A card is in but could not be checked (the reader refused, the bridge failed). */
  | { reader: string; status: 'error'; failure: Failure }
  /** The connection to the bridge dropped; the lane reconnects by itself. */
  | { reader: string; status: 'offline'; failure: Failure }
  /** The reader is no longer listed, or the modem went away (unplugged); a modem lane takes it up again when it is plugged back in. */
  | { reader: string; status: 'gone' }
  | { reader: string; status: 'stopped' };

/** The status of a lane, by name. */
export type LaneStatus = LaneView['status'];

/** An unfinished batch found in storage (a reload, a crash, a closed tab). */
export interface PendingBatch {
  batchId: string;
  startedAt: number;
  /** SIMs in its report (one per ICCID). */
  sims: number;
  checklist: Checklist;
}

/** What Start needs: where the bridge and Krypton are, what to check, and on which readers. */
export interface BatchStart {
  /** `ws://host/ws` of the bridge. */
  wsUrl: string;
  settings: SessionSettings;
  checklist: Checklist;
  readers: string[];
  /** Names of the USB modem lanes; each one's port follows through `addModem`. */
  modems?: string[];
}

/** Where the batch's results are kept. */
export type BatchStorage = 'indexeddb' | 'memory';

/** The report to put in S3, as the page rendered it (CSV or JSON in the person's language). */
export interface ReportUpload {
  bucket: string;
  region: string;
  /** Folder in the bucket ("" for the root); the file name is appended. */
  prefix: string;
  fileName: string;
  contentType: string;
  body: string;
}

/** Where the report landed. */
export interface UploadOutcome {
  bucket: string;
  key: string;
  bytes: number;
  /** The MD5 sent as Content-MD5 (hex), which S3 checked. */
  md5: string;
  etag?: string;
  /** A link to the object (the S3 console for AWS, the object's URL for another endpoint). */
  link: string;
}

/** What the batch worker tells the page without being asked. Ordered: they travel on one port. */
export type BatchEvent =
  | { type: 'lane'; lane: LaneView }
  /** A check finished and is persisted (`saved`) — or could not be, storage having refused. */
  | { type: 'result'; result: CheckResult; saved: boolean }
  /** Credentials earned by a SIM of this batch are held (for the upload), until `expiration`. */
  | { type: 'credentials'; expiration: number };

/** The batch worker's API, as comlink exposes it. */
export interface BatchApi {
  /** Receives the worker's events (pass a `comlink.proxy`). */
  subscribe(listener: (event: BatchEvent) => void): void;
  /** The readers the bridge sees now (to choose lanes). */
  readers(wsUrl: string, token?: string): Promise<ReaderSummary[]>;
  /** The last unfinished batch in storage, if it checked any SIM. */
  pending(): Promise<PendingBatch | undefined>;
  /** Takes up a stored batch: its checks so far, every one (the report keeps the latest per SIM). */
  resume(batchId: string): Promise<CheckResult[]>;
  /** Ends the open batch (kept in storage as finished) and forgets its PIN and credentials. */
  newBatch(): Promise<void>;
  /** Starts watching the readers; a new batch unless one is open. */
  start(start: BatchStart): Promise<{ batchId: string; storage: BatchStorage }>;
  /** Stops watching: checks under way are dropped (not results), sessions closed, the batch stays open. */
  stop(): Promise<void>;
  /**
   * A USB modem's port the page opened (Web Serial), for the modem lane named `lane` of the running
   * batch (listed in `BatchStart.modems`): at Start, and again when the modem is plugged back in.
   */
  addModem(lane: string, pipe: MessagePort): Promise<void>;
  /** The PIN a lane asked for (undefined: skip, the SIM fails with PIN_REQUIRED); `sameForBatch` keeps it in memory for this batch. */
  answerPin(reader: string, pin: string | undefined, sameForBatch: boolean): Promise<void>;
  /** Checks the SIM in a lane again (already checked, a failure to retry). */
  recheck(reader: string): Promise<void>;
  /** PutObject with Content-MD5, using the credentials a SIM of this batch earned last. */
  upload(report: ReportUpload): Promise<UploadOutcome>;
}

/**
 * Every method of BatchApi, by name: the page's client is built from this list. Checked both ways at
 * compile time, as WORKER_METHODS is for SessionApi.
 */
export const BATCH_METHODS = [
  'subscribe',
  'readers',
  'pending',
  'resume',
  'newBatch',
  'start',
  'stop',
  'addModem',
  'answerPin',
  'recheck',
  'upload',
] as const satisfies readonly (keyof BatchApi)[];

/** A method of the batch worker, by name. */
export type BatchMethod = (typeof BATCH_METHODS)[number];

/** The compile-time half of the exhaustiveness check: a method of BatchApi that BATCH_METHODS lacks fails the type check, named in the error. */
export type BatchMethodsCoverBatchApi = NothingMissing<Exclude<keyof BatchApi, BatchMethod>>;
