import { Hono } from 'hono';
import { IdentityPool } from '../cognito/identity-pool.ts';
import { cognitoIdentityApi } from '../cognito/cognito-identity-api.ts';
import { demoProfileSet, type ProfileSet } from '../profiles/index.ts';
import { InMemoryCredentialStore } from '../s3/credential-store.ts';
import { startLabS3, type LabS3, type LabS3Options } from '../s3/index.ts';
import { controlApi, controlGuard } from './control-api.ts';
import { Faults, faultMiddleware, type LabService } from './faults.ts';
import { Hss } from './hss.ts';
import { IotCertificateAuthority } from './iot-certificates.ts';
import { keysApi } from './keys-api.ts';
import { LabClock } from './lab-clock.ts';
import { listenOnLoopback, type Listening } from './listen.ts';
import { MasterKeyStore } from './master-keys.ts';
import { ServerPersonality } from './personality.ts';
import { cellularApi, provisioningApi } from './provisioning-api.ts';

/** How to start the lab. */
export interface LabOptions {
  /** Port of the Keys/Provisioning API; Cognito, S3 and cellular take the next three. 0 (default) picks free ports. */
  port?: number;
  /** Added latency per HTTP request, every service. */
  latencyMs?: number;
  /** The SIMs and groups the HSS and the provisioning API know; the shipped demo set by default. */
  profiles?: ProfileSet;
  /** IMSI the cellular endpoint believes is calling (the demo SIM by default; null: not on SORACOM Air). */
  cellularImsi?: string | null;
  /** Lifetime of vended AWS credentials, seconds. */
  credentialTtlSeconds?: number;
  /** Lifetime of Cognito OpenID tokens, seconds. */
  tokenTtlSeconds?: number;
  /** Lifetime of agreed master keys, milliseconds. */
  keyTtlMs?: number;
  /** Options passed to the S3 server (buckets, CORS origins, seed). */
  s3?: Omit<LabS3Options, 'credentials' | 'clock' | 'faults' | 'background'>;
  /**
   * Answer at once: every service listens before returning, while the S3 backend (s3rver and its
   * seed) starts behind its gate, whose requests wait for it; `ready` says when all is up. For a
   * person waiting on `pnpm start`. Default false: everything is up when startLab resolves.
   */
  background?: boolean;
}

/** The URLs a client uses, exactly as `pnpm lab serve` prints them. */
export interface LabUrls {
  /** Keys API, e.g. http://127.0.0.1:P/v1/keys */
  keys: string;
  /** Base URL before /v1/provisioning. */
  provisioning: string;
  /** Cognito Identity endpoint (AWS JSON 1.1). */
  cognito: string;
  /** S3 endpoint (path-style), behind the SigV4 gate. */
  s3: string;
  /** Base URL of the cellular endpoint, before /v1/provisioning. */
  cellular: string;
  /** Lab control API (faults, clock, desync), e.g. http://127.0.0.1:P/_lab */
  control: string;
}

/** A running lab: its URLs, the knobs tests turn, and close(). */
export interface Lab {
  urls: LabUrls;
  region: string;
  identityPoolId: string;
  bucket: string;
  profiles: ProfileSet;
  clock: LabClock;
  faults: Faults;
  /** Where the emulated Krypton differs from its usual answers (keyId form, statuses, answer forms). */
  personality: ServerPersonality;
  hss: Hss;
  keys: MasterKeyStore;
  identityPool: IdentityPool;
  credentials: InMemoryCredentialStore;
  s3: LabS3;
  /** Which SIM the cellular endpoint sees (null: this machine is not on SORACOM Air). */
  cellularImsi: string | null;
  /** Resolves once every service is up (at once unless started with `background`). */
  ready: Promise<void>;
  /** Stops every server and removes temporary data. */
  close(): Promise<void>;
}

/** Starts the Krypton, Cognito and S3 emulators on 127.0.0.1. */
export async function startLab(options: LabOptions = {}): Promise<Lab> {
  const profiles = options.profiles ?? demoProfileSet();
  const clock = new LabClock();
  const faults = new Faults();
  faults.update({ latencyMs: options.latencyMs ?? 0 });
  const credentials = new InMemoryCredentialStore();
  const [hss, identityPool, iotCa] = await Promise.all([
    Hss.create(profiles),
    IdentityPool.create({
      clock,
      credentialTtlSeconds: options.credentialTtlSeconds,
      tokenTtlSeconds: options.tokenTtlSeconds,
      onVend: (c) => credentials.add(c),
    }),
    IotCertificateAuthority.create(),
  ]);
  const keys = new MasterKeyStore(clock, options.keyTtlMs);
  const base = options.port ?? 0;
  const portFor = (offset: number) => (base === 0 ? 0 : base + offset);
  const personality = new ServerPersonality();
  const services = { clock, identityPool, iotCa, iotEndpoint: `lab-ats.iot.${identityPool.region}.amazonaws.com`, personality };

  const opened: Listening[] = [];
  let s3: LabS3 | undefined;
  try {
    const lab = {} as Lab;
    const main = new Hono();
    const withFaults = (service: LabService) => faultMiddleware(service, faults, clock);
    // In hono '/v1/keys/*' also matches '/v1/keys' itself: one registration, or faults apply twice.
    main.use('/v1/keys/*', withFaults('keys'));
    main.use('/v1/provisioning/*', withFaults('provisioning'));
    main.route('/v1/keys', keysApi({ hss, keys, personality }));
    main.route('/v1/provisioning', provisioningApi({ ...services, profiles, keys }));
    let mainPort = 0;
    main.use(
      '/_lab/*',
      controlGuard(() => mainPort),
    );
    main.route('/_lab', controlApi(lab));
    const mainServer = await listenOnLoopback(main, portFor(0));
    mainPort = mainServer.port;
    opened.push(mainServer);

    const cognito = new Hono();
    cognito.use('*', withFaults('cognito'));
    cognito.route('/', cognitoIdentityApi(identityPool));
    const cognitoServer = await listenOnLoopback(cognito, portFor(1));
    opened.push(cognitoServer);

    s3 = await startLabS3({ ...options.s3, credentials, clock, faults, port: portFor(2), background: options.background ?? false });

    const cellular = new Hono();
    cellular.use('/v1/provisioning/*', withFaults('cellular'));
    cellular.route('/v1/provisioning', cellularApi({ ...services, profiles, connectedImsi: () => lab.cellularImsi ?? undefined }));
    const cellularServer = await listenOnLoopback(cellular, portFor(3));
    opened.push(cellularServer);

    const s3Handle = s3;
    Object.assign(lab, {
      urls: {
        keys: `${mainServer.url}/v1/keys`,
        provisioning: mainServer.url,
        cognito: cognitoServer.url,
        s3: s3Handle.endpoint,
        cellular: cellularServer.url,
        control: `${mainServer.url}/_lab`,
      },
      region: identityPool.region,
      identityPoolId: identityPool.identityPoolId,
      bucket: s3Handle.bucket,
      profiles,
      clock,
      faults,
      personality,
      hss,
      keys,
      identityPool,
      credentials,
      s3: s3Handle,
      cellularImsi: options.cellularImsi === undefined ? (profiles.sims[0]?.imsi ?? null) : options.cellularImsi,
      ready: s3Handle.ready,
      close: async () => {
        await Promise.all([...opened.map((l) => l.close()), s3Handle.close()]);
      },
    } satisfies Lab);
    return lab;
  } catch (e) {
    await Promise.allSettled([...opened.map((l) => l.close()), s3?.close()]);
    throw e;
  }
}
