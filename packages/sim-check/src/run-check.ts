import type { Checklist } from './checklist.ts';
import { bucketFromUserdata } from './checklist.ts';
import {
  corsOf,
  verdictOf,
  type CheckedSim,
  type CheckProblem,
  type CheckProblemCode,
  type CheckResult,
  type CheckStep,
  type StepResult,
} from './check-result.ts';

/** PIN1 as a link reports it. */
export interface CheckPinState {
  enabled: boolean;
  verified: boolean;
  triesLeft?: number;
  blocked: boolean;
}

/** The SIM, through whatever link holds it (PC/SC, bridge, modem, virtual). */
export interface CheckSimAccess {
  readIccid(): Promise<string | undefined>;
  readImsi(): Promise<string>;
  /** undefined: the link cannot tell (then no PIN is asked for). */
  pinState(): Promise<CheckPinState | undefined>;
  /** Verifies PIN1; must refuse to spend the last try (the check never blocks a SIM). */
  verifyPin(pin: string): Promise<void>;
}

/** AWS credentials as the check holds them; the secrets go only to the S3 probe and the caller, never into a result. */
export interface CheckCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken: string;
  expiration: Date;
  identityId?: string;
}

/** Krypton, for one SIM: a fresh key agreement, credentials from that key, and two signed reads. */
export interface CheckKrypton {
  /** Agrees a new key with Krypton (AUTHENTICATE on the SIM), whatever a cache holds. */
  agreeKey(): Promise<{ resynchronised: boolean }>;
  credentials(mode: 'openid' | 'direct'): Promise<CheckCredentials>;
  userData(): Promise<string>;
  subscriberMetadata(): Promise<Record<string, unknown>>;
}

/** S3 with given credentials (the web app's worker and the CLI each bring their own client). */
export interface CheckS3 {
  list(
    credentials: CheckCredentials,
    where: { bucket: string; region: string; prefix: string },
  ): Promise<{ keyCount: number; firstKey?: string }>;
  head(credentials: CheckCredentials, where: { bucket: string; region: string; key: string }): Promise<{ size: number }>;
}

/** What the PIN prompt is told: which SIM, and how many tries it has left. */
export interface PinRequest {
  iccid?: string;
  triesLeft?: number;
}

/** Everything one check needs. */
export interface CheckOptions {
  batchId: string;
  lane: string;
  checklist: Checklist;
  sim: CheckSimAccess;
  krypton: CheckKrypton;
  /** Needed when the checklist has an S3 probe. */
  s3?: CheckS3;
  /** Asks the person for the PIN of a PIN-enabled SIM; undefined: not given (the SIM fails with PIN_REQUIRED). */
  pin?: (request: PinRequest) => Promise<string | undefined>;
  /** Called with the SIM's ICCID as soon as it is read; answering false stops the check without a result (already checked). */
  onSimRead?: (sim: CheckedSim) => boolean | Promise<boolean>;
  /** Progress, for a lane's display. */
  onStep?: (step: CheckStep) => void;
  /** The credentials a passing SIM earned (the batch report upload uses them). */
  onCredentials?: (credentials: CheckCredentials) => void;
  /** Aborted when the card leaves the reader: the check stops at once and its result says `interrupted`. */
  signal?: AbortSignal;
  /** Turns a thrown value into a problem (the web app's worker maps link errors its own way). */
  describe?: (e: unknown) => CheckProblem;
  /** This computer's clock, ms epoch. */
  now?: () => number;
  newId?: () => string;
  /** AWS region when neither the checklist nor the userdata names one. */
  defaultRegion?: string;
}

/** A known way a step goes wrong, raised inside the runner. */
class StepProblem extends Error {
  constructor(
    readonly problem: CheckProblem,
    readonly status: 'warn' | 'fail' = 'fail',
  ) {
    super(problem.message);
  }
}

/** The card left (or the lane stopped) mid-step. */
class Interrupted extends Error {}

const CARD_REMOVED: CheckProblem = {
  code: 'CARD_REMOVED' satisfies CheckProblemCode,
  message: 'The SIM left the reader before its check finished',
  action: 'Put the SIM back in to check it again',
};

/**
 * Checks one SIM: reads it, verifies its PIN when it has one, agrees a fresh key with Krypton, gets
 * AWS credentials, and runs the optional S3 probe and metadata comparison, timing each step. The
 * first failing step ends the check; the rest are reported as skipped. Returns undefined only when
 * `onSimRead` declined the SIM.
 */
export async function runCheck(options: CheckOptions): Promise<CheckResult | undefined> {
  const now = options.now ?? (() => Date.now());
  const describe = options.describe ?? describeError;
  const startedAt = now();
  const steps: StepResult[] = [];
  const sim: CheckedSim = {};
  let credentials: CheckCredentials | undefined;
  let interrupted = false;

  const step = async (name: CheckStep, fn: () => Promise<string | undefined>): Promise<boolean> => {
    if (interrupted || steps.some((s) => s.status === 'fail')) {
      steps.push({ step: name, status: 'skipped', ms: 0 });
      return false;
    }
    options.onStep?.(name);
    const t0 = now();
    try {
      const note = await untilAborted(fn(), options.signal);
      steps.push({ step: name, status: 'pass', ms: now() - t0, ...(note ? { note } : {}) });
      return true;
    } catch (e) {
      const ms = now() - t0;
      if (e instanceof Interrupted || options.signal?.aborted) {
        interrupted = true;
        steps.push({ step: name, status: 'fail', ms, problem: CARD_REMOVED });
      } else if (e instanceof StepProblem) {
        steps.push({ step: name, status: e.status, ms, problem: e.problem });
        return e.status === 'warn';
      } else {
        steps.push({ step: name, status: 'fail', ms, problem: describe(e) });
      }
      return false;
    }
  };

  let pinNeeded = false;
  let declined = false;
  await step('sim', async () => {
    const iccid = await options.sim.readIccid();
    if (iccid) sim.iccid = iccid;
    if (options.onSimRead && !(await options.onSimRead({ ...sim }))) {
      declined = true;
      return undefined;
    }
    const pin = await options.sim.pinState();
    if (pin) sim.pin = { ...pin };
    if (pin?.enabled && !pin.verified) {
      pinNeeded = true;
      if (pin.blocked || pin.triesLeft === 0)
        throw new StepProblem({
          code: 'PIN_BLOCKED' satisfies CheckProblemCode,
          message: 'PIN1 of this SIM is blocked',
          action: 'Unblock it with its PUK (in a phone, or any tool that sends UNBLOCK PIN), then check it again',
          details: { triesLeft: 0 },
        });
      return 'PIN enabled';
    }
    sim.imsi = await options.sim.readImsi();
    if (pin?.enabled && pin.triesLeft !== undefined && pin.triesLeft < 3)
      throw new StepProblem(
        {
          code: 'PIN_TRIES_LOW' satisfies CheckProblemCode,
          message: `PIN1 has only ${pin.triesLeft} tries left: someone entered a wrong PIN before`,
          action: 'Find out who tried the PIN before the SIM goes into a device',
          details: { triesLeft: pin.triesLeft },
        },
        'warn',
      );
    return undefined;
  });
  if (declined) return undefined;

  if (pinNeeded) {
    await step('pin', async () => {
      const request: PinRequest = {
        ...(sim.iccid ? { iccid: sim.iccid } : {}),
        ...(sim.pin?.triesLeft !== undefined ? { triesLeft: sim.pin.triesLeft } : {}),
      };
      const pin = options.pin ? await options.pin(request) : undefined;
      if (!pin)
        throw new StepProblem({
          code: 'PIN_REQUIRED' satisfies CheckProblemCode,
          message: 'This SIM has PIN1 enabled and no PIN was given',
          action: 'Enter the PIN when asked (it is used for this batch only), or disable PIN1 on the SIM',
        });
      await options.sim.verifyPin(pin);
      if (sim.pin) sim.pin = { ...sim.pin, verified: true };
      sim.imsi = await options.sim.readImsi();
      return 'PIN verified';
    });
  }

  await step('key', async () => {
    const { resynchronised } = await options.krypton.agreeKey();
    return resynchronised ? 'SIM resynchronised (SQN)' : undefined;
  });

  const mode = options.checklist.credentials;
  if (mode !== 'off') {
    await step('credentials', async () => {
      credentials = await options.krypton.credentials(mode);
      options.onCredentials?.(credentials);
      return credentials.identityId ? `identity ${credentials.identityId}` : `access key ${credentials.accessKeyId}`;
    });
  }

  const s3 = options.checklist.s3;
  if (s3) {
    await step('s3', async () => {
      if (!options.s3 || !credentials) throw new Error('the S3 probe has no S3 client or credentials');
      let bucket = s3.bucket;
      let region = s3.region;
      if (!bucket) {
        const fromGroup = bucketFromUserdata(await options.krypton.userData());
        if (!fromGroup)
          throw new StepProblem(
            {
              code: 'S3_NO_BUCKET' satisfies CheckProblemCode,
              message: "No bucket was chosen and the SIM group's userdata names none",
              action: 'Name a bucket in the checklist, or put {"s3":{"bucket":"…","region":"…"}} in the group’s userdata',
            },
            'warn',
          );
        bucket = fromGroup.bucket;
        region ??= fromGroup.region;
      }
      region ??= options.defaultRegion ?? 'ap-northeast-1';
      if (s3.mode === 'head') {
        const key = s3.key!;
        const { size } = await options.s3.head(credentials, { bucket, region, key });
        return `s3://${bucket}/${key}: ${size} bytes`;
      }
      const prefix = s3.prefix ?? '';
      const listed = await options.s3.list(credentials, { bucket, region, prefix });
      if (listed.keyCount === 0)
        throw new StepProblem(
          {
            code: 'S3_EMPTY' satisfies CheckProblemCode,
            message: `s3://${bucket}/${prefix} holds no object`,
            action: 'Check the bucket and prefix: the SIM can list it, but nothing is there',
            details: { bucket, key: prefix },
          },
          'warn',
        );
      return `s3://${bucket}/${prefix}: ${listed.firstKey ?? 'listed'}`;
    });
  }

  const metadata = options.checklist.metadata;
  if (metadata) {
    await step('metadata', async () => {
      const m = await options.krypton.subscriberMetadata();
      if (typeof m.groupId === 'string') sim.groupId = m.groupId;
      const tags: Record<string, string> = {};
      if (typeof m.tags === 'object' && m.tags !== null)
        for (const [k, v] of Object.entries(m.tags as Record<string, unknown>)) if (typeof v === 'string') tags[k] = v;
      sim.tags = tags;
      const want = metadata.tag;
      if (!want) return sim.groupId ? `group ${sim.groupId}` : 'no group';
      const actual = tags[want.name];
      if (actual !== want.expected)
        throw new StepProblem({
          code: actual === undefined ? ('TAG_MISSING' satisfies CheckProblemCode) : ('TAG_MISMATCH' satisfies CheckProblemCode),
          message:
            actual === undefined
              ? `The SIM has no tag "${want.name}" (expected "${want.expected}")`
              : `Tag "${want.name}" is "${actual}", expected "${want.expected}"`,
          action: 'Set the tag in the SORACOM console (or move the SIM to the right group), then check it again',
          details: { expected: want.expected, ...(actual !== undefined ? { actual } : {}) },
        });
      return `${want.name} = ${actual}`;
    });
  }

  const finishedAt = now();
  const verdict = verdictOf(steps);
  return {
    id: options.newId?.() ?? crypto.randomUUID(),
    batchId: options.batchId,
    lane: options.lane,
    ...sim,
    startedAt,
    finishedAt,
    durationMs: finishedAt - startedAt,
    ...verdict,
    steps,
    ...(interrupted ? { interrupted: true } : {}),
  };
}

/** Races a step against the card leaving: an abort ends the step at once (the link's own call is abandoned). */
function untilAborted<T>(work: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return work;
  if (signal.aborted) {
    work.catch(() => undefined);
    return Promise.reject(new Interrupted());
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(new Interrupted());
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

/** A thrown value as a problem: krypton-core's and the links' errors carry a code, message and action. */
export function describeError(e: unknown): CheckProblem {
  const err = e as { code?: unknown; message?: unknown; action?: unknown; details?: unknown; cors?: unknown } | undefined;
  const code = typeof err?.code === 'string' ? err.code : ('UNEXPECTED' satisfies CheckProblemCode);
  const message = typeof err?.message === 'string' ? err.message : String(e);
  const action =
    typeof err?.action === 'string' && err.action ? err.action : 'Check this SIM again; if it repeats, keep the report and ask support';
  const details: Record<string, string | number> = {};
  if (typeof err?.details === 'object' && err.details !== null)
    for (const [k, v] of Object.entries(err.details as Record<string, unknown>))
      if (typeof v === 'string' || typeof v === 'number') details[k] = v;
  const cors = corsOf(err?.cors);
  return { code, message, action, ...(Object.keys(details).length > 0 ? { details } : {}), ...(cors ? { cors } : {}) };
}
