import {
  cellularEndpoint,
  DEFAULT_REFRESH_MARGIN_MS,
  KryptonClient,
  openKeyCache,
  simEndpoint,
  Tracer,
  type KeyCache,
  type KryptonAwsCredentials,
  type KryptonCredentialProvider,
  type TraceEvent,
  type TranscriptIdentity,
} from '@krypton-web/krypton-core';
import { withBridgeToken } from './bridge-token.ts';
import type {
  AuthOutcome,
  DownloadOutcome,
  DownloadRequest,
  FolderOutcome,
  FolderRequest,
  FileUploadOutcome,
  UploadRequest,
  ListPage,
  ListRequest,
  MaskedCredentials,
  ModemLinkKind,
  ObjectDetails,
  OperationOutcome,
  PinInfo,
  ReaderSummary,
  RevealedCredentials,
  RunTrace,
  SessionApi,
  SessionEvent,
  SessionSettings,
  SimSummary,
} from './api.ts';
import { failure, relayedFailure, toFailure } from './failure.ts';
import type { SimLink } from './links/sim-link.ts';
import { maskJson, maskSecret } from './mask.ts';
import { RunTraces } from './run-traces.ts';
import type { S3Service } from './s3-service.ts';

/** Holds everything secret: the link, the Krypton client with its key cache, the AWS credentials, the S3 client. */
export class Session implements SessionApi {
  private listener: ((event: SessionEvent) => void) | undefined;
  private settings: SessionSettings | undefined;
  private link: SimLink | undefined;
  private client: KryptonClient | undefined;
  private provider: KryptonCredentialProvider | undefined;
  private credentialsNow: KryptonAwsCredentials | undefined;
  private refreshTimer: ReturnType<typeof setTimeout> | undefined;
  private keyCache: Promise<{ cache: KeyCache; persistent: boolean }> | undefined;
  private s3: Promise<S3Service> | undefined;
  private readonly results = new Map<number, { body: unknown; kind: 'json' | 'text' }>();
  private nextResult = 1;
  private stepsSeen: Set<string> | undefined;
  private run: number | undefined;
  private readonly traces = new RunTraces();
  private readonly tracer = new Tracer((event) => {
    if (event.type === 'step-start') this.stepsSeen?.add(event.step);
    this.traces.trace(event);
    this.emit({ type: 'trace', event: plainTrace(event), ...(this.run !== undefined ? { run: this.run } : {}) });
  });

  subscribe(listener: (event: SessionEvent) => void): void {
    this.listener = listener;
  }

  async configure(settings: SessionSettings): Promise<void> {
    const changed = JSON.stringify(settings) !== JSON.stringify(this.settings);
    this.settings = settings;
    if (changed) this.rebuildClient();
  }

  // ---- Links ----

  async openVirtual(simName: string): Promise<SimSummary> {
    return this.guard(async () => {
      const { openVirtualLink } = await import('./links/virtual-link.ts');
      return this.attachRecorded({ link: 'virtual', description: `Virtual SIM "${simName}" in the browser` }, () =>
        openVirtualLink(simName, this.tracer),
      );
    });
  }

  async openModem(pipe: MessagePort, name: string, kind: ModemLinkKind = 'modem'): Promise<SimSummary> {
    return this.guard(async () => {
      const { openModemLink } = await import('./links/modem-link.ts');
      return this.attachRecorded({ link: 'comm', description: `${name} (${kind === 'usb' ? 'WebUSB' : 'Web Serial'})` }, () =>
        openModemLink(pipe, name, this.tracer, kind, (dir, line) => this.traces.at(dir, line)),
      );
    });
  }

  async bridgeReaders(wsUrl: string, token?: string): Promise<ReaderSummary[]> {
    return this.guard(async () => {
      const { listBridgeReaders } = await import('./links/bridge-link.ts');
      return listBridgeReaders(wsUrl, token);
    });
  }

  async openBridge(wsUrl: string, reader: string, token?: string): Promise<SimSummary> {
    return this.guard(async () => {
      const { BridgeLink } = await import('./links/bridge-link.ts');
      // The bridge runs the SIM's commands next to the reader (its --record has them); here: steps and HTTP.
      return this.attachRecorded({ link: 'bridge', description: `${reader} through the bridge`, reader }, () =>
        BridgeLink.open(wsUrl, reader, token, (readers) => this.emit({ type: 'readers', readers })),
      );
    });
  }

  async openCellular(): Promise<SimSummary> {
    return this.guard(async () => {
      const { cellularLink } = await import('./links/cellular-link.ts');
      return this.attachRecorded({ link: 'cellular', description: 'SORACOM Air line (no SIM access)' }, async () => cellularLink());
    });
  }

  async simStatus(): Promise<SimSummary> {
    return this.guard(async () => this.summary(this.requireLink(), true));
  }

  async verifyPin(pin: string, allowLastTry: boolean): Promise<PinInfo> {
    return this.guard(async () => {
      checkPinFormat(pin);
      const link = this.requireLink();
      await link.verifyPin(pin, allowLastTry);
      const state = await link.pinState();
      return state ?? { enabled: false, verified: true, blocked: false };
    });
  }

  async unblockPin(puk: string, newPin: string, allowLastTry: boolean): Promise<PinInfo> {
    return this.guard(async () => {
      if (!/^[0-9]{8}$/.test(puk)) throw failure('BAD_PUK_FORMAT', 'A PUK has 8 digits', 'Enter the PUK again (8 digits, digits only)');
      checkPinFormat(newPin);
      const link = this.requireLink();
      await link.unblockPin(puk, newPin, allowLastTry);
      return this.pinAfter(link);
    });
  }

  async changePin(pin: string, newPin: string, allowLastTry: boolean): Promise<PinInfo> {
    return this.guard(async () => {
      checkPinFormat(pin);
      checkPinFormat(newPin);
      const link = this.requireLink();
      await link.changePin(pin, newPin, allowLastTry);
      return this.pinAfter(link);
    });
  }

  async setPinEnabled(enabled: boolean, pin: string, allowLastTry: boolean): Promise<PinInfo> {
    return this.guard(async () => {
      checkPinFormat(pin);
      const link = this.requireLink();
      await link.setPinEnabled(enabled, pin, allowLastTry);
      return this.pinAfter(link);
    });
  }

  async close(): Promise<void> {
    const link = this.link;
    this.detach();
    await link?.close().catch(() => undefined);
  }

  // ---- Krypton ----

  async authenticate(run: number): Promise<AuthOutcome> {
    return this.guard(async () => {
      const provider = this.requireProvider();
      const link = this.requireLink();
      // One path from the SIM to credentials: the provider reads the IMSI, reuses or agrees the key,
      // makes the signed call and exchanges the token at Cognito. Which steps ran says whether the
      // cached key was used (no AUTHENTICATE) and whether the SIM was resynchronised.
      const seen = new Set<string>();
      this.stepsSeen = seen;
      this.run = run;
      this.traces.runStarted(run);
      try {
        const credentials = await provider({ forceRefresh: true });
        this.credentialsNow = credentials;
      } finally {
        this.stepsSeen = undefined;
        this.run = undefined;
        this.traces.runEnded(run);
      }
      const masked = this.masked(this.credentialsNow);
      this.scheduleRefresh(masked.refreshAt);
      const { persistent } = await this.openedCache();
      const key = link.authenticator ? { fromCache: !seen.has('authenticate'), resynchronised: seen.has('resync') } : undefined;
      const clockOffsetMs = this.client?.serverClockOffsetMs ?? 0;
      return {
        ...(key ? { key } : {}),
        credentials: masked,
        keyCachePersistent: persistent,
        ...(clockOffsetMs !== 0 ? { clockOffsetMs } : {}),
      };
    });
  }

  async runTrace(run: number): Promise<RunTrace | undefined> {
    return this.traces.runTrace(run);
  }

  async forgetKey(): Promise<void> {
    return this.guard(async () => {
      const client = this.requireClient();
      const link = this.requireLink();
      const imsi = link.authenticator ? await link.readImsi().catch(() => undefined) : undefined;
      await client.forgetKey(imsi);
    });
  }

  async refreshCredentials(): Promise<MaskedCredentials> {
    return this.guard(async () => {
      const credentials = await this.requireProvider()({ forceRefresh: true });
      this.credentialsNow = credentials;
      const masked = this.masked(credentials);
      this.scheduleRefresh(masked.refreshAt);
      return masked;
    });
  }

  async revealCredentials(): Promise<RevealedCredentials> {
    const c = this.credentialsNow;
    if (!c) throw failure('NO_CREDENTIALS', 'There are no credentials yet', 'Press Authenticate first');
    return { secretAccessKey: c.secretAccessKey, sessionToken: c.sessionToken };
  }

  async userData(): Promise<string> {
    return this.guard(async () => this.requireClient().getUserData());
  }

  async runOperation(name: string, params: Record<string, unknown>): Promise<OperationOutcome> {
    return this.guard(async () => {
      const started = performance.now();
      const result = await this.requireClient().call(name, params);
      const kind = typeof result.body === 'string' ? 'text' : 'json';
      const id = this.nextResult++;
      this.results.set(id, { body: result.body, kind });
      // Keep a few answers, not every one of a long session.
      for (const old of this.results.keys()) if (this.results.size > 10) this.results.delete(old);
      const masked = maskJson(result.body);
      return {
        id,
        operation: name,
        kind,
        display: kind === 'text' ? String(result.body) : JSON.stringify(masked.value, null, 2),
        secretPaths: masked.secretPaths,
        files: masked.files,
        durationMs: Math.round(performance.now() - started),
      };
    });
  }

  async revealOperation(id: number): Promise<{ display: string; files: Record<string, string> }> {
    const r = this.results.get(id);
    if (!r) throw failure('RESULT_GONE', 'That answer is no longer kept', 'Run the operation again');
    const files: Record<string, string> = {};
    for (const f of maskJson(r.body).files) {
      const v = valueAt(r.body, f.path);
      if (typeof v === 'string') files[f.name] = v.endsWith('\n') ? v : `${v}\n`;
    }
    return { display: r.kind === 'text' ? String(r.body) : JSON.stringify(r.body, null, 2), files };
  }

  async operationFile(id: number, name: string): Promise<string> {
    const file = (await this.revealOperation(id)).files[name];
    if (file === undefined) throw failure('RESULT_GONE', `The answer holds no ${name}`, 'Run the operation again');
    return file;
  }

  // ---- S3 ----

  async listObjects(request: ListRequest): Promise<ListPage> {
    return this.guard(async () => (await this.s3Service()).list(request));
  }

  async headObject(bucket: string, region: string, key: string): Promise<ObjectDetails> {
    return this.guard(async () => (await this.s3Service()).head(bucket, region, key));
  }

  async download(request: DownloadRequest, target: FileSystemFileHandle | MessagePort | undefined): Promise<DownloadOutcome> {
    return this.guard(async () =>
      (await this.s3Service()).download(request, target, (progress) => this.emit({ type: 'download-progress', progress })),
    );
  }

  cancelDownload(id: number): void {
    void this.s3?.then((s) => s.cancel(id));
  }

  async downloadFolder(request: FolderRequest, target: FileSystemDirectoryHandle | MessagePort | undefined): Promise<FolderOutcome> {
    return this.guard(async () =>
      (await this.s3Service()).downloadFolder(request, target, (progress) => this.emit({ type: 'folder-progress', progress })),
    );
  }

  cancelFolder(id: number): void {
    void this.s3?.then((s) => s.cancelFolder(id));
  }

  async upload(request: UploadRequest, body: Blob): Promise<FileUploadOutcome> {
    return this.guard(async () =>
      (await this.s3Service()).upload(request, body, (progress) => this.emit({ type: 'upload-progress', progress })),
    );
  }

  cancelUpload(id: number): void {
    void this.s3?.then((s) => s.cancelUpload(id));
  }

  // ---- Internals ----

  /** Opens a link with its recording started first (its opening is part of every run's file); a failed open keeps the old one's. */
  private async attachRecorded(identity: TranscriptIdentity, open: () => Promise<SimLink>): Promise<SimSummary> {
    this.traces.startLink(identity);
    let link: SimLink;
    try {
      link = await open();
    } catch (e) {
      this.traces.openFailed();
      throw e;
    }
    return this.attach(link);
  }

  private async attach(link: SimLink): Promise<SimSummary> {
    const previous = this.link;
    this.detach();
    await previous?.close().catch(() => undefined);
    this.link = link;
    link.onLost((error) => {
      if (this.link !== link) return;
      const f = toFailure(error);
      this.emit({ type: 'link-lost', failure: f });
    });
    this.rebuildClient();
    return this.summary(link, false);
  }

  private detach(): void {
    this.link = undefined;
    this.provider?.destroy();
    this.provider = undefined;
    this.client = undefined;
    this.credentialsNow = undefined;
    this.results.clear();
    clearTimeout(this.refreshTimer);
    this.refreshTimer = undefined;
    void this.s3?.then((s) => s.reset());
  }

  private rebuildClient(): void {
    const settings = this.settings;
    const link = this.link;
    this.provider?.destroy();
    this.provider = undefined;
    this.client = undefined;
    this.credentialsNow = undefined;
    clearTimeout(this.refreshTimer);
    void this.s3?.then((s) => s.reset());
    if (!settings || !link) return;
    const endpoint = link.kind === 'cellular' ? cellularEndpoint(settings.cellularBase) : simEndpoint(settings.kryptonBase);
    const cachePromise = this.openedCache();
    // The key cache opens asynchronously; the client waits for it on first use.
    const keyCache: KeyCache = {
      get: async (imsi) => (await cachePromise).cache.get(imsi),
      put: async (key) => (await cachePromise).cache.put(key),
      delete: async (imsi) => (await cachePromise).cache.delete(imsi),
      clear: async () => (await cachePromise).cache.clear(),
    };
    const client = new KryptonClient({
      endpoint,
      tracer: this.tracer,
      keyCache,
      // The run trace sees each Krypton call's header names (never values); the bridge token is added beneath it.
      fetch: this.traces.wrapFetch(
        settings.bridgeToken ? withBridgeToken(settings.origin, settings.bridgeToken) : (input, init) => fetch(input, init),
      ),
      ...(link.authenticator ? { sim: link.authenticator } : {}),
    });
    this.client = client;
    this.provider = client.credentialProvider({
      ...(settings.cognitoEndpoint ? { cognitoEndpoint: settings.cognitoEndpoint } : {}),
      onEvent: (event) => {
        if (this.client !== client) return;
        // A renewal is under way (or failed) only when there were credentials to renew and no Authenticate
        // is running: a failed Authenticate is that run's failure, shown once, on its step.
        if (this.run !== undefined || this.credentialsNow === undefined) return;
        if (event.type === 'refreshing') this.emit({ type: 'credentials-refreshing', reason: event.reason });
        else if (event.type === 'refresh-failed')
          this.emit({
            type: 'credentials-failed',
            failure: relayedFailure(
              event.failure.code,
              event.failure.message,
              event.error?.action ?? 'Refresh the credentials, or authenticate again',
              event.error?.details ?? {},
            ),
          });
      },
    });
    const provider = this.provider;
    // Every use of the provider (S3 included) lands here, so the page always shows the credentials in use.
    const watched: KryptonCredentialProvider = Object.assign(
      async (props?: Record<string, unknown>) => {
        const c = await provider(props);
        if (this.provider === watched && c !== this.credentialsNow) {
          this.credentialsNow = c;
          const masked = this.masked(c);
          this.scheduleRefresh(masked.refreshAt);
          this.emit({ type: 'credentials', credentials: masked });
        }
        return c;
      },
      { invalidate: () => provider.invalidate(), current: () => provider.current(), destroy: () => provider.destroy() },
    );
    this.provider = watched;
  }

  private openedCache(): Promise<{ cache: KeyCache; persistent: boolean }> {
    this.keyCache ??= openKeyCache().then((o) => ({ cache: o.cache, persistent: o.persistent }));
    return this.keyCache;
  }

  private async s3Service(): Promise<S3Service> {
    const provider = this.requireProvider();
    const settings = this.settings!;
    this.s3 ??= import('./s3-service.ts').then((m) => new m.S3Service());
    const s3 = await this.s3;
    s3.use({ provider, endpoint: settings.s3Endpoint, origin: settings.origin });
    return s3;
  }

  private async summary(link: SimLink, refresh: boolean): Promise<SimSummary> {
    const out: SimSummary = { link: link.kind, name: link.name };
    if (link.kind === 'cellular') return out;
    try {
      out.pin = await link.pinState();
    } catch (e) {
      out.simError = toFailure(e);
    }
    try {
      out.imsi = await link.readImsi();
    } catch (e) {
      out.simError ??= toFailure(e);
    }
    try {
      const iccid = await link.readIccid();
      if (iccid) out.iccid = iccid;
    } catch {
      // ICCID is for display only; a card that refuses it still authenticates.
    }
    if (link.modemInfo) {
      try {
        out.modem = await link.modemInfo();
        const m = out.modem;
        this.traces.identify({
          modem: {
            ...(m.manufacturer ? { manufacturer: m.manufacturer } : {}),
            ...(m.model ? { model: m.model } : {}),
            ...(m.firmware ? { revision: m.firmware } : {}),
            ...(m.imei ? { imei: m.imei } : {}),
          },
        });
      } catch (e) {
        if (!refresh) out.simError ??= toFailure(e);
      }
    }
    return out;
  }

  private masked(c: KryptonAwsCredentials): MaskedCredentials {
    const expiration = c.expiration.getTime();
    const lifetime = Math.max(0, expiration - Date.now());
    const refreshAt = expiration - Math.min(DEFAULT_REFRESH_MARGIN_MS, lifetime / 2);
    return {
      ...(c.identityId ? { identityId: c.identityId } : {}),
      accessKeyId: c.accessKeyId,
      expiration,
      refreshAt: Math.round(refreshAt),
      secretAccessKeyMasked: maskSecret(c.secretAccessKey),
      sessionTokenMasked: maskSecret(c.sessionToken),
      mode: 'openid',
    };
  }

  /** Refreshes the credentials shortly after they count as expiring, so S3 never waits for a SIM run. */
  private scheduleRefresh(refreshAt: number): void {
    clearTimeout(this.refreshTimer);
    const provider = this.provider;
    if (!provider) return;
    const delay = Math.min(Math.max(refreshAt - Date.now() + 1000, 1000), 2 ** 31 - 1);
    this.refreshTimer = setTimeout(() => {
      if (this.provider !== provider) return;
      provider().catch(() => undefined); // a failure reaches the page as a credentials-failed event
    }, delay);
  }

  // The PIN's state as the SIM tells it after a PIN command.
  private async pinAfter(link: SimLink): Promise<PinInfo> {
    return (await link.pinState()) ?? { enabled: false, verified: false, blocked: false };
  }

  private requireLink(): SimLink {
    if (!this.link) throw failure('NOT_CONNECTED', 'No SIM is connected', 'Choose how the SIM is reached and connect it first');
    return this.link;
  }

  private requireClient(): KryptonClient {
    this.requireLink();
    if (!this.client) throw failure('NOT_CONFIGURED', 'No Krypton endpoint is chosen', 'Choose a Krypton endpoint');
    return this.client;
  }

  private requireProvider(): KryptonCredentialProvider {
    this.requireClient();
    return this.provider!;
  }

  private emit(event: SessionEvent): void {
    try {
      this.listener?.(event);
    } catch {
      // The page went away; nothing to tell.
    }
  }

  /** Runs an API call and turns whatever it throws into a plain Failure that comlink carries intact. */
  private async guard<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (e) {
      throw toFailure(e);
    }
  }
}

/** A PIN is 4 to 8 digits; refused here, before anything reaches the SIM. */
function checkPinFormat(pin: string): void {
  if (!/^[0-9]{4,8}$/.test(pin)) throw failure('BAD_PIN_FORMAT', 'A PIN has 4 to 8 digits', 'Enter the PIN again (digits only)');
}

/** Trace events are plain already; a copy keeps comlink from cloning anything else. */
function plainTrace(event: TraceEvent): TraceEvent {
  return { ...event };
}

function valueAt(body: unknown, path: string): unknown {
  let v: unknown = body;
  for (const part of path.split('.').filter(Boolean)) {
    if (typeof v !== 'object' || v === null) return undefined;
    v = (v as Record<string, unknown>)[part];
  }
  return v;
}
