import {
  BatchLedger,
  REPORT_COLUMNS,
  summarise,
  toCsv,
  toReportJson,
  type CheckResult,
  type CheckStep,
  type ReportColumn,
  type Verdict,
} from '@krypton-web/sim-check';
import type { Failure, ReaderSummary, SessionSettings } from '../worker/api.ts';
import type { BatchEvent, BatchStorage, LaneView, PendingBatch, UploadOutcome } from '../worker/batch-api.ts';
import type { BatchWorkerApi } from './batch-worker-api.ts';
import { DEFAULT_VIEW, problemAsFailure, reportFileName, viewRows, type CellFormat, type ReportView } from './check-report.ts';
import {
  checklistOf,
  DEFAULT_FORM,
  formOf,
  loadCheckSettings,
  saveCheckSettings,
  type ChecklistForm,
  type ChecklistProblem,
  type UploadForm,
} from './check-settings.ts';
import type { EndpointProblem } from './endpoints.ts';
import { i18n, t } from './i18n/i18n.svelte.ts';
import { formatReportTime } from './format.ts';
import { laneForPluggedPort, modemLaneName, type ModemChoice, type ModemPorts } from './modem-lanes.ts';
import { asFailure } from './session.svelte.ts';

/** What the Check SIMs screen needs from its surroundings; tests pass doubles. */
export interface CheckSimsDeps {
  startWorker(onEvent: (event: BatchEvent) => void): Promise<BatchWorkerApi>;
  /** `ws://host/ws` of the bridge serving this page. */
  bridgeWsUrl: string;
  /** The Krypton endpoint chosen (shared with the single-SIM screen). */
  settings(): SessionSettings | EndpointProblem;
  /** Where the choices are remembered (localStorage); undefined: nowhere. */
  storage?: { getItem(key: string): string | null; setItem(key: string, value: string): void };
  /** The upload target before the person chose one (the lab's bucket in demo mode). */
  uploadDefaults: UploadForm;
  /** Plays the sound of a verdict (when the person switched sound on). */
  beep?: (verdict: Verdict) => void;
  /** Saves a file (a Blob link on the page). */
  save?: (blob: Blob, name: string) => void;
  /** USB modems through Web Serial; undefined in a browser without it. */
  modemPorts?: ModemPorts;
  now?: () => number;
}

/** Where the screen is: reading storage, offering an unfinished batch, ready, starting, or watching the readers. */
export type CheckPhase = 'loading' | 'offer' | 'idle' | 'starting' | 'running';

/**
 * The Check SIMs screen's state: the choices (lanes, checklist, sound, upload target; remembered,
 * no secrets), the lanes as the batch worker reports them, and the report — one row per SIM, built
 * from results the worker has already persisted.
 */
export class CheckSims {
  private readonly deps: CheckSimsDeps;
  phase = $state<CheckPhase>('loading');
  pending = $state<PendingBatch | undefined>(undefined);
  readers = $state<ReaderSummary[]>([]);
  readersBusy = $state(false);
  readersFailure = $state<Failure | undefined>(undefined);
  form = $state<ChecklistForm>({ ...DEFAULT_FORM });
  excluded = $state<string[]>([]);
  sound = $state(false);
  upload = $state<UploadForm>({ bucket: '', region: '', prefix: '', format: 'csv' });
  /** USB modems the person chose or allowed earlier (each a lane when chosen). */
  modems = $state.raw<ModemChoice[]>([]);
  modemsFailure = $state<Failure | undefined>(undefined);
  /** Why a modem lane's port could not be opened on this page, by lane (cleared when it opens). */
  modemProblems = $state<Record<string, Failure>>({});
  lanes = $state<LaneView[]>([]);
  /** The report: one row per SIM (a recheck replaces its row). */
  rows = $state.raw<CheckResult[]>([]);
  view = $state<ReportView>({ ...DEFAULT_VIEW });
  failure = $state<Failure | undefined>(undefined);
  batchId = $state<string | undefined>(undefined);
  storage = $state<BatchStorage | undefined>(undefined);
  /** A result the browser refused to save: the person must export. */
  unsaved = $state(false);
  /** Until when the worker holds credentials a SIM of this batch earned (ms epoch). */
  credentialsUntil = $state<number | undefined>(undefined);
  uploadBusy = $state(false);
  uploadOutcome = $state<UploadOutcome | undefined>(undefined);
  uploadFailure = $state<Failure | undefined>(undefined);

  readonly checklist = $derived(checklistOf(this.form));
  readonly chosenReaders = $derived(this.readers.map((r) => r.name).filter((n) => !this.excluded.includes(n)));
  readonly chosenModems = $derived(this.modems.filter((m) => !this.excluded.includes(m.lane)));
  /** Whether this browser can reach USB modems itself (Web Serial). */
  readonly modemsSupported: boolean;
  /** What stops Start, as a message key (undefined: nothing). */
  readonly startProblem: ChecklistProblem | EndpointProblem | 'check.problem.noLanes' | undefined = $derived.by(() => {
    if ('problem' in this.checklist) return this.checklist.problem;
    const settings = this.deps.settings();
    if (typeof settings === 'string') return settings;
    if (this.chosenReaders.length + this.chosenModems.length === 0) return 'check.problem.noLanes';
    return undefined;
  });
  readonly summary = $derived(summarise(this.rows));
  readonly shownRows = $derived(viewRows(this.rows, this.view, this.cellFormat()));

  private api: BatchWorkerApi | undefined;
  private stopWatchingPorts: (() => void) | undefined;
  /** Modem lanes the worker holds a port for (until their modem goes away). */
  private modemsHanded: Record<string, true> = {};
  private starting: Promise<BatchWorkerApi> | undefined;
  private ledger: BatchLedger | undefined;

  constructor(deps: CheckSimsDeps) {
    this.deps = deps;
    this.modemsSupported = deps.modemPorts !== undefined;
    const saved = loadCheckSettings(deps.storage, { upload: deps.uploadDefaults });
    this.form = saved.form;
    this.excluded = saved.excluded;
    this.sound = saved.sound;
    this.upload = saved.upload;
  }

  /** Starts the worker, and offers an unfinished batch if storage holds one. */
  async init(): Promise<void> {
    try {
      const api = await this.worker();
      this.pending = await api.pending();
    } catch (e) {
      this.failure = asFailure(e);
    }
    this.phase = this.pending ? 'offer' : 'idle';
    await Promise.all([this.findReaders(), this.findModems()]);
  }

  /** Takes up the unfinished batch: its report comes back, its checklist too. */
  async continueBatch(): Promise<void> {
    const pending = this.pending;
    if (!pending) return;
    try {
      const results = await (await this.worker()).resume(pending.batchId);
      this.ledger = new BatchLedger(pending.batchId, results);
      this.rows = this.ledger.rows();
      this.batchId = pending.batchId;
      this.form = formOf(pending.checklist, this.form);
    } catch (e) {
      this.failure = asFailure(e);
    }
    this.pending = undefined;
    this.phase = 'idle';
  }

  /** Ends the batch (it stays stored as finished) and clears the report from the screen. */
  async newBatch(): Promise<void> {
    try {
      await (await this.worker()).newBatch();
    } catch (e) {
      this.failure = asFailure(e);
      return;
    }
    this.ledger = undefined;
    this.rows = [];
    this.lanes = [];
    this.batchId = undefined;
    this.pending = undefined;
    this.unsaved = false;
    this.credentialsUntil = undefined;
    this.uploadOutcome = undefined;
    this.uploadFailure = undefined;
    this.phase = 'idle';
  }

  /** Asks the bridge which readers it sees. */
  async findReaders(): Promise<void> {
    this.readersBusy = true;
    this.readersFailure = undefined;
    try {
      const settings = this.deps.settings();
      // A page on another origin than the bridge's carries the token it was approved with.
      const token = typeof settings === 'object' ? settings.bridgeToken : undefined;
      // Card readers only: a batch check runs reader lanes (modems have their own, on Web Serial).
      this.readers = (await (await this.worker()).readers(this.deps.bridgeWsUrl, token)).filter((r) => r.modem === undefined);
    } catch (e) {
      this.readersFailure = asFailure(e);
    } finally {
      this.readersBusy = false;
    }
  }

  /** Lists the modem ports this site may open without asking (allowed in an earlier visit). */
  async findModems(): Promise<void> {
    const ports = this.deps.modemPorts;
    if (!ports) return;
    try {
      for (const port of await ports.remembered()) this.addChoice(port);
    } catch (e) {
      this.modemsFailure = asFailure(e);
    }
  }

  /** Asks the browser for a modem's port (its picker) and makes the modem a lane. */
  async addModem(anyPort = false): Promise<void> {
    const ports = this.deps.modemPorts;
    if (!ports || this.phase === 'running' || this.phase === 'starting') return;
    this.modemsFailure = undefined;
    try {
      const lane = this.addChoice(await ports.request(anyPort));
      this.useReader(lane, true);
    } catch (e) {
      const f = asFailure(e);
      // Closing the picker is a choice, not a failure.
      if (f.code !== 'ABORTED') this.modemsFailure = f;
    }
  }

  /** Takes a reader in or out of the batch. */
  useReader(name: string, use: boolean): void {
    this.excluded = use ? this.excluded.filter((n) => n !== name) : [...this.excluded.filter((n) => n !== name), name];
  }

  /** Starts watching the chosen readers. */
  async start(): Promise<void> {
    const settings = this.deps.settings();
    if (this.phase !== 'idle' || this.startProblem || typeof settings !== 'object' || !('checklist' in this.checklist)) return;
    const readers = [...this.chosenReaders];
    const modems = [...this.chosenModems];
    this.phase = 'starting';
    this.failure = undefined;
    this.modemProblems = {};
    this.modemsHanded = {};
    try {
      const api = await this.worker();
      const started = await api.start({
        wsUrl: this.deps.bridgeWsUrl,
        settings: $state.snapshot(settings),
        checklist: this.checklist.checklist,
        readers,
        ...(modems.length > 0 ? { modems: modems.map((m) => m.lane) } : {}),
      });
      if (this.ledger?.batchId !== started.batchId) {
        this.ledger = new BatchLedger(started.batchId);
        this.rows = [];
      }
      this.batchId = started.batchId;
      this.storage = started.storage;
      // Lanes the worker has not reported on yet start empty: never a stale SIM.
      this.lanes = [
        ...readers.map(
          (reader) => this.lanes.find((l) => l.reader === reader && l.status !== 'stopped') ?? { reader, status: 'empty' as const },
        ),
        ...modems.map((m) => ({ reader: m.lane, status: 'empty' as const, modem: true as const })),
      ];
      this.phase = 'running';
      if (modems.length > 0) {
        this.stopWatchingPorts = this.deps.modemPorts?.onPlugged((port) => this.onModemPlugged(port));
        await Promise.all(modems.map((m) => this.connectModem(m)));
      }
    } catch (e) {
      this.failure = asFailure(e);
      this.phase = 'idle';
    }
  }

  /** Stops watching the readers (the batch stays open; Start goes on with it). */
  async stop(): Promise<void> {
    if (this.phase !== 'running') return;
    this.stopWatchingPorts?.();
    this.stopWatchingPorts = undefined;
    try {
      await this.api?.stop();
    } finally {
      this.lanes = [];
      this.modemProblems = {};
      this.phase = 'idle';
    }
  }

  /** Hands a lane's PIN to the worker (which keeps it for the batch only if asked). */
  async answerPin(reader: string, pin: string | undefined, sameForBatch: boolean): Promise<void> {
    await this.api?.answerPin(reader, pin, sameForBatch);
  }

  /** Checks the SIM in a lane again. */
  async recheck(reader: string): Promise<void> {
    await this.api?.recheck(reader);
  }

  /** The worker's events. Ordered: a result's row arrives before its lane shows it. */
  onEvent(event: BatchEvent): void {
    if (event.type === 'result') {
      if (!this.ledger || this.ledger.batchId !== event.result.batchId) return;
      this.ledger.add(event.result);
      this.rows = this.ledger.rows();
      if (!event.saved) this.unsaved = true;
    } else if (event.type === 'credentials') {
      this.credentialsUntil = event.expiration;
    } else {
      // Stopped lanes leave the screen with Stop; their last words are not news.
      if (this.phase !== 'running' || event.lane.status === 'stopped') return;
      const i = this.lanes.findIndex((l) => l.reader === event.lane.reader);
      if (i < 0) return;
      const before = this.lanes[i];
      this.lanes[i] = event.lane;
      // A modem gone takes the next matching port plugged in.
      if (event.lane.modem && event.lane.status === 'gone') delete this.modemsHanded[event.lane.reader];
      if (this.sound && event.lane.status === 'done' && !(before?.status === 'done' && before.result.id === event.lane.result.id))
        this.deps.beep?.(event.lane.result.verdict);
    }
  }

  /** Sorts by a column; a second click on the same column reverses the order. */
  sortBy(column: ReportView['sort']): void {
    this.view = { ...this.view, sort: column, descending: this.view.sort === column ? !this.view.descending : false };
  }

  /** The report as CSV, with headings, step names and problems in the page's language. */
  csv(): string {
    const headings = Object.fromEntries(
      REPORT_COLUMNS.map((c) => [c, c === 'durationMs' ? t('report.csv.durationMs') : t(`report.col.${c}`)]),
    ) as Record<ReportColumn, string>;
    return toCsv(this.rows, {
      headings,
      describe: (p) => i18n.failure(problemAsFailure(p)),
      stepName: (s) => t(`check.step.${s}`),
    });
  }

  /** The report as JSON (every step of every row), for tools. */
  json(): string {
    return toReportJson(this.rows, { ...(this.batchId ? { batchId: this.batchId } : {}), exportedAt: this.now() });
  }

  /** Saves the report as a file. */
  exportReport(format: 'csv' | 'json'): void {
    const text = format === 'csv' ? this.csv() : this.json();
    const type = format === 'csv' ? 'text/csv;charset=utf-8' : 'application/json';
    this.deps.save?.(new Blob([text], { type }), reportFileName(this.batchId ?? 'batch', this.now(), format));
  }

  /** Puts the report in S3 with the credentials a SIM of this batch earned. */
  async uploadReport(): Promise<void> {
    if (this.uploadBusy) return;
    this.uploadBusy = true;
    this.uploadFailure = undefined;
    this.uploadOutcome = undefined;
    try {
      const format = this.upload.format;
      this.uploadOutcome = await (
        await this.worker()
      ).upload({
        bucket: this.upload.bucket.trim(),
        region: this.upload.region.trim(),
        prefix: this.upload.prefix,
        fileName: reportFileName(this.batchId ?? 'batch', this.now(), format),
        contentType: format === 'csv' ? 'text/csv; charset=utf-8' : 'application/json',
        body: format === 'csv' ? this.csv() : this.json(),
      });
    } catch (e) {
      this.uploadFailure = asFailure(e);
    } finally {
      this.uploadBusy = false;
    }
  }

  /** Remembers the choices (reads every one of them, so an effect calling this runs on each change). */
  persist(): void {
    saveCheckSettings(this.deps.storage, {
      form: $state.snapshot(this.form),
      excluded: $state.snapshot(this.excluded),
      sound: this.sound,
      upload: $state.snapshot(this.upload),
    });
  }

  /** How cells are written in the page's language: local time, translated step names. */
  cellFormat(): CellFormat {
    return {
      time: (ms) => formatReportTime(ms, i18n.locale),
      step: (s: CheckStep) => t(`check.step.${s}`),
      verdict: (v: Verdict) => t(`verdict.${v}`),
    };
  }

  /** A modem as a choice, named as its lane; a port already chosen keeps its lane. */
  private addChoice(port: ModemChoice['port']): string {
    const known = this.modems.find((m) => m.port === port);
    if (known) return known.lane;
    const lane = modemLaneName(this.deps.modemPorts?.name(port) ?? 'USB modem', [
      ...this.modems.map((m) => m.lane),
      ...this.readers.map((r) => r.name),
    ]);
    this.modems = [...this.modems, { lane, port }];
    return lane;
  }

  /** Opens a modem lane's port on this page and hands it to the worker; what goes wrong shows on its lane. */
  private async connectModem(choice: ModemChoice): Promise<void> {
    const ports = this.deps.modemPorts;
    if (!ports) return;
    try {
      const pipe = await ports.open(choice.port);
      await (await this.worker()).addModem(choice.lane, pipe);
      this.modemsHanded[choice.lane] = true;
      const { [choice.lane]: _, ...rest } = this.modemProblems;
      this.modemProblems = rest;
    } catch (e) {
      if (this.phase === 'running') this.modemProblems = { ...this.modemProblems, [choice.lane]: asFailure(e) };
    }
  }

  /** A modem plugged (back) in while the batch runs: the lane that lost it takes it up. */
  private onModemPlugged(port: ModemChoice['port']): void {
    if (this.phase !== 'running') return;
    const waiting = this.lanes.filter((l) => l.modem && !this.modemsHanded[l.reader]).map((l) => l.reader);
    const choice = laneForPluggedPort(port, this.modems, waiting);
    if (!choice) return;
    const moved = { lane: choice.lane, port };
    this.modems = this.modems.map((m) => (m.lane === choice.lane ? moved : m));
    void this.connectModem(moved);
  }

  /** The worker, started on first use. */
  private worker(): Promise<BatchWorkerApi> {
    if (this.api) return Promise.resolve(this.api);
    this.starting ??= this.deps.startWorker((event) => this.onEvent(event)).then((api) => (this.api = api));
    return this.starting;
  }

  private now(): number {
    return this.deps.now?.() ?? Date.now();
  }
}
