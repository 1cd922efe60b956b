import type { Failure, LinkKind, PinInfo, ReaderSummary, SessionEvent, SessionSettings, SimSummary } from '../worker/api.ts';
import { isFailure } from '../worker/api.ts';
import { LINK_KINDS, linkAvailability, type Environment, type Unavailable } from './availability.ts';
import { resolveSettings, type EndpointChoice, type EndpointProblem } from './endpoints.ts';
import type { MessageKey } from './i18n/en.ts';
import { LinkMachine } from './link-machine.svelte.ts';
import { loadRememberedLink, saveRememberedLink, type ChoiceStorage, type RememberedLink } from './remembered-link.ts';
import type { WorkerApi } from './worker-api.ts';

/** What a PIN command achieved, for the SIM panel's notice. */
export type PinCommandDone = 'unblocked' | 'changed' | 'disabled' | 'enabled';

/** What the session needs from its surroundings; tests pass doubles. */
export interface SessionDeps {
  env: Environment;
  origin: string;
  /** `ws://host/ws` of the bridge serving this page. */
  bridgeWsUrl: string;
  startWorker(onEvent: (event: SessionEvent) => void): Promise<WorkerApi>;
  /** Opens the modem's port on the page and returns the pipe for the worker. */
  openModemPipe(anyPort: boolean): Promise<{ pipe: MessagePort; name: string }>;
  /** Opens the modem's AT interface over WebUSB on the page and returns the pipe for the worker. */
  openUsbPipe(anyDevice: boolean): Promise<{ pipe: MessagePort; name: string }>;
  /** Reads the bridge's pcscd availability again (its `/api/config`): an empty reader list may mean pcscd is not running. */
  readPcsc?(): Promise<{ available: boolean; reason?: string } | undefined>;
  /** Where the link choices are remembered between visits (localStorage); undefined: nowhere. */
  storage?: ChoiceStorage;
  /** How often a modem's status is read again while connected, ms (0: never). */
  modemRefreshMs?: number;
  /** Asks the bridge to approve this page (its `/pair`): `onPrompt` gets the code to show; resolves with the token. */
  requestApproval?(
    pairUrl: string,
    onPrompt: (prompt: { code: string; approvalPage: string }) => void,
    signal: AbortSignal,
  ): Promise<string>;
}

/** Where asking the bridge for approval stands (a page on another origin than the bridge's). */
export type ApprovalStep =
  { step: 'idle' } | { step: 'asking'; code?: string; approvalPage?: string } | { step: 'approved' } | { step: 'failed'; failure: Failure };

/** Turns anything thrown into a Failure the UI can show. */
export function asFailure(e: unknown): Failure {
  if (isFailure(e)) return { ...e, details: e.details ?? {} };
  const err = e as { code?: unknown; message?: unknown; action?: unknown };
  return {
    code: typeof err?.code === 'string' ? err.code : 'UNEXPECTED',
    message: typeof err?.message === 'string' ? err.message : String(e),
    action: typeof err?.action === 'string' ? err.action : 'Try again; if it repeats, reload the page',
    details: {},
  };
}

/** Codes that say the SIM went away under a running step (pulled out, unplugged, its transport closed). */
const LINK_LOSS_CODES: ReadonlySet<string> = new Set(['NO_CARD', 'CARD_REMOVED', 'TRANSPORT_CLOSED', 'TRANSPORT_FAILED', 'DISCONNECTED']);

/** Whether a failure is the SIM link going away rather than something the step itself did wrong. */
export function isLinkLoss(failure: Failure | undefined): boolean {
  return failure !== undefined && LINK_LOSS_CODES.has(failure.code);
}

/**
 * The connection to the SIM, as the page sees it: which link and endpoint were chosen, the link's
 * lifecycle (a state machine), what the SIM says, and the PIN. The worker is started on the first
 * connect; everything secret stays there.
 */
export class SessionState {
  private readonly deps: SessionDeps;
  readonly link = new LinkMachine();
  linkKind = $state<LinkKind>('virtual');
  virtualSim = $state('demo');
  anyPort = $state(false);
  anyUsbDevice = $state(false);
  readers = $state<ReaderSummary[]>([]);
  reader = $state('');
  readersBusy = $state(false);
  readersFailure = $state<Failure | undefined>(undefined);
  /** Whether the bridge reaches pcscd, as it last said (at load, then with each empty reader list). */
  pcsc = $state<{ available: boolean; reason?: string } | undefined>(undefined);
  endpoint = $state<EndpointChoice>('global');
  customUrl = $state('');
  sim = $state<SimSummary | undefined>(undefined);
  simReadAt = $state<number | undefined>(undefined);
  simBusy = $state(false);
  pinBusy = $state(false);
  pinFailure = $state<Failure | undefined>(undefined);
  pinVerified = $state(false);
  /** What the last unblock, change, enable or disable achieved. */
  pinDone = $state<PinCommandDone | undefined>(undefined);
  /** Why the last unblock, change, enable or disable failed. */
  pinManageFailure = $state<Failure | undefined>(undefined);
  /** Counts successful connections: panels below the link start afresh for each SIM. */
  generation = $state(0);
  /** Asking the bridge to approve this page, when it is not the bridge's own. */
  approval = $state<ApprovalStep>({ step: 'idle' });
  /**
   * The failure a running step (Authenticate) reported, when it was the link going away: that step's
   * notice tells it, so the link's own notice stays away and the loss is shown once, on the step.
   */
  lossAtStep = $state<Failure | undefined>(undefined);
  /**
   * The reader (or bridge modem) remembered from the last visit when the bridge does not list it now:
   * the page says so and another is chosen.
   */
  readerMissing = $state<{ kind: 'bridge' | 'bridge-modem'; name: string } | undefined>(undefined);
  /** The remembered reader and modem, kept apart: choosing one link does not forget the other's device. */
  private rememberedDevice = { reader: '', modem: '' };
  /** The bridge's approval token once it approved this page: kept in memory only, never shown. */
  private bridgeToken = $state<string | undefined>(undefined);
  private approvalAbort: AbortController | undefined;

  /** Whether each link can be used here; the card reader's follows what the bridge last said about pcscd. */
  readonly availability: Record<LinkKind, Unavailable | undefined> = $derived.by(() => {
    const { env } = this.deps;
    const serving = env.serving;
    if (serving.kind !== 'bridge') return linkAvailability(env);
    const { pcsc: _loaded, ...config } = serving.config;
    return linkAvailability({ ...env, serving: { kind: 'bridge', config: { ...config, ...(this.pcsc ? { pcsc: this.pcsc } : {}) } } });
  });
  readonly settings: SessionSettings | EndpointProblem = $derived.by(() => {
    const settings = resolveSettings(this.deps.env.serving, this.endpoint, this.customUrl, this.deps.origin);
    return typeof settings === 'object' && this.bridgeToken ? { ...settings, bridgeToken: this.bridgeToken } : settings;
  });
  readonly settingsOk = $derived(typeof this.settings === 'object');
  readonly canConnect = $derived.by(
    () =>
      this.link.canConnect &&
      this.settingsOk &&
      this.availability[this.linkKind] === undefined &&
      (!isBridgeKind(this.linkKind) || this.reader !== ''),
  );
  /** What the bridge lists for the chosen link: its card readers for "Card reader (bridge)", its modems for "USB modem (bridge)". */
  readonly readerChoices: ReaderSummary[] = $derived(
    this.readers.filter((r) => (this.linkKind === 'bridge-modem' ? r.modem !== undefined : r.modem === undefined)),
  );
  readonly pin: PinInfo | undefined = $derived(this.sim?.pin);
  readonly needsPin = $derived(this.pin !== undefined && this.pin.enabled && !this.pin.verified && !this.pin.blocked);
  /** The PUK has no tries left: no code can unlock this SIM any more. */
  readonly pukBlocked = $derived(this.pin?.blocked === true && this.pin.pukTriesLeft === 0);
  /** Why Authenticate and Operations cannot run now (a message key for the person), undefined when they can. */
  readonly gate: MessageKey | undefined = $derived.by(() => {
    if (!this.link.connected) return 'gate.notConnected';
    if (this.pin?.blocked) return this.pukBlocked ? 'gate.pukBlocked' : 'gate.pinBlocked';
    if (this.needsPin) return 'gate.pinNeeded';
    return undefined;
  });

  private api: WorkerApi | undefined;
  private starting: Promise<WorkerApi> | undefined;
  // Who to tell about worker events, never rendered: a plain Set, not reactive state.
  // eslint-disable-next-line svelte/prefer-svelte-reactivity
  private readonly listeners = new Set<(event: SessionEvent) => void>();
  private refreshTimer: ReturnType<typeof setInterval> | undefined;
  private pcscTimer: ReturnType<typeof setInterval> | undefined;

  constructor(deps: SessionDeps) {
    this.deps = deps;
    const serving = deps.env.serving;
    if (serving.kind === 'bridge') this.pcsc = serving.config.pcsc;
    // pcscd down when the page loaded: ask again now and then, so the card reader becomes choosable when it starts.
    if (serving.kind === 'bridge' && serving.config.pcsc?.available === false && deps.readPcsc) {
      this.pcscTimer = setInterval(() => {
        if (this.pcsc?.available) clearInterval(this.pcscTimer);
        else void this.checkPcsc();
      }, 5000);
    }
    if (serving.kind === 'bridge' && serving.config.mode === 'demo' && serving.config.endpoints.lab) this.endpoint = 'lab';
    // Start on the first choice that can be used here (WebUSB comes after Web Serial, so it is preselected only where Web Serial is missing).
    const first = LINK_KINDS.find((k) => this.availability[k] === undefined);
    if (first) this.linkKind = first;
    this.restore();
  }

  /** Takes up the choices of the last visit (link, endpoint, bridge reader and modem), each only where it can still be used here. */
  private restore(): void {
    const saved = loadRememberedLink(this.deps.storage);
    if (!saved) return;
    if (saved.linkKind && this.availability[saved.linkKind] === undefined) this.linkKind = saved.linkKind;
    if (saved.customUrl !== undefined) this.customUrl = saved.customUrl;
    if (
      saved.endpoint &&
      (saved.endpoint !== 'lab' || resolveSettings(this.deps.env.serving, 'lab', '', this.deps.origin) !== 'endpoint.labMissing')
    )
      this.endpoint = saved.endpoint;
    this.rememberedDevice = { reader: saved.reader ?? '', modem: saved.modem ?? '' };
  }

  /** The choices as they would be remembered now (the device of each bridge link as last picked). */
  get choices(): RememberedLink {
    return {
      linkKind: this.linkKind,
      endpoint: this.endpoint,
      customUrl: this.customUrl,
      ...this.rememberedDevice,
    };
  }

  /** Remembers the choices (the page calls it whenever one changes; nothing secret is among them). */
  remember(): void {
    saveRememberedLink(this.deps.storage, this.choices);
  }

  /** The person picked a reader or modem (or connected with it): it is the one to remember. */
  rememberReader(): void {
    if (!isBridgeKind(this.linkKind) || this.reader === '') return;
    this.rememberedDevice = { ...this.rememberedDevice, [this.linkKind === 'bridge' ? 'reader' : 'modem']: this.reader };
    this.readerMissing = undefined;
    this.remember();
  }

  /** The lab's bucket and region, when the lab endpoint is chosen (demo). */
  get labDefaults(): { bucket: string; region: string } | undefined {
    const serving = this.deps.env.serving;
    if (this.endpoint !== 'lab' || serving.kind !== 'bridge' || !serving.config.lab) return undefined;
    return { bucket: serving.config.lab.bucket, region: serving.config.lab.region };
  }

  /** The worker, started on first use. */
  worker(): Promise<WorkerApi> {
    if (this.api) return Promise.resolve(this.api);
    this.starting ??= this.deps.startWorker((event) => this.dispatch(event)).then((api) => (this.api = api));
    return this.starting;
  }

  /** Listens to the worker's events (state classes of lazily loaded panels use it). */
  onEvent(listener: (event: SessionEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Whether this page is on another origin than the bridge serving its API (a dev server, the app hosted elsewhere): the bridge must approve it. */
  get needsApproval(): boolean {
    const serving = this.deps.env.serving;
    return serving.kind === 'bridge' && serving.config.origins !== undefined && !serving.config.origins.includes(this.deps.origin);
  }

  /** Whether the bridge approved this page in this visit (it holds the token). */
  get approved(): boolean {
    return this.bridgeToken !== undefined;
  }

  /**
   * Asks the bridge to approve this page: the bridge shows this origin with a code, the page shows
   * the same code, and once the person approves on the bridge's page the token is kept (in memory)
   * and sent with every bridge connection and proxied Krypton call.
   */
  async askApproval(): Promise<void> {
    if (!this.deps.requestApproval || this.approval.step === 'asking') return;
    this.approvalAbort = new AbortController();
    this.approval = { step: 'asking' };
    try {
      const token = await this.deps.requestApproval(
        this.deps.bridgeWsUrl.replace(/\/ws$/, '/pair'),
        (prompt) => (this.approval = { step: 'asking', code: prompt.code, approvalPage: prompt.approvalPage }),
        this.approvalAbort.signal,
      );
      this.bridgeToken = token;
      this.approval = { step: 'approved' };
      await this.findReaders();
    } catch (e) {
      this.approval = { step: 'failed', failure: asFailure(e) };
    } finally {
      this.approvalAbort = undefined;
    }
  }

  /** Stops asking the bridge for approval (the bridge withdraws the request). */
  cancelApproval(): void {
    this.approvalAbort?.abort();
  }

  /** Whether the reader list is empty because pcscd is not running (the bridge said so), not for want of a reader. */
  get pcscdStopped(): boolean {
    return this.linkKind === 'bridge' && this.readerChoices.length === 0 && this.pcsc?.available === false;
  }

  /** Asks the bridge again whether it reaches pcscd: the card reader's availability, and the hint on an empty reader list. */
  async checkPcsc(): Promise<void> {
    if (!this.deps.readPcsc) return;
    try {
      this.pcsc = await this.deps.readPcsc();
    } catch {
      // The bridge went away: the reader list says so already.
    }
  }

  /** Asks the bridge which readers and modems it sees; picks the first free one of the chosen kind (a reader with a card). */
  async findReaders(): Promise<void> {
    this.readersBusy = true;
    this.readersFailure = undefined;
    try {
      const api = await this.worker();
      this.readers = await api.bridgeReaders(this.deps.bridgeWsUrl, this.bridgeToken);
      this.pickReader();
      await this.checkPcsc();
    } catch (e) {
      this.readersFailure = asFailure(e);
    } finally {
      this.readersBusy = false;
    }
  }

  /**
   * Keeps the chosen reader if the chosen link lists it, else the one remembered from the last visit,
   * else picks the first free one (with a card) of that link — and says when the remembered one is not there.
   */
  pickReader(): void {
    const choices = this.readerChoices;
    const listed = (name: string) => name !== '' && choices.some((r) => r.name === name);
    const kind = this.linkKind;
    const remembered = kind === 'bridge' ? this.rememberedDevice.reader : kind === 'bridge-modem' ? this.rememberedDevice.modem : '';
    if (listed(remembered) && (this.reader === '' || !listed(this.reader) || this.readerMissing)) {
      this.reader = remembered;
      this.readerMissing = undefined;
      return;
    }
    if (remembered !== '' && isBridgeKind(kind) && !listed(remembered)) this.readerMissing = { kind, name: remembered };
    else if (this.readerMissing && this.readerMissing.kind !== kind) this.readerMissing = undefined;
    if (!listed(this.reader)) this.reader = choices.find((r) => r.card && !r.inUse)?.name ?? choices[0]?.name ?? '';
  }

  /** Whether the link shows its own failure notice: a failed connect, or a loss no step has reported. */
  get linkNoticeShown(): boolean {
    const state = this.link.state.name;
    return state === 'failed' || (state === 'lost' && this.lossAtStep === undefined);
  }

  /** A step's outcome: a link loss it met is shown on that step; anything else leaves the link's notice alone. */
  stepSettled(failure: Failure | undefined): void {
    this.lossAtStep = isLinkLoss(failure) ? failure : undefined;
  }

  /** Opens the chosen link. For a modem this must run from a click (the browser's port or device chooser). */
  async connect(): Promise<void> {
    if (!this.canConnect || typeof this.settings !== 'object') return;
    const kind = this.linkKind;
    if (!this.link.send({ type: 'connect', kind })) return;
    this.sim = undefined;
    this.pinFailure = undefined;
    this.pinVerified = false;
    this.pinDone = undefined;
    this.pinManageFailure = undefined;
    this.lossAtStep = undefined;
    try {
      // The port or device chooser first, while the click still counts as the person's gesture.
      const modem =
        kind === 'modem'
          ? await this.deps.openModemPipe(this.anyPort)
          : kind === 'usb'
            ? await this.deps.openUsbPipe(this.anyUsbDevice)
            : undefined;
      const api = await this.worker();
      await api.configure(this.settings);
      let sim: SimSummary;
      if (kind === 'virtual') sim = await api.openVirtual(this.virtualSim);
      else if (kind === 'modem' || kind === 'usb') sim = await api.openModem(modem!.pipe, modem!.name, kind);
      else if (isBridgeKind(kind)) sim = await api.openBridge(this.deps.bridgeWsUrl, this.reader, this.bridgeToken);
      else sim = await api.openCellular();
      if (this.link.state.name !== 'connecting') {
        // Disconnected while opening.
        await api.close();
        return;
      }
      this.sim = sim;
      this.simReadAt = Date.now();
      this.generation++;
      this.rememberReader();
      this.link.send({ type: 'opened', linkName: sim.name });
      this.startRefresh();
    } catch (e) {
      this.link.send({ type: 'failed', failure: asFailure(e) });
    }
  }

  async disconnect(): Promise<void> {
    const state = this.link.state.name;
    if (state === 'failed') {
      this.link.send({ type: 'close' });
      return;
    }
    if (!this.link.send({ type: 'close' })) return;
    this.stopRefresh();
    try {
      await this.api?.close();
    } finally {
      this.sim = undefined;
      this.link.send({ type: 'closed' });
    }
  }

  /** Reads the SIM (and modem) again. */
  async refreshSim(): Promise<void> {
    if (!this.link.connected || !this.api || this.simBusy) return;
    this.simBusy = true;
    try {
      const sim = await this.api.simStatus();
      if (this.link.connected) {
        this.sim = sim;
        this.simReadAt = Date.now();
      }
    } catch (e) {
      const f = asFailure(e);
      if (isLinkGone(f)) this.link.send({ type: 'lost', failure: f });
    } finally {
      this.simBusy = false;
    }
  }

  /** Verifies the PIN; `allowLastTry` only after the person confirmed using the last try. */
  async verifyPin(pin: string, allowLastTry: boolean): Promise<boolean> {
    if (!this.api || !this.sim) return false;
    this.pinBusy = true;
    this.pinFailure = undefined;
    try {
      const state = await this.api.verifyPin(pin, allowLastTry);
      this.sim = { ...this.sim, pin: state };
      this.pinVerified = true;
      // The IMSI can be read now.
      await this.refreshSim();
      return true;
    } catch (e) {
      this.pinFailure = asFailure(e);
      const tries = this.pinFailure.details.triesLeft;
      if (this.sim?.pin && typeof tries === 'number') {
        this.sim = { ...this.sim, pin: { ...this.sim.pin, triesLeft: tries, blocked: tries === 0 } };
      }
      // PIN_BLOCKED carries the PUK's tries: the unblock form shows them at once.
      if (this.pinFailure.code === 'PIN_BLOCKED' && this.sim?.pin)
        this.sim = {
          ...this.sim,
          pin: { ...this.sim.pin, triesLeft: 0, blocked: true, ...(typeof tries === 'number' ? { pukTriesLeft: tries } : {}) },
        };
      return false;
    } finally {
      this.pinBusy = false;
    }
  }

  /** Unblocks the PIN with the PUK and sets `newPin`; `allowLastTry` only after the person confirmed the PUK's last try. */
  unblockPin(puk: string, newPin: string, allowLastTry: boolean): Promise<boolean> {
    return this.pinCommand('unblocked', (api) => api.unblockPin(puk, newPin, allowLastTry));
  }

  /** Changes the PIN; `allowLastTry` only after the person confirmed the PIN's last try. */
  changePin(pin: string, newPin: string, allowLastTry: boolean): Promise<boolean> {
    return this.pinCommand('changed', (api) => api.changePin(pin, newPin, allowLastTry));
  }

  /** Enables or disables the PIN with its current code. */
  setPinEnabled(enabled: boolean, pin: string, allowLastTry: boolean): Promise<boolean> {
    return this.pinCommand(enabled ? 'enabled' : 'disabled', (api) => api.setPinEnabled(enabled, pin, allowLastTry));
  }

  // Runs one PIN command; the SIM panel then shows what the SIM says now, whether it worked or not.
  private async pinCommand(done: PinCommandDone, run: (api: WorkerApi) => Promise<PinInfo>): Promise<boolean> {
    if (!this.api || !this.sim || this.pinBusy) return false;
    this.pinBusy = true;
    this.pinFailure = undefined;
    this.pinManageFailure = undefined;
    this.pinDone = undefined;
    try {
      const state = await run(this.api);
      this.sim = { ...this.sim, pin: state };
      this.pinVerified = state.enabled && state.verified;
      this.pinDone = done;
      await this.refreshSimNow();
      return true;
    } catch (e) {
      const f = asFailure(e);
      this.pinManageFailure = f;
      // Nothing reached the SIM on a refused last try: its state is as shown.
      if (f.code !== 'PIN_LAST_TRY' && f.code !== 'PUK_LAST_TRY') {
        if (isLinkGone(f)) this.link.send({ type: 'lost', failure: f });
        else await this.refreshSimNow();
      }
      return false;
    } finally {
      this.pinBusy = false;
    }
  }

  // refreshSim, but run even while a PIN command holds pinBusy (it is that command's last step).
  private async refreshSimNow(): Promise<void> {
    if (!this.api || !this.link.connected) return;
    try {
      const sim = await this.api.simStatus();
      if (this.link.connected) {
        this.sim = sim;
        this.simReadAt = Date.now();
      }
    } catch (e) {
      const f = asFailure(e);
      if (isLinkGone(f)) this.link.send({ type: 'lost', failure: f });
    }
  }

  /** The worker's events: link loss for the machine, reader changes, and every listener. */
  dispatch(event: SessionEvent): void {
    if (event.type === 'link-lost') {
      if (this.link.send({ type: 'lost', failure: event.failure })) this.stopRefresh();
    } else if (event.type === 'readers') {
      this.readers = event.readers;
      void this.checkPcsc();
    }
    for (const l of this.listeners) {
      try {
        l(event);
      } catch {
        // One panel's bug must not silence the others.
      }
    }
  }

  private startRefresh(): void {
    this.stopRefresh();
    const every = this.deps.modemRefreshMs ?? 10_000;
    if ((this.linkKind !== 'modem' && this.linkKind !== 'usb' && this.linkKind !== 'bridge-modem') || every <= 0) return;
    this.refreshTimer = setInterval(() => void this.refreshSim(), every);
  }

  private stopRefresh(): void {
    clearInterval(this.refreshTimer);
    this.refreshTimer = undefined;
  }
}

/** The links that go through the bridge and open one of its listed readers or modems. */
export function isBridgeKind(kind: LinkKind): kind is 'bridge' | 'bridge-modem' {
  return kind === 'bridge' || kind === 'bridge-modem';
}

/** Failures that mean the link itself is gone, not just one command. */
export function isLinkGone(f: Failure): boolean {
  return f.code === 'NO_CARD' || f.code === 'TRANSPORT_CLOSED' || f.code === 'TRANSPORT_FAILED' || f.code === 'NOT_CONNECTED';
}
