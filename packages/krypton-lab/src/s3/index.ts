/**
 * The lab's S3: s3rver on 127.0.0.1 holding seeded buckets, behind a gate that verifies SigV4
 * against a credential store. Clients use `endpoint` with path-style addressing.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { corsConfigurationXml, demoCorsRule, reportUploadCorsRule, type CorsRule } from './cors.ts';
import type { CredentialStore } from './credential-store.ts';
import { startS3Gate, type TimeSource, type GateStats, type S3Gate, type SharedFaults } from './gate.ts';
import { LinkShaper, type LinkShapingSettings } from './link-shaping.ts';
import { RangePersonality, type IgnoreRangeSettings, type IgnoreRangeState } from './range-personality.ts';
import { startS3rver, type RunningS3rver } from './s3rver-server.ts';
import { ObjectIntegrityStore } from './object-integrity.ts';
import { seedBucket, type SeededObject, type SeedOptions } from './seed.ts';

export { InMemoryCredentialStore, type CredentialStore, type VendedCredentials } from './credential-store.ts';
export {
  corsConfigurationXml,
  demoCorsRule,
  reportUploadCorsRule,
  DEFAULT_CORS_ORIGINS,
  DEMO_EXPOSE_HEADERS,
  type CorsRule,
} from './cors.ts';
export { DEFAULT_WRITABLE_PREFIXES } from './gate.ts';
export { deterministicBytes, deterministicStream } from './deterministic.ts';
export { BINARY_KEY, GZIP_ENCODED_PLAIN_BYTES, INTEGRITY_KEYS, LARGE_KEY, SeedError, type SeededObject, type SeedOptions } from './seed.ts';
export {
  checksumBytes,
  describeUpload,
  ObjectIntegrityStore,
  type LabChecksum,
  type LabChecksumAlgorithm,
  type LabChecksumType,
  type ObjectIntegrity,
} from './object-integrity.ts';
export { S3Error, type S3ErrorCode } from './s3-error.ts';
export { S3rverStartError } from './s3rver-server.ts';
export type { TimeSource, GateStats, SharedFaults } from './gate.ts';
export { LinkShaper, type LinkShapingSettings, type LinkShapingState } from './link-shaping.ts';
export { RangePersonality, type IgnoreRangeSettings, type IgnoreRangeState } from './range-personality.ts';

/** Default name of the seeded, CORS-enabled demo bucket. */
export const DEMO_BUCKET = 'krypton-demo';
/** Default name of the bucket without any CORS rule (for the missing-CORS case). */
export const NO_CORS_BUCKET = 'krypton-nocors';
/** Region the lab's buckets live in, unless told otherwise. */
export const DEFAULT_REGION = 'ap-northeast-1';

/** A bucket to create; without `cors` rules it has no CORS configuration at all. */
export interface LabBucket {
  name: string;
  cors?: CorsRule[];
}

/** Options of `startLabS3`. */
export interface StartLabS3Options {
  /** Where the gate looks up secrets (the Cognito emulator adds vended credentials to it). */
  credentials: CredentialStore;
  /**
   * Buckets to create; the first is the seeded demo bucket. Default: `krypton-demo` with the demo
   * CORS rule for `corsOrigins`, and `krypton-nocors` with none.
   */
  buckets?: LabBucket[];
  /** Origins the default demo bucket's CORS rule allows. Default `http://localhost:*`, `http://127.0.0.1:*`. */
  corsOrigins?: string[];
  /** s3rver's data directory. Default: a fresh temporary directory, removed by `close()`; a given one is kept. */
  dataDir?: string;
  /** What to seed into the demo bucket; `false` seeds nothing. Default: the standard fixtures. */
  seed?: SeedOptions | false;
  /** Region signatures must be scoped to (as a real bucket's region). `null` accepts any. Default `ap-northeast-1`. */
  region?: string | null;
  /** The lab's shared clock (e.g. `LabClock`); `setClockOffset` adds to it. Default: the machine clock. */
  clock?: TimeSource;
  /** The lab's shared faults (e.g. `Faults`): latency and injected errors for service `s3`; `setLatency` adds to it. */
  faults?: SharedFaults;
  /** Gate port on 127.0.0.1; 0 (default) picks a free one. */
  port?: number;
  /** Key prefixes objects may be PUT under (Check SIMs reports, uploads). Default `check-reports/` and `uploads/`. */
  writablePrefixes?: readonly string[];
  /**
   * Answer at once and start s3rver and the seed behind the gate: requests wait until they are up,
   * `ready` says when, and `objects` is filled then. Default false: started and seeded before returning.
   */
  background?: boolean;
  /** Link shaping from the start: a per-connection throughput cap and an added round trip (none by default). */
  link?: Partial<LinkShapingSettings>;
  /** Answer ranged object GETs 200 with the whole object from the start, as a proxy that ignores Range would (off by default). */
  ignoreRange?: IgnoreRangeSettings;
}

/** Alias kept for callers that name the options this way. */
export type LabS3Options = StartLabS3Options;

/** A running lab S3. */
export interface LabS3 {
  /** The gate's URL, `http://127.0.0.1:<port>`: the S3 endpoint for clients (`forcePathStyle: true`). */
  readonly endpoint: string;
  /** The demo bucket's name. */
  readonly bucket: string;
  /** Names of all buckets created, demo bucket first. */
  readonly buckets: readonly string[];
  /** Region signatures are checked against, or undefined if any is accepted. */
  readonly region: string | undefined;
  /** What was seeded into the demo bucket, with sizes and digests (filled once `ready` resolves). */
  readonly objects: readonly SeededObject[];
  /** Resolves once s3rver is up and seeded (at once unless started with `background`). */
  readonly ready: Promise<void>;
  /** s3rver's own URL: unauthenticated, for fixture set-up only — never hand it to the product. */
  readonly backendUrl: string;
  /** Delays every gate request by `ms` (0 to stop). */
  setLatency(ms: number): void;
  /** Shifts the gate's clock by `ms` (positive: server ahead of the client) to simulate skew and expiry. */
  setClockOffset(ms: number): void;
  /**
   * Refuses these IAM actions from now on (AccessDenied, as a role without them would), e.g.
   * `['s3:PutObject']`; an empty list allows everything again.
   */
  denyActions(actions: readonly string[]): void;
  /** The link's shaping (per-connection cap, added round trip) and its connection-drop fault, changeable while running. */
  readonly link: LinkShaper;
  /**
   * Answers ranged object GETs 200 with the whole object (no Content-Range) from now on, after `skip`
   * of them pass untouched, as some S3-compatible servers and proxies do; `enabled: false` turns it off.
   * Returns the state after the change. RangeError names a bad field.
   */
  ignoreRange(settings: IgnoreRangeSettings): IgnoreRangeState;
  /** Whether ranged GETs are answered whole, the GETs still to pass first, and how many were answered whole. */
  ignoreRangeState(): IgnoreRangeState;
  /** Gate counters. */
  stats(): GateStats;
  /** Stops the gate and s3rver and removes a temporary data directory. Safe to call twice. */
  close(): Promise<void>;
}

/** Starts s3rver, creates and seeds the buckets, and starts the SigV4 gate in front. */
export async function startLabS3(options: StartLabS3Options): Promise<LabS3> {
  const buckets = options.buckets ?? [
    { name: DEMO_BUCKET, cors: [demoCorsRule(options.corsOrigins), reportUploadCorsRule(options.corsOrigins)] },
    { name: NO_CORS_BUCKET },
  ];
  const demo = buckets[0];
  if (demo === undefined) throw new RangeError('startLabS3: buckets must name at least one bucket');
  const region = options.region === null ? undefined : (options.region ?? DEFAULT_REGION);
  const tempDir = options.dataDir === undefined ? await mkdtemp(path.join(os.tmpdir(), 'krypton-lab-s3-')) : undefined;
  const directory = options.dataDir ?? tempDir ?? '';

  let s3rver: RunningS3rver | undefined;
  let gate: S3Gate | undefined;
  const objects: SeededObject[] = [];
  const integrity = new ObjectIntegrityStore();
  const backend = (async () => {
    s3rver = await startS3rver({
      directory,
      buckets: buckets.map((b) => ({
        name: b.name,
        configs: b.cors !== undefined && b.cors.length > 0 ? [corsConfigurationXml(b.cors)] : [],
      })),
    });
    if (options.seed !== false) objects.push(...(await seedBucket(s3rver.url, demo.name, options.seed ?? {}, integrity)));
    return s3rver;
  })();
  const ready = backend.then(() => undefined);
  // Awaited by the gate's requests, by close() and (unless in the background) below.
  ready.catch(() => undefined);
  const shutdown = async (): Promise<void> => {
    await gate?.close();
    await ready.catch(() => undefined);
    await s3rver?.close();
    if (tempDir !== undefined) await rm(tempDir, { recursive: true, force: true });
  };
  try {
    if (!options.background) await backend;
    gate = await startS3Gate({
      upstream: backend.then((s) => ({ host: s.host, port: s.port })),
      credentials: options.credentials,
      region,
      clock: options.clock,
      sharedFaults: options.faults,
      port: options.port,
      writablePrefixes: options.writablePrefixes,
      integrity,
      // s3rver's filesystem store keeps an upload's parts in `<bucket>/._S3rver_uploads/<uploadId>` (see its getResourcePath).
      partsDir: (bucket, uploadId) => path.join(directory, bucket, '._S3rver_uploads', uploadId),
      link: new LinkShaper(options.link),
      ranges: new RangePersonality(options.ignoreRange),
    });
    const running = gate;
    let closing: Promise<void> | undefined;
    return {
      endpoint: running.url,
      bucket: demo.name,
      buckets: buckets.map((b) => b.name),
      region,
      objects,
      ready,
      get backendUrl() {
        if (!s3rver) throw new Error('s3rver is still starting: await ready first');
        return s3rver.url;
      },
      setLatency: (ms) => {
        running.faults.latencyMs = Math.max(0, ms);
      },
      setClockOffset: (ms) => {
        running.faults.clockOffsetMs = ms;
      },
      denyActions: (actions) => {
        running.policy.deniedActions = new Set(actions);
      },
      link: running.link,
      ignoreRange: (settings) => {
        running.ranges.set(settings);
        return running.ranges.snapshot();
      },
      ignoreRangeState: () => running.ranges.snapshot(),
      stats: () => running.stats(),
      close: () => (closing ??= shutdown()),
    };
  } catch (err) {
    await shutdown().catch(() => {});
    throw err;
  }
}
