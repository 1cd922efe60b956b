/**
 * The contract between the page and the session worker (comlink). Only plain, structured-cloneable
 * data crosses it, and never a secret unless the page asked for it by an explicit reveal call.
 * The page imports this file for its types and two small values (`isFailure`, `WORKER_METHODS`).
 */
import type { TraceEvent } from '@krypton-web/krypton-core';

/** How the SIM is reached. */
/** `bridge` is a card reader through the local bridge, `bridge-modem` a USB modem through it (the bridge speaks AT). */
export type LinkKind = 'virtual' | 'modem' | 'usb' | 'bridge' | 'bridge-modem' | 'cellular';

/** The two ways to a USB modem: a Web Serial port, or its AT interface claimed over WebUSB. Both pipe bytes from the page. */
export type ModemLinkKind = Extract<LinkKind, 'modem' | 'usb'>;

/** A failure as the page sees it: a stable code to translate, the English text as fallback, and the facts. */
export interface Failure {
  code: string;
  message: string;
  action: string;
  /** Facts for the message: status word, tries left, HTTP status, SORACOM's code and message, step... */
  details: FailureDetails;
  /** A missing S3 CORS rule: the exact configuration to paste, for this page's origin. */
  cors?: { origin: string; bucket: string; json: string };
  /** Access denied: what the IAM role must allow. */
  iam?: { action: string; resource: string };
}

export interface FailureDetails {
  sw?: number;
  triesLeft?: number;
  status?: number;
  serverCode?: string;
  serverMessage?: string;
  step?: string;
  clockOffsetMs?: number;
  bucket?: string;
  key?: string;
  region?: string;
  limitBytes?: number;
  expected?: string;
  actual?: string;
  /** The host that could not be reached or answered (a failure's texts name it in both languages). */
  host?: string;
  /** The integrity checks a download failed, by names that read the same in any language (`ETag, CRC32C`). */
  failedChecks?: string;
  /** A multipart upload's id (one that could not be aborted). */
  uploadId?: string;
  /** Where a folder's object was to be saved, or the key it collided with. */
  path?: string;
  /** The archive storage class (and Intelligent-Tiering access tier) that keeps an object's bytes offline. */
  storageClass?: string;
}

/** Where Krypton calls go, already resolved to absolute URLs by the page. */
export interface SessionSettings {
  /** Base URL of the Keys and Provisioning APIs (SIM endpoints), e.g. `http://127.0.0.1:8787/krypton/lab`. */
  kryptonBase: string;
  /** Base URL of the cellular endpoint (SORACOM Air line authentication). */
  cellularBase: string;
  /** Cognito Identity endpoint; undefined: AWS's endpoint for the token's region. */
  cognitoEndpoint?: string;
  /** S3 endpoint (the lab's, path-style); undefined: AWS. */
  s3Endpoint?: string;
  /** This page's origin, for the CORS rule a bucket needs. */
  origin: string;
  /** The bridge's approval token (a page on another origin than the bridge's), sent with calls to its Krypton proxy. */
  bridgeToken?: string;
}

/** PIN1 as the SIM reports it. */
export interface PinInfo {
  enabled: boolean;
  verified: boolean;
  triesLeft?: number;
  pukTriesLeft?: number;
  /** No tries left: only the PUK unblocks it. */
  blocked: boolean;
}

/** What a USB modem says about itself and the network. */
export interface ModemSummary {
  manufacturer?: string;
  model?: string;
  firmware?: string;
  imei?: string;
  /** Received signal, dBm (LTE RSRP or RSSI), when the modem said. */
  signalDbm?: number;
  /** Signal as 0–4 bars, for the glance. */
  signalBars?: number;
  /** Access technology (LTE, WCDMA, GSM...). */
  technology?: string;
  registration?: 'home' | 'roaming' | 'searching' | 'denied' | 'not-registered' | 'unknown';
  operator?: string;
  /** Whether the modem relays APDUs (AT+CSIM); without it the SIM cannot be authenticated. */
  csim: boolean;
}

/** The SIM on the open link. */
export interface SimSummary {
  link: LinkKind;
  /** The link's name ("Virtual SIM demo", "Huawei modem (12d1:1506)", "Virtual PCD 00 00"). */
  name: string;
  imsi?: string;
  iccid?: string;
  pin?: PinInfo;
  modem?: ModemSummary;
  /** Why the SIM could not be read (PIN required, blocked, no card). */
  simError?: Failure;
}

/** A card reader or a USB modem as the bridge reports it. */
export interface ReaderSummary {
  name: string;
  card: boolean;
  inUse: boolean;
  /** A modem (the "USB modem (bridge)" choice lists these) rather than a card reader. */
  modem?: { path: string; maker?: string; model?: string; vendorId?: number; productId?: number; interfaceNumber?: number };
}

/** What the UI may know about the credentials in use: never the secret key or the session token. */
export interface MaskedCredentials {
  identityId?: string;
  accessKeyId: string;
  /** ms epoch, on this device's clock. */
  expiration: number;
  /** When the worker will refresh them by itself, ms epoch. */
  refreshAt: number;
  /** Masked forms, for display. */
  secretAccessKeyMasked: string;
  sessionTokenMasked: string;
  mode: 'openid' | 'direct';
}

/** The secrets, only ever sent after an explicit reveal. */
export interface RevealedCredentials {
  secretAccessKey: string;
  sessionToken: string;
}

/** What one press of Authenticate achieved. */
export interface AuthOutcome {
  /** The SIM's key: reused from the cache (no AUTHENTICATE ran), or newly agreed; absent on the cellular endpoint. */
  key?: { fromCache: boolean; resynchronised: boolean };
  credentials: MaskedCredentials;
  /** Whether agreed keys survive this page (IndexedDB) or live in memory only. */
  keyCachePersistent: boolean;
  /** How far Krypton's clock is from this computer's (server minus local, ms), when it is far enough to matter. */
  clockOffsetMs?: number;
}

/** One Authenticate run's trace: a transcript v1 (JSON Lines, secrets masked at the source) of the link up to the run's end. */
export interface RunTrace {
  /** The file's text, as `parseTranscript` reads it and `pnpm lab replay` loads it. */
  jsonl: string;
  /** Index into the transcript's events where the run starts (before it: how the link was opened, earlier runs). */
  firstRunEvent: number;
}

/** A file an operation's answer holds (certificates and keys as PEM). */
export interface ResultFile {
  name: string;
  /** JSON path of the value. */
  path: string;
  secret: boolean;
}

/** An operation's answer, masked for display; the full answer stays in the worker until revealed. */
export interface OperationOutcome {
  id: number;
  operation: string;
  /** Text answers (userdata) come as text. */
  kind: 'json' | 'text';
  /** JSON (pretty) or text, secrets replaced by bullets. */
  display: string;
  /** JSON paths of values that were masked. */
  secretPaths: string[];
  files: ResultFile[];
  durationMs: number;
}

/** One page of a bucket listing. */
export interface ListRequest {
  bucket: string;
  region: string;
  prefix: string;
  continuationToken?: string;
  pageSize?: number;
}

export interface ObjectRow {
  key: string;
  size: number;
  /** ms epoch */
  lastModified?: number;
  etag?: string;
  /** Set only for an archive storage class (GLACIER, DEEP_ARCHIVE): its bytes need a restore before a download. */
  archived?: string;
}

export interface ListPage {
  bucket: string;
  prefix: string;
  prefixes: string[];
  objects: ObjectRow[];
  nextContinuationToken?: string;
  truncated: boolean;
}

export interface ObjectDetails extends ObjectRow {
  contentType?: string;
  /** Whether the ETag is a plain MD5 (single-part upload) that a download can be checked against. */
  etagIsMd5: boolean;
  /** The object is encrypted so that its ETag is no MD5 of the content (SSE-KMS, DSSE-KMS, SSE-C). */
  etagNotMd5?: boolean;
  /** The S3 checksum the object has (HEAD with ChecksumMode ENABLED); `parts` for a composite one. */
  checksum?: { algorithm: ChecksumAlgorithm; parts?: number };
  /** The Content-Encoding it is stored with (gzip, br, …), when its bytes are not plain. */
  contentEncoding?: string;
}

export interface DownloadRequest {
  id: number;
  bucket: string;
  region: string;
  key: string;
  /** Connections to read ranges over (1–8); chosen by the object's size when absent. */
  connections?: number;
  /** Bytes per range; chosen by the object's size when absent (partSizeFor in range-plan.ts). */
  partBytes?: number;
}

/**
 * How a finished download was checked, in one word: `md5-match` (the single-part ETag's MD5 matched),
 * `verified` (a multipart ETag or an S3 checksum matched, see `checks`), or why nothing could be:
 * no ETag visible, a multipart ETag whose part sizes could not be learned, an ETag that is no MD5
 * (SSE-KMS or SSE-C encryption) and no checksum.
 */
export type IntegrityCheck = 'md5-match' | 'verified' | 'multipart-etag' | 'no-etag' | 'etag-not-md5';

/** S3's additional checksum algorithms (`x-amz-checksum-<algorithm>`). */
export type ChecksumAlgorithm = 'CRC32' | 'CRC32C' | 'CRC64NVME' | 'SHA1' | 'SHA256';

/** One check a download's bytes passed (see object-verifier.ts). */
export type ObjectCheck =
  /** The MD5 of the whole object against a single-part ETag. */
  | { kind: 'md5' }
  /** The MD5 of the part MD5s against a multipart ETag `…-N`. */
  | { kind: 'multipart-md5'; parts: number }
  /** An S3 checksum: of the whole object, or (`parts`) composite over the part checksums. */
  | { kind: 'checksum'; algorithm: ChecksumAlgorithm; parts?: number };

export interface DownloadOutcome {
  id: number;
  bytes: number;
  check: IntegrityCheck;
  /** The checks the bytes passed; empty when nothing could be checked (`check` says why). */
  checks: ObjectCheck[];
  /** The file, when it could not be streamed to disk (no File System Access): the page saves it. */
  blob?: Blob;
  /** Connections the ranges were read over. */
  connections?: number;
  /** Ranges resumed after a dropped connection. */
  resumes?: number;
  /** The Content-Encoding the object is stored with (gzip, br, …): the file holds it so encoded, as stored. */
  contentEncoding?: string;
}

export interface DownloadProgress {
  id: number;
  received: number;
  total?: number;
}

/** A folder (every object under a prefix) to download. */
export interface FolderRequest {
  id: number;
  bucket: string;
  region: string;
  prefix: string;
  /** Objects downloaded at once (default 3). */
  concurrency?: number;
}

export interface FolderProgress {
  id: number;
  objectsDone: number;
  /** Undefined while the folder is still being listed. */
  objectsTotal?: number;
  failed: number;
  bytesDone: number;
  bytesTotal?: number;
}

/** One object of a folder, saved: where, and how it was checked. */
export interface FolderSaved {
  key: string;
  path: string;
  bytes: number;
  check: IntegrityCheck;
}

/** One object of a folder that was not saved, and why. */
export interface FolderFailed {
  key: string;
  path?: string;
  failure: Failure;
}

export interface FolderOutcome {
  id: number;
  /** Into the chosen directory, or one zip file (no directory picker). */
  to: 'directory' | 'zip';
  saved: FolderSaved[];
  failed: FolderFailed[];
  /** Bytes of the objects saved. */
  bytes: number;
  cancelled: boolean;
  /** The zip, when it could not be streamed to the browser's download: the page saves it. */
  blob?: Blob;
}

/** A file to put into the bucket. */
export interface UploadRequest {
  id: number;
  bucket: string;
  region: string;
  key: string;
  contentType?: string;
}

export interface UploadProgress {
  id: number;
  sent: number;
  total: number;
}

export interface FileUploadOutcome {
  id: number;
  key: string;
  bytes: number;
  /** 0: one PutObject. */
  parts: number;
  etag?: string;
  /** The file's MD5 (hex), for a single PUT: S3 checked the bytes against it (Content-MD5). */
  md5?: string;
}

/** What the worker tells the page without being asked. */
export type SessionEvent =
  /** `run` names the authenticate() call the event belongs to (events travel apart from replies, so may arrive after them). */
  | { type: 'trace'; event: TraceEvent; run?: number }
  | { type: 'credentials'; credentials: MaskedCredentials }
  | { type: 'credentials-refreshing'; reason: string }
  | { type: 'credentials-failed'; failure: Failure }
  | { type: 'link-lost'; failure: Failure }
  | { type: 'readers'; readers: ReaderSummary[] }
  | { type: 'download-progress'; progress: DownloadProgress }
  | { type: 'folder-progress'; progress: FolderProgress }
  | { type: 'upload-progress'; progress: UploadProgress };

/** The session worker's API, as comlink exposes it. */
export interface SessionApi {
  /** Receives the worker's events (pass a `comlink.proxy`). */
  subscribe(listener: (event: SessionEvent) => void): void;
  /** Where Krypton, Cognito and S3 calls go; forgets credentials of another endpoint. */
  configure(settings: SessionSettings): Promise<void>;
  /** The lab's virtual SIM of that name, in the worker. */
  openVirtual(simName: string): Promise<SimSummary>;
  /** A USB modem the page opened (its Web Serial port, or its AT interface over WebUSB: `kind`); bytes come through `pipe` (see serial-pipe). */
  openModem(pipe: MessagePort, name: string, kind?: ModemLinkKind): Promise<SimSummary>;
  /** The readers the bridge sees. */
  bridgeReaders(wsUrl: string, token?: string): Promise<ReaderSummary[]>;
  /** An exclusive SIM session on a bridge reader. */
  openBridge(wsUrl: string, reader: string, token?: string): Promise<SimSummary>;
  /** No SIM access: the cellular endpoint knows the SIM by its SORACOM Air line. */
  openCellular(): Promise<SimSummary>;
  /** Reads the SIM (and the modem) again. */
  simStatus(): Promise<SimSummary>;
  verifyPin(pin: string, allowLastTry: boolean): Promise<PinInfo>;
  /** Unblocks PIN1 with the PUK and sets a new PIN; `allowLastTry` only after the person confirmed the PUK's last try. */
  unblockPin(puk: string, newPin: string, allowLastTry: boolean): Promise<PinInfo>;
  /** Changes PIN1; the SIM's PIN state after. */
  changePin(pin: string, newPin: string, allowLastTry: boolean): Promise<PinInfo>;
  /** Enables or disables PIN1 with its current code; the SIM's PIN state after. */
  setPinEnabled(enabled: boolean, pin: string, allowLastTry: boolean): Promise<PinInfo>;
  /** Closes the link; credentials and keys of this SIM are forgotten from memory. */
  close(): Promise<void>;
  /** Authenticates the SIM (or reuses its key) and obtains AWS credentials; trace events carry `run`. */
  authenticate(run: number): Promise<AuthOutcome>;
  /** The trace of an Authenticate run (the last few are kept), or undefined when it is gone. */
  runTrace(run: number): Promise<RunTrace | undefined>;
  /** Forgets the cached key of this SIM: the next authentication agrees a new one. */
  forgetKey(): Promise<void>;
  refreshCredentials(): Promise<MaskedCredentials>;
  /** The secret key and session token: only for an explicit reveal by the person. */
  revealCredentials(): Promise<RevealedCredentials>;
  /** The SIM group's userdata (for the bucket field). */
  userData(): Promise<string>;
  runOperation(name: string, params: Record<string, unknown>): Promise<OperationOutcome>;
  /** The full answer of an operation (explicit reveal, copy or download). */
  revealOperation(id: number): Promise<{ display: string; files: Record<string, string> }>;
  /** One PEM document of an answer, to save as a file (the page asks for a secret one only after a reveal). */
  operationFile(id: number, name: string): Promise<string>;
  listObjects(request: ListRequest): Promise<ListPage>;
  headObject(bucket: string, region: string, key: string): Promise<ObjectDetails>;
  /**
   * Streams an object to `target`: a file (File System Access), a port to the download service
   * worker (the browser's own download, streamed), or, without one, into a Blob.
   */
  download(request: DownloadRequest, target: FileSystemFileHandle | MessagePort | undefined): Promise<DownloadOutcome>;
  cancelDownload(id: number): void;
  /**
   * Saves every object under a prefix: into a directory the person picked (File System Access), or
   * as one zip streamed to the download service worker's port, or, without one, a zip in a Blob.
   */
  downloadFolder(request: FolderRequest, target: FileSystemDirectoryHandle | MessagePort | undefined): Promise<FolderOutcome>;
  cancelFolder(id: number): void;
  /** Puts a file into the bucket (one PUT, or in parts); a cancel aborts a multipart upload. */
  upload(request: UploadRequest, body: Blob): Promise<FileUploadOutcome>;
  cancelUpload(id: number): void;
}

/**
 * Every method of SessionApi, by name: the one list the page's client (worker-client.ts) and the test
 * double are built from. Checked both ways at compile time: each name is a method of SessionApi
 * (`satisfies`), and no method of SessionApi is missing (`WorkerMethodsCoverSessionApi` below).
 */
export const WORKER_METHODS = [
  'subscribe',
  'configure',
  'openVirtual',
  'openModem',
  'bridgeReaders',
  'openBridge',
  'openCellular',
  'simStatus',
  'verifyPin',
  'unblockPin',
  'changePin',
  'setPinEnabled',
  'close',
  'authenticate',
  'runTrace',
  'forgetKey',
  'refreshCredentials',
  'revealCredentials',
  'userData',
  'runOperation',
  'revealOperation',
  'operationFile',
  'listObjects',
  'headObject',
  'download',
  'cancelDownload',
  'downloadFolder',
  'cancelFolder',
  'upload',
  'cancelUpload',
] as const satisfies readonly (keyof SessionApi)[];

/** A method of the session worker, by name. */
export type WorkerMethod = (typeof WORKER_METHODS)[number];

/** Accepts only `never`: a method an API has and its method list lacks fails the type check, named in the error (SessionApi, BatchApi). */
export type NothingMissing<Missing extends never> = Missing;
/** The compile-time half of the exhaustiveness check (a type, so it costs the bundle nothing). */
export type WorkerMethodsCoverSessionApi = NothingMissing<Exclude<keyof SessionApi, WorkerMethod>>;

/** Whether a thrown value is a Failure from the worker. */
export function isFailure(value: unknown): value is Failure {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as Failure).code === 'string' &&
    typeof (value as Failure).message === 'string' &&
    typeof (value as Failure).action === 'string'
  );
}
