import { fromBase64, type Bytes } from './bytes/index.ts';
import { agreeKey, KeysApiClient, serverError, type AgreedKey, type SimAuthenticator } from './endorse/index.ts';
import type { KryptonEndpoint } from './endpoints.ts';
import { KryptonError } from './errors/index.ts';
import { isSuccess, parseJsonObject, postText, serverSays, soracomError, type FetchLike, type HttpAnswer } from './http/index.ts';
import { DEFAULT_KEY_TTL_MS, MemoryKeyCache, type CachedKey, type KeyCache } from './key-cache/index.ts';
import {
  canonicalOperationName,
  checkParams,
  goBody,
  operationSpec,
  pathOperationSpec,
  type OperationName,
  type OperationParams,
  type OperationSpec,
} from './provisioning/operations.ts';
import { inventoryApplicationKey, signProvisioningBody } from './provisioning/signature.ts';
import { Tracer, type TraceSink } from './trace/index.ts';
import {
  fromKrypton,
  type KryptonCognitoSource,
  type KryptonCredentialProvider,
  type KryptonCredentialProviderOptions,
} from './aws/index.ts';

/** Settings of a Krypton client. */
export interface KryptonClientOptions {
  endpoint: KryptonEndpoint;
  /** The SIM (USIM commands over a link); not used, and not needed, on the cellular endpoint. */
  sim?: SimAuthenticator;
  /** Where agreed keys are kept between runs; an in-memory cache by default. */
  keyCache?: KeyCache;
  /** How long an agreed key is reused (SORACOM's clients: one hour). */
  keyTtlMs?: number;
  fetch?: FetchLike;
  /** Receives the trace; ignored when `tracer` is given. */
  onTrace?: TraceSink;
  /** A tracer shared with the SIM's commands, so APDUs and HTTP calls land in one timeline. */
  tracer?: Tracer;
  /** Local clock, ms epoch. */
  now?: () => number;
  /** Per-request timeout, ms. */
  timeoutMs?: number;
  /**
   * How long the cellular endpoint may stay silent before this computer counts as not online through
   * SORACOM Air (default 5 s): off the Air network the endpoint's address leads nowhere, and a person
   * should not wait the full request timeout to learn it.
   */
  cellularTimeoutMs?: number;
}

/** Default wait for the cellular endpoint before concluding this computer is not on SORACOM Air. */
export const DEFAULT_CELLULAR_TIMEOUT_MS = 5_000;

/** Statuses by which a server may refuse a key it no longer knows (SORACOM documents none of them). */
const FORGOTTEN_KEY_STATUSES: ReadonlySet<number> = new Set([400, 401, 403, 404]);

/** What a caller may know about the key in use: never CK itself. */
export interface KeyInfo {
  imsi: string;
  keyId: string;
  createdAt: number;
  expiresAt: number;
  /** Whether this run reused a cached key instead of authenticating the SIM. */
  fromCache: boolean;
  /** Whether the SIM's sequence number was resynchronised during this authentication. */
  resynchronised: boolean;
}

/** An operation's answer and the key that signed it. */
export interface OperationResult<T = unknown> {
  operation: string;
  body: T;
  /** The key used (undefined on the cellular endpoint, which needs none). */
  key: KeyInfo | undefined;
}

/** `aws/cognito/open_id_tokens` answer. */
export interface OpenIdTokenAnswer {
  region: string;
  identityId: string;
  token: string;
}

/** `aws/cognito/credentials` answer. */
export interface SessionCredentialsAnswer {
  identityId: string;
  credentials: { accessKeyId: string; secretKey: string; sessionToken: string; expiration: number };
}

/** `soracom/inventory/bootstrap` answer as SORACOM's CLI prints it. */
export interface InventoryBootstrapAnswer {
  serverUri?: string;
  pskId?: string;
  applicationKey: string;
}

interface KeyInUse {
  imsi: string;
  keyId: string;
  ck: Bytes;
  createdAt: number;
  expiresAt: number;
  fromCache: boolean;
  resynchronised: boolean;
}

/** Server clock differences below this are noise (Date has one-second resolution, plus latency). */
const CLOCK_SKEW_THRESHOLD_MS = 30_000;

/**
 * A SORACOM Krypton client: SIM authentication with a key cache, signed provisioning calls with
 * one clock-corrected retry and one re-authentication when a cached key is refused, and the
 * cellular endpoint. Runs in browsers, workers and Node (WebCrypto and fetch only).
 */
export class KryptonClient {
  private readonly tracer: Tracer;
  private readonly fetch: FetchLike;
  private readonly now: () => number;
  private readonly keyCache: KeyCache;
  private readonly keyTtlMs: number;
  /** Server minus local clock, ms, once a server's Date header showed a real difference. */
  private clockOffsetMs = 0;

  constructor(private readonly options: KryptonClientOptions) {
    this.tracer = options.tracer ?? new Tracer(options.onTrace);
    this.now = options.now ?? Date.now;
    this.keyCache = options.keyCache ?? new MemoryKeyCache({ now: this.now });
    this.keyTtlMs = options.keyTtlMs ?? DEFAULT_KEY_TTL_MS;
    const baseFetch: FetchLike = options.fetch ?? ((input, init) => fetch(input, init));
    // Every answer's Date header tells how far the server clock is from ours; signed calls use it.
    this.fetch = async (input, init) => {
      const response = await baseFetch(input, init);
      this.observeServerDate(response.headers.get('date'), this.now());
      return response;
    };
  }

  /** The measured offset of the server clock from ours (ms), 0 until a real difference is seen. */
  get serverClockOffsetMs(): number {
    return this.clockOffsetMs;
  }

  /** Reads the SIM's IMSI. */
  async readImsi(): Promise<string> {
    return this.tracer.run('imsi', () => this.requireSim().readImsi());
  }

  /** Makes sure a verified key is at hand: from the cache, or by authenticating the SIM. */
  async authenticate(options: { fresh?: boolean } = {}): Promise<KeyInfo> {
    return info(await this.keyInUse(options.fresh ?? false));
  }

  /** Forgets the cached key of an IMSI (or every cached key). */
  async forgetKey(imsi?: string): Promise<void> {
    if (imsi === undefined) await this.keyCache.clear();
    else await this.keyCache.delete(imsi);
  }

  /** Runs a provisioning operation by name (SORACOM's CLI names, in any case) with JSON parameters. */
  async call<T = unknown>(operation: OperationName | (string & {}), params: OperationParams = {}): Promise<OperationResult<T>> {
    const spec = operationSpec(operation);
    const name = canonicalOperationName(operation) ?? operation;
    checkParams(name, spec, params);
    return this.callSpec<T>(name, spec, params);
  }

  /** Calls any provisioning path (below /v1/provisioning/) with JSON parameters; the answer is returned as text. */
  async callPath(path: string, params: OperationParams = {}): Promise<OperationResult<string>> {
    const spec = pathOperationSpec(path);
    return this.callSpec<string>(spec.path(params), spec, params);
  }

  private async callSpec<T>(name: string, spec: OperationSpec, params: OperationParams): Promise<OperationResult<T>> {
    if (this.options.endpoint.kind === 'cellular') return this.callCellular<T>(name, spec, params);
    return this.callSigned<T>(name, spec, params);
  }

  /** generateAmazonCognitoOpenIdToken: a Cognito OpenID token for the SIM's identity. */
  async generateAmazonCognitoOpenIdToken(): Promise<OpenIdTokenAnswer> {
    const { body } = await this.call<unknown>('generateAmazonCognitoOpenIdToken');
    return parseOpenIdToken(body);
  }

  /** generateAmazonCognitoSessionCredentials: temporary AWS credentials, straight from Krypton. */
  async generateAmazonCognitoSessionCredentials(): Promise<SessionCredentialsAnswer> {
    const { body } = await this.call<unknown>('generateAmazonCognitoSessionCredentials');
    return parseSessionCredentials(body);
  }

  /** The two Cognito operations, as the AWS credential provider consumes them. */
  cognitoSource(): KryptonCognitoSource {
    return {
      openIdToken: () => this.generateAmazonCognitoOpenIdToken(),
      sessionCredentials: () => this.generateAmazonCognitoSessionCredentials(),
    };
  }

  /** An AWS SDK v3 credential provider that authenticates this SIM (or reuses its key) when it needs credentials. */
  credentialProvider(options: Omit<KryptonCredentialProviderOptions, 'source'> = {}): KryptonCredentialProvider {
    return fromKrypton({ tracer: this.tracer, now: this.now, ...options, source: this.cognitoSource() });
  }

  /** getSubscriberMetadata: the subscriber as SORACOM knows it. */
  async getSubscriberMetadata(): Promise<Record<string, unknown>> {
    return objectBody(await this.call('getSubscriberMetadata'));
  }

  /** getUserData: the SIM group's userdata, exactly as configured. */
  async getUserData(): Promise<string> {
    return (await this.call<string>('getUserData')).body;
  }

  /** bootstrapAwsIotThing: an AWS IoT certificate, private key and endpoint. */
  async bootstrapAwsIotThing(params: OperationParams = {}): Promise<Record<string, unknown>> {
    return objectBody(await this.call('bootstrapAwsIotThing', params));
  }

  /** bootstrapInventoryDevice: SORACOM Inventory bootstrap (the application key derived when the server sends a nonce). */
  async bootstrapInventoryDevice(params: OperationParams & { endpoint: string }): Promise<InventoryBootstrapAnswer> {
    return (await this.call<InventoryBootstrapAnswer>('bootstrapInventoryDevice', params)).body;
  }

  /** bootstrapArc: the SORACOM Arc (WireGuard) configuration. */
  async bootstrapArc(params: OperationParams = {}): Promise<Record<string, unknown>> {
    return objectBody(await this.call('bootstrapArc', params));
  }

  /** registerAzureIotDevice: starts an Azure IoT Hub DPS registration. */
  async registerAzureIotDevice(params: OperationParams = {}): Promise<Record<string, unknown>> {
    return objectBody(await this.call('registerAzureIotDevice', params));
  }

  /** bootstrapAzureIotDevice (the Java client's): an Azure IoT Hub device certificate and hub assignment. */
  async bootstrapAzureIotDevice(params: OperationParams = {}): Promise<Record<string, unknown>> {
    return objectBody(await this.call('bootstrapAzureIotDevice', params));
  }

  /** getAzureIotDeviceRegistrationStatus: the status of a DPS registration. */
  async getAzureIotDeviceRegistrationStatus(params: OperationParams & { operationId: string }): Promise<Record<string, unknown>> {
    return objectBody(await this.call('getAzureIotDeviceRegistrationStatus', params));
  }

  private async callSigned<T>(operation: string, spec: OperationSpec, params: OperationParams): Promise<OperationResult<T>> {
    let key = await this.keyInUse(false);
    let clockCorrected = false;
    let reauthenticated = false;
    for (;;) {
      const offsetUsed = this.clockOffsetMs;
      try {
        const body = await this.tracer.run('provisioning', async () => {
          const answer = await this.sendSigned(spec, params, key);
          if (isSuccess(answer.status)) return this.answerBody(spec, answer, key.ck);
          if (answer.status === 401 || answer.status === 403) throw signatureRefused(answer, this.clockOffsetMs);
          throw this.operationError(operation, answer);
        });
        return { operation, body: body as T, key: info(key) };
      } catch (e) {
        if (!KryptonError.is(e, 'SIGNATURE_REFUSED', 'CLOCK_SKEW', 'OPERATION_REFUSED')) throw e;
        // A refused signature has three causes: our clock, a key the server forgot, or a real mismatch.
        if (
          !clockCorrected &&
          !KryptonError.is(e, 'OPERATION_REFUSED') &&
          Math.abs(this.clockOffsetMs - offsetUsed) >= CLOCK_SKEW_THRESHOLD_MS
        ) {
          clockCorrected = true;
          continue;
        }
        // A server that forgot a key may say so with any of these; a fresh key costs one authentication
        // and settles it, and a refusal that survives it is the real answer.
        if (!reauthenticated && key.fromCache && FORGOTTEN_KEY_STATUSES.has(e.details.status ?? 0)) {
          reauthenticated = true;
          await this.keyCache.delete(key.imsi).catch(() => undefined);
          key = await this.keyInUse(true);
          continue;
        }
        throw e;
      }
    }
  }

  private async callCellular<T>(operation: string, spec: OperationSpec, params: OperationParams): Promise<OperationResult<T>> {
    const url = `${this.options.endpoint.provisioningApiUrl}/v1/provisioning/${spec.path(params)}`;
    const timeoutMs = this.options.cellularTimeoutMs ?? DEFAULT_CELLULAR_TIMEOUT_MS;
    const body = await this.tracer.run('provisioning', async () => {
      let answer: HttpAnswer;
      try {
        answer = await postText(url, goBody(undefined, spec, params), { ...this.post(), timeoutMs });
      } catch (e) {
        throw offAir(e, url, timeoutMs);
      }
      if (isSuccess(answer.status)) return this.answerBody(spec, answer, undefined);
      const server = soracomError(answer.text);
      if (answer.status === 401 || answer.status === 403) {
        throw new KryptonError(
          'NOT_ON_SORACOM_AIR',
          `This computer is not online through SORACOM Air: the cellular endpoint refused the call (HTTP ${answer.status})${serverSays(server)}`,
          OFF_AIR_ACTION,
          { status: answer.status, step: 'provisioning', ...server },
        );
      }
      // Through the bridge a connection failure arrives as the bridge's own 502/504 answer.
      if (server.serverCode === 'UPSTREAM_UNREACHABLE' || server.serverCode === 'UPSTREAM_TIMEOUT') {
        throw new KryptonError(
          'NOT_ON_SORACOM_AIR',
          `This computer is not online through SORACOM Air: the bridge could not reach the cellular endpoint${serverSays(server)}`,
          OFF_AIR_ACTION,
          { status: answer.status, step: 'provisioning', ...server },
        );
      }
      throw this.operationError(operation, answer);
    });
    return { operation, body: body as T, key: undefined };
  }

  private async sendSigned(spec: OperationSpec, params: OperationParams, key: KeyInUse): Promise<HttpAnswer> {
    const body = goBody(key.keyId, spec, params);
    const timestamp = String(Math.round(this.now() + this.clockOffsetMs));
    const signature = await signProvisioningBody(body, timestamp, key.ck);
    const url = `${this.options.endpoint.provisioningApiUrl}/v1/provisioning/${spec.path(params)}`;
    return postText(url, body, {
      ...this.post(),
      headers: { 'x-soracom-timestamp': timestamp, 'x-soracom-digest-algorithm': 'SHA-256', 'x-soracom-signature': signature },
    });
  }

  private async answerBody(spec: OperationSpec, answer: HttpAnswer, ck: Bytes | undefined): Promise<unknown> {
    if (spec.textAnswer) return answer.text;
    // A 204 (or any 2xx without a body) is a success that says nothing more.
    if (answer.text.trim() === '' && answer.status !== 200) return {};
    const json = parseJsonObject(answer.text, 'Provisioning API');
    if (spec.path({}) === 'soracom/inventory/bootstrap') return inventoryAnswer(json, ck);
    return json;
  }

  private operationError(operation: string, answer: HttpAnswer): KryptonError {
    const url = this.options.endpoint.provisioningApiUrl;
    if (answer.status >= 500 || answer.status === 429) return serverError(answer.status, answer.text, url, 'provisioning', answer.headers);
    const server = soracomError(answer.text);
    return new KryptonError(
      'OPERATION_REFUSED',
      `Krypton refused ${operation} (HTTP ${answer.status})${serverSays(server)}`,
      answer.status === 404
        ? 'This operation is not available at this endpoint; check the endpoint and that the SIM group enables this Krypton feature'
        : 'Check the operation parameters and the SIM group’s Krypton settings in the SORACOM console',
      { status: answer.status, step: 'provisioning', ...server },
    );
  }

  private async keyInUse(fresh: boolean): Promise<KeyInUse> {
    const sim = this.requireSim();
    const imsi = await this.tracer.run('imsi', () => sim.readImsi());
    if (!fresh) {
      const cached = await this.keyCache.get(imsi).catch(() => undefined);
      if (cached) {
        return this.tracer.run(
          'key-agreement',
          async () => fromCache(cached),
          (k) => {
            const minutes = Math.round((this.now() - k.createdAt) / 60_000);
            return { code: 'cached-key', text: `cached key, ${minutes} min old`, facts: { minutes } };
          },
        );
      }
    }
    const keys = new KeysApiClient({ url: this.keysApiUrl(), fetch: this.fetch, tracer: this.tracer, timeoutMs: this.options.timeoutMs });
    const agreed = await agreeKey(sim, imsi, keys, this.tracer, this.now);
    const expiresAt = agreed.createdAt + this.keyTtlMs;
    // A cache that cannot store (quota, storage refused) must not undo an authentication that worked.
    await this.keyCache.put({ imsi, keyId: agreed.keyId, ck: agreed.ck, createdAt: agreed.createdAt, expiresAt }).catch(() => undefined);
    return freshKey(agreed, expiresAt);
  }

  private keysApiUrl(): string {
    const endpoint = this.options.endpoint;
    if (endpoint.kind !== 'sim')
      throw new KryptonError(
        'BAD_INPUT',
        'The cellular endpoint has no Keys API',
        'Choose the global or Japan endpoint for SIM authentication',
      );
    return endpoint.keysApiUrl;
  }

  private requireSim(): SimAuthenticator {
    if (!this.options.sim) {
      throw new KryptonError(
        'BAD_INPUT',
        'No SIM is connected',
        'Connect a SIM (card reader, USB modem or virtual SIM), or use the cellular endpoint',
      );
    }
    return this.options.sim;
  }

  private observeServerDate(date: string | null, receivedAt: number): void {
    if (!date) return;
    const server = Date.parse(date);
    if (Number.isNaN(server)) return;
    // Date has one-second resolution: the server's true time is in [server, server + 1000).
    const offset = server + 500 - receivedAt;
    this.clockOffsetMs = Math.abs(offset) >= CLOCK_SKEW_THRESHOLD_MS ? offset : 0;
  }

  private post() {
    return { fetch: this.fetch, tracer: this.tracer, timeoutMs: this.options.timeoutMs, now: this.now };
  }
}

function fromCache(cached: CachedKey): KeyInUse {
  return { ...cached, fromCache: true, resynchronised: false };
}

function freshKey(agreed: AgreedKey, expiresAt: number): KeyInUse {
  return {
    imsi: agreed.imsi,
    keyId: agreed.keyId,
    ck: agreed.ck,
    createdAt: agreed.createdAt,
    expiresAt,
    fromCache: false,
    resynchronised: agreed.resynchronised,
  };
}

function info(key: KeyInUse): KeyInfo {
  return {
    imsi: key.imsi,
    keyId: key.keyId,
    createdAt: key.createdAt,
    expiresAt: key.expiresAt,
    fromCache: key.fromCache,
    resynchronised: key.resynchronised,
  };
}

function signatureRefused(answer: HttpAnswer, clockOffsetMs: number): KryptonError {
  const server = soracomError(answer.text);
  const skewed = Math.abs(clockOffsetMs) >= CLOCK_SKEW_THRESHOLD_MS;
  return new KryptonError(
    skewed ? 'CLOCK_SKEW' : 'SIGNATURE_REFUSED',
    skewed
      ? `Krypton refused the signed request, and this computer's clock is ${Math.round(Math.abs(clockOffsetMs) / 1000)} s ${clockOffsetMs > 0 ? 'behind' : 'ahead of'} the server's`
      : `Krypton refused the signed request (HTTP ${answer.status})${serverSays(server)}`,
    skewed
      ? "Set this computer's clock automatically (NTP) and try again"
      : "Authenticate the SIM again (forget the cached key); if it repeats, check this computer's clock and the SIM group's Krypton settings",
    { status: answer.status, step: 'provisioning', clockOffsetMs, ...server },
  );
}

const OFF_AIR_ACTION =
  'Connect this computer through the SIM’s cellular line (SORACOM Air: a USB modem or router with the SIM, data connection up, APN soracom.io), or choose a SIM link and the global or Japan endpoint instead';

/** A cellular call that got no answer: off the SORACOM Air network the endpoint is refused, unresolvable or silent. */
function offAir(e: unknown, url: string, timeoutMs: number): unknown {
  if (!KryptonError.is(e, 'NETWORK_UNREACHABLE', 'TIMEOUT')) return e;
  const host = new URL(url).host;
  const why = e.code === 'TIMEOUT' ? `${host} did not answer within ${Math.round(timeoutMs / 100) / 10} s` : `${host} could not be reached`;
  return new KryptonError(
    'NOT_ON_SORACOM_AIR',
    `This computer is not online through SORACOM Air: ${why}`,
    OFF_AIR_ACTION,
    { step: 'provisioning' },
    { cause: e },
  );
}

function objectBody(result: OperationResult): Record<string, unknown> {
  return result.body as Record<string, unknown>;
}

async function inventoryAnswer(json: Record<string, unknown>, ck: Bytes | undefined): Promise<InventoryBootstrapAnswer> {
  const pick = (k: string) => (typeof json[k] === 'string' ? json[k] : undefined);
  let applicationKey = pick('applicationKey');
  if (applicationKey === undefined) {
    const nonce = pick('nonce');
    const timestamp = pick('timestamp');
    if (nonce === undefined || timestamp === undefined || ck === undefined) {
      throw new KryptonError(
        'MALFORMED_ANSWER',
        'The inventory bootstrap answer has neither an applicationKey nor a nonce and timestamp',
        'Try again; if it repeats, contact SORACOM support',
      );
    }
    let nonceBytes: Bytes;
    try {
      nonceBytes = fromBase64(nonce, 'nonce');
    } catch {
      throw new KryptonError(
        'MALFORMED_ANSWER',
        'The inventory bootstrap nonce is not base64',
        'Try again; if it repeats, contact SORACOM support',
      );
    }
    applicationKey = await inventoryApplicationKey(nonceBytes, timestamp, ck);
  }
  const out: InventoryBootstrapAnswer = { applicationKey };
  const serverUri = pick('serverUri');
  const pskId = pick('pskId');
  if (serverUri !== undefined) out.serverUri = serverUri;
  if (pskId !== undefined) out.pskId = pskId;
  return out;
}

/**
 * Validates an `aws/cognito/open_id_tokens` answer. Nothing public says `region` is always sent; a
 * Cognito identity id starts with its region (`ap-northeast-1:…`), so an answer without one takes it from there.
 */
export function parseOpenIdToken(body: unknown): OpenIdTokenAnswer {
  const o = (typeof body === 'object' && body !== null ? body : {}) as Record<string, unknown>;
  const identityId = o.identityId;
  const region = typeof o.region === 'string' && o.region !== '' ? o.region : regionOfIdentity(identityId);
  if (region === undefined || typeof identityId !== 'string' || typeof o.token !== 'string' || !o.token) {
    throw new KryptonError(
      'MALFORMED_ANSWER',
      'The OpenID token answer lacks region (in the answer or as the identity id’s prefix), identityId or token',
      'Check the SIM group’s Amazon Cognito settings in Krypton',
    );
  }
  return { region, identityId, token: o.token };
}

/** The region an identity id names (`ap-northeast-1:4a1f…` → `ap-northeast-1`), if it has the form. */
function regionOfIdentity(identityId: unknown): string | undefined {
  if (typeof identityId !== 'string') return undefined;
  const m = /^([a-z]{2}(?:-[a-z]+)+-\d+):./.exec(identityId);
  return m?.[1];
}

// Epoch seconds reach 1e11 only in the year 5138, epoch milliseconds passed it in 1973: below it, seconds.
const SECONDS_BELOW = 1e11;

/**
 * A credentials expiration as epoch milliseconds, from epoch milliseconds, epoch seconds (number or
 * digit string) or an ISO 8601 string; undefined for anything else.
 */
export function expirationMs(value: unknown): number | undefined {
  let n: number | undefined;
  if (typeof value === 'number') n = value;
  else if (typeof value === 'string' && /^\d+(\.\d+)?$/.test(value.trim())) n = Number(value.trim());
  else if (typeof value === 'string' && /^\d{4}-\d{2}-\d{2}T/.test(value.trim())) {
    const parsed = Date.parse(value.trim());
    return Number.isFinite(parsed) ? parsed : undefined;
  }
  if (n === undefined || !Number.isFinite(n) || n <= 0) return undefined;
  return Math.round(n < SECONDS_BELOW ? n * 1000 : n);
}

/** Validates an `aws/cognito/credentials` answer; the expiration comes back as epoch milliseconds whatever form it had. */
export function parseSessionCredentials(body: unknown): SessionCredentialsAnswer {
  const o = (typeof body === 'object' && body !== null ? body : {}) as Record<string, unknown>;
  const c = o.credentials as Record<string, unknown> | undefined;
  const expiration = typeof c === 'object' && c !== null ? expirationMs(c.expiration) : undefined;
  if (
    typeof o.identityId !== 'string' ||
    typeof c !== 'object' ||
    c === null ||
    typeof c.accessKeyId !== 'string' ||
    typeof c.secretKey !== 'string' ||
    typeof c.sessionToken !== 'string' ||
    expiration === undefined
  ) {
    throw new KryptonError(
      'MALFORMED_ANSWER',
      'The credentials answer lacks identityId or complete credentials (an expiration as epoch milliseconds, seconds or ISO 8601)',
      'Check the SIM group’s Amazon Cognito settings in Krypton',
    );
  }
  return {
    identityId: o.identityId,
    credentials: { accessKeyId: c.accessKeyId, secretKey: c.secretKey, sessionToken: c.sessionToken, expiration },
  };
}
