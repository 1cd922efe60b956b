import { KryptonClient, MemoryKeyCache, simEndpoint } from '@krypton-web/krypton-core';
import { withBridgeToken } from './bridge-token.ts';
import {
  BatchLedger,
  kryptonForCheck,
  parseChecklist,
  runCheck,
  simForCheck,
  type CheckCredentials,
  type Checklist,
  type CheckProblem,
  type CheckResult,
} from '@krypton-web/sim-check';
import { BridgeClient } from '@krypton-web/sim-transport';
import type { ReaderSummary, SessionSettings } from './api.ts';
import type { BatchApi, BatchEvent, BatchStart, BatchStorage, PendingBatch, ReportUpload, UploadOutcome } from './batch-api.ts';
import { Lane, type LaneBridge, type LaneDeps, type LaneRun, type LaneSession } from './batch-lane.ts';
import type { BatchS3 } from './batch-s3.ts';
import { BatchStore } from './batch-store.ts';
import { failure, toFailure } from './failure.ts';
import { listBridgeReaders } from './links/bridge-link.ts';
import { ModemLaneBridge, ModemPipes } from './modem-lane.ts';

/** The batch taken up or started in this worker. */
interface OpenBatch {
  id: string;
  ledger: BatchLedger;
  checklist: Checklist;
}

/** What the lanes run with, from the last Start. */
interface Running {
  wsUrl: string;
  settings: SessionSettings;
  checklist: Checklist;
}

/** Codes with which a SIM command says the card is no longer there. */
const CARD_LEFT = new Set(['NO_CARD', 'TRANSPORT_CLOSED']);

/**
 * Checks a stack of SIMs, in the worker: one lane per reader, each checking the card put in it with
 * sim-check's runCheck against a fresh in-memory key cache (a batch persists no key). Every finished
 * check is written to IndexedDB before the page hears of it. The PIN the person gives for the batch
 * and the credentials a SIM earned (for the report's upload) stay in this worker's memory.
 */
export class Batch implements BatchApi {
  private listener: ((event: BatchEvent) => void) | undefined;
  private store: Promise<BatchStore | undefined> | undefined;
  private open: OpenBatch | undefined;
  private running: Running | undefined;
  private readonly lanes = new Map<string, Lane>();
  private readonly modemPipes = new Map<string, ModemPipes>();
  private pinForBatch: string | undefined;
  private credentials: CheckCredentials | undefined;
  private s3: { key: string; service: Promise<BatchS3> } | undefined;

  constructor(private readonly openStore: () => Promise<BatchStore> = () => BatchStore.open()) {}

  subscribe(listener: (event: BatchEvent) => void): void {
    this.listener = listener;
  }

  async readers(wsUrl: string, token?: string): Promise<ReaderSummary[]> {
    return guard(() => listBridgeReaders(wsUrl, token));
  }

  async pending(): Promise<PendingBatch | undefined> {
    return guard(async () => {
      const found = await (await this.storage())?.unfinished();
      if (!found || found.sims === 0) return undefined;
      return { batchId: found.batch.id, startedAt: found.batch.startedAt, sims: found.sims, checklist: found.batch.checklist };
    });
  }

  async resume(batchId: string): Promise<CheckResult[]> {
    return guard(async () => {
      const store = await this.storage();
      const found = await store?.unfinished();
      if (!store || !found || found.batch.id !== batchId)
        throw failure('BATCH_GONE', 'That batch is no longer stored', 'Start a new batch');
      const results = await store.results(batchId);
      this.open = { id: batchId, ledger: new BatchLedger(batchId, results), checklist: found.batch.checklist };
      return results;
    });
  }

  async newBatch(): Promise<void> {
    return guard(async () => {
      await this.stop();
      const open = this.open;
      this.open = undefined;
      this.credentials = undefined;
      if (open) await (await this.storage())?.finish(open.id, Date.now());
    });
  }

  async start(start: BatchStart): Promise<{ batchId: string; storage: BatchStorage }> {
    return guard(async () => {
      if (this.lanes.size > 0) throw failure('BATCH_RUNNING', 'The batch is already running', 'Stop it first');
      const checklist = parseChecklist(start.checklist);
      const readers = [...new Set(start.readers)];
      const modems = [...new Set(start.modems ?? [])].filter((m) => !readers.includes(m));
      if (readers.length + modems.length === 0)
        throw failure('NO_LANES', 'No card reader or modem was chosen', 'Choose at least one reader or modem, then start');
      const store = await this.storage();
      if (!this.open) {
        const id = crypto.randomUUID();
        this.open = { id, ledger: new BatchLedger(id), checklist };
        await store?.createBatch({ id, startedAt: Date.now(), checklist }).catch(() => undefined);
      } else if (JSON.stringify(this.open.checklist) !== JSON.stringify(checklist)) {
        this.open.checklist = checklist;
        await store?.updateChecklist(this.open.id, checklist).catch(() => undefined);
      }
      this.running = { wsUrl: start.wsUrl, settings: start.settings, checklist };
      for (const reader of readers) {
        const lane = new Lane(reader, this.laneDeps());
        this.lanes.set(reader, lane);
        void lane.start();
      }
      for (const name of modems) {
        const pipes = new ModemPipes();
        this.modemPipes.set(name, pipes);
        const lane = new Lane(name, this.modemLaneDeps(name, pipes), 'modem');
        this.lanes.set(name, lane);
        void lane.start();
      }
      return { batchId: this.open.id, storage: store ? 'indexeddb' : 'memory' };
    });
  }

  async stop(): Promise<void> {
    for (const lane of this.lanes.values()) lane.stop();
    this.lanes.clear();
    for (const pipes of this.modemPipes.values()) pipes.end();
    this.modemPipes.clear();
    // "Same PIN for this batch" lasts while the lanes run, not beyond.
    this.pinForBatch = undefined;
  }

  async addModem(lane: string, pipe: MessagePort): Promise<void> {
    const pipes = this.modemPipes.get(lane);
    if (!pipes) {
      pipe.postMessage({ type: 'close' });
      pipe.close();
      throw failure('NO_LANE', `"${lane}" is not a modem lane of the running batch`, 'Start the batch with this modem chosen');
    }
    pipes.give(pipe);
  }

  async answerPin(reader: string, pin: string | undefined, sameForBatch: boolean): Promise<void> {
    return guard(async () => {
      if (pin !== undefined && !/^[0-9]{4,8}$/.test(pin))
        throw failure('BAD_PIN_FORMAT', 'A PIN has 4 to 8 digits', 'Enter the PIN again (digits only)');
      const lane = this.lanes.get(reader);
      if (!lane) return;
      if (pin !== undefined && sameForBatch) this.pinForBatch = pin;
      lane.answerPin(pin);
    });
  }

  async recheck(reader: string): Promise<void> {
    this.lanes.get(reader)?.recheck();
  }

  async upload(report: ReportUpload): Promise<UploadOutcome> {
    return guard(async () => {
      const credentials = this.credentials;
      if (!credentials || credentials.expiration.getTime() - Date.now() < 60_000)
        throw failure(
          'CHECK_NO_CREDENTIALS',
          credentials ? 'The AWS credentials earned by this batch have expired' : 'No SIM of this batch has earned AWS credentials yet',
          'Check one more SIM with credentials in the checklist (it earns fresh ones), then upload again',
        );
      if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,200}$/.test(report.fileName))
        throw failure('BAD_INPUT', `"${report.fileName}" is not a file name`, 'Use letters, digits, dots and hyphens');
      const prefix = report.prefix.trim().replace(/^\/+/, '');
      const key = `${prefix}${prefix && !prefix.endsWith('/') ? '/' : ''}${report.fileName}`;
      const body = new TextEncoder().encode(report.body);
      const settings = this.running?.settings;
      const s3 = await this.batchS3(settings);
      const out = await s3.put(credentials, { bucket: report.bucket, region: report.region, key, body, contentType: report.contentType });
      const { objectLink } = await import('./batch-s3.ts');
      return {
        bucket: report.bucket.trim(),
        key,
        bytes: body.byteLength,
        md5: out.md5,
        ...(out.etag ? { etag: out.etag } : {}),
        link: objectLink(settings?.s3Endpoint, report.bucket.trim(), report.region, key),
      };
    });
  }

  // ---- Internals ----

  private laneDeps(): LaneDeps {
    return {
      connect: async (events) => {
        const running = this.requireRunning();
        const client = await BridgeClient.connect(running.wsUrl, {
          ...(running.settings.bridgeToken ? { token: running.settings.bridgeToken } : {}),
          onEvent: (event) => {
            if (event.event === 'readers') events.onReaders(event.readers);
            else events.onSessionLost(event.session);
          },
          onClose: (error) => events.onClose(toFailure(error)),
        });
        return client satisfies LaneBridge;
      },
      check: (session, run) => this.checkSim(session, run),
      record: (result) => this.record(result),
      previous: (iccid) => {
        const r = this.open?.ledger.previous(iccid);
        return r ? { at: r.startedAt, verdict: r.verdict } : undefined;
      },
      batchPin: () => this.pinForBatch,
      emit: (lane) => this.emit({ type: 'lane', lane }),
    };
  }

  /** A modem lane's needs: its link is the modem on the port the page hands over (again after a re-plug). */
  private modemLaneDeps(name: string, pipes: ModemPipes): LaneDeps {
    return {
      ...this.laneDeps(),
      connect: async (events) => ModemLaneBridge.open(await pipes.next(), name, events),
      // The slot is watched by the modem link itself (AT+CPIN?, SIM reports); no reader list to poll.
      pollMs: 0,
      // Waiting for the port is the connection attempt: no need to back off between them.
      reconnectMs: 100,
    };
  }

  /** One SIM's check over its bridge session; a command that finds the card gone interrupts the check at once. */
  private async checkSim(session: LaneSession, run: LaneRun): Promise<CheckResult | undefined> {
    const open = this.requireOpen();
    const { settings, checklist } = this.requireRunning();
    const guarded =
      <A extends unknown[], T>(fn: (...args: A) => Promise<T>) =>
      async (...args: A): Promise<T> => {
        try {
          return await fn(...args);
        } catch (e) {
          if (CARD_LEFT.has(toFailure(e).code)) run.cardGone();
          throw e;
        }
      };
    const sim = simForCheck({
      readIccid: guarded(() => session.readIccid()),
      readImsi: guarded(() => session.readImsi()),
      pinState: guarded(async () => {
        const p = await session.pinState();
        return {
          enabled: p.enabled,
          verified: p.verified,
          triesLeft: p.triesLeft,
          ...(p.pukTriesLeft !== undefined ? { pukTriesLeft: p.pukTriesLeft } : {}),
        };
      }),
      verifyPin: guarded((pin: string, options?: { allowLastTry?: boolean }) => session.verifyPin(pin, options)),
    });
    // A fresh key for every SIM, kept in memory for this check only: a batch leaves no key behind.
    const client = new KryptonClient({
      endpoint: simEndpoint(settings.kryptonBase),
      sim: {
        readImsi: guarded(() => session.readImsi()),
        authenticate: guarded((rand: Uint8Array, autn: Uint8Array) => session.authenticate(rand, autn)),
      },
      keyCache: new MemoryKeyCache(),
      ...(settings.bridgeToken ? { fetch: withBridgeToken(settings.origin, settings.bridgeToken) } : {}),
    });
    return runCheck({
      batchId: open.id,
      lane: run.reader,
      checklist,
      sim,
      krypton: kryptonForCheck(client, settings.cognitoEndpoint ? { cognitoEndpoint: settings.cognitoEndpoint } : {}),
      ...(checklist.s3 ? { s3: await this.batchS3(settings) } : {}),
      pin: run.pin,
      onSimRead: run.onSimRead,
      onStep: run.onStep,
      onCredentials: (c) => {
        this.credentials = c;
        this.emit({ type: 'credentials', expiration: c.expiration.getTime() });
      },
      signal: run.signal,
      describe: problemOf,
    });
  }

  /** Persists a finished check, then tells the page (the report row before the lane shows it). */
  private async record(result: CheckResult): Promise<void> {
    const open = this.open;
    if (!open || open.id !== result.batchId) return;
    let saved = false;
    const store = await this.storage();
    if (store)
      saved = await store.addResult(result).then(
        () => true,
        () => false,
      );
    open.ledger.add(result);
    // A PIN that did not open this SIM is not tried on the next one.
    if (result.failedStep === 'pin') this.pinForBatch = undefined;
    this.emit({ type: 'result', result, saved });
  }

  private storage(): Promise<BatchStore | undefined> {
    this.store ??= this.openStore().catch(() => undefined);
    return this.store;
  }

  private batchS3(settings: SessionSettings | undefined): Promise<BatchS3> {
    const key = `${settings?.s3Endpoint ?? ''} ${settings?.origin ?? ''}`;
    if (this.s3?.key !== key)
      this.s3 = { key, service: import('./batch-s3.ts').then((m) => new m.BatchS3(settings?.s3Endpoint, settings?.origin ?? '')) };
    return this.s3.service;
  }

  private requireOpen(): OpenBatch {
    if (!this.open) throw failure('NO_BATCH', 'No batch is open', 'Start a batch');
    return this.open;
  }

  private requireRunning(): Running {
    if (!this.running) throw failure('NO_BATCH', 'The batch is not running', 'Press Start');
    return this.running;
  }

  private emit(event: BatchEvent): void {
    try {
      this.listener?.(event);
    } catch {
      // The page went away; nothing to tell.
    }
  }
}

/** A thrown value as a check's problem: the worker's failure mapping (link errors get their action), plain facts only. */
export function problemOf(e: unknown): CheckProblem {
  const f = toFailure(e, 'Check this SIM again; if it repeats, keep the report and ask support');
  const details = Object.fromEntries(Object.entries(f.details).filter(([, v]) => typeof v === 'string' || typeof v === 'number')) as Record<
    string,
    string | number
  >;
  return { code: f.code, message: f.message, action: f.action, ...(Object.keys(details).length > 0 ? { details } : {}) };
}

/** Runs an API call and turns whatever it throws into a plain Failure that comlink carries intact. */
async function guard<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    throw toFailure(e);
  }
}
