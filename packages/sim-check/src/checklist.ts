import type { CheckProblemCode } from './check-result.ts';

/**
 * What a check of one SIM covers, chosen once per batch by the person and remembered (it holds no
 * secret: no PIN, no key). The SIM read (ICCID, IMSI, PIN state) and a fresh Krypton key agreement
 * always run: they are what a SIM check proves.
 */
export interface Checklist {
  /** AWS credentials from the agreed key: through an OpenID token exchanged at Cognito, directly from Krypton, or not at all. */
  credentials: 'openid' | 'direct' | 'off';
  /** An S3 call with the credentials; absent: no probe. */
  s3?: S3ProbeSpec;
  /** Read the subscriber metadata (group, tags) and optionally compare one tag. */
  metadata?: MetadataCheckSpec;
}

/** The S3 probe: list one key under a prefix, or HEAD one object. */
export interface S3ProbeSpec {
  mode: 'list' | 'head';
  /** Absent: the bucket the SIM group's userdata names (`{"s3":{"bucket":…,"region":…}}`). */
  bucket?: string;
  region?: string;
  /** For `list`. */
  prefix?: string;
  /** For `head`: the object key. */
  key?: string;
}

/** The metadata step: show group and tags, and optionally require one tag's value. */
export interface MetadataCheckSpec {
  tag?: { name: string; expected: string };
}

/** The checklist a first batch starts with: credentials through OpenID, no S3 probe, no metadata. */
export const DEFAULT_CHECKLIST: Readonly<Checklist> = Object.freeze({ credentials: 'openid' });

/** A checklist file or stored value that is not what a checklist may hold. */
export class ChecklistError extends Error {
  override readonly name = 'ChecklistError';
  readonly code = 'BAD_CHECKLIST' satisfies CheckProblemCode;
  constructor(
    message: string,
    readonly action = 'Fix the checklist (see the example in the README) and start again',
  ) {
    super(message);
  }
}

const BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
const REGION = /^[a-z]{2}(-[a-z]+)+-\d+$/;

/** Validates a checklist from JSON (a file, localStorage); unknown fields are refused so a typo is not silently ignored. */
export function parseChecklist(value: unknown, where = 'checklist'): Checklist {
  const o = object(value, where);
  only(o, ['credentials', 's3', 'metadata'], where);
  const credentials = o.credentials ?? 'openid';
  if (credentials !== 'openid' && credentials !== 'direct' && credentials !== 'off')
    throw new ChecklistError(`${where}.credentials must be "openid", "direct" or "off"`);
  const out: Checklist = { credentials };
  if (o.s3 !== undefined && o.s3 !== null) {
    if (credentials === 'off') throw new ChecklistError(`${where}.s3 needs credentials ("openid" or "direct")`);
    out.s3 = s3Spec(o.s3, `${where}.s3`);
  }
  if (o.metadata !== undefined && o.metadata !== null) out.metadata = metadataSpec(o.metadata, `${where}.metadata`);
  return out;
}

function s3Spec(value: unknown, where: string): S3ProbeSpec {
  const o = object(value, where);
  only(o, ['mode', 'bucket', 'region', 'prefix', 'key'], where);
  const mode = o.mode ?? 'list';
  if (mode !== 'list' && mode !== 'head') throw new ChecklistError(`${where}.mode must be "list" or "head"`);
  const spec: S3ProbeSpec = { mode };
  const bucket = optionalString(o, 'bucket', where);
  if (bucket !== undefined && bucket !== '') {
    if (!BUCKET.test(bucket)) throw new ChecklistError(`${where}.bucket "${bucket}" is not a valid S3 bucket name`);
    spec.bucket = bucket;
  }
  const region = optionalString(o, 'region', where);
  if (region !== undefined && region !== '') {
    if (!REGION.test(region)) throw new ChecklistError(`${where}.region "${region}" is not an AWS region (e.g. ap-northeast-1)`);
    spec.region = region;
  }
  const prefix = optionalString(o, 'prefix', where);
  if (prefix) spec.prefix = prefix;
  const key = optionalString(o, 'key', where);
  if (mode === 'head') {
    if (!key) throw new ChecklistError(`${where}.key is needed to HEAD an object`);
    spec.key = key;
  }
  return spec;
}

function metadataSpec(value: unknown, where: string): MetadataCheckSpec {
  const o = object(value, where);
  only(o, ['tag'], where);
  if (o.tag === undefined || o.tag === null) return {};
  const t = object(o.tag, `${where}.tag`);
  only(t, ['name', 'expected'], `${where}.tag`);
  const name = optionalString(t, 'name', `${where}.tag`);
  const expected = optionalString(t, 'expected', `${where}.tag`);
  if (!name) throw new ChecklistError(`${where}.tag.name is empty`);
  if (expected === undefined) throw new ChecklistError(`${where}.tag.expected is missing`);
  return { tag: { name, expected } };
}

function object(value: unknown, where: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new ChecklistError(`${where} must be a JSON object`);
  return value as Record<string, unknown>;
}

function only(o: Record<string, unknown>, keys: readonly string[], where: string): void {
  for (const k of Object.keys(o))
    if (!keys.includes(k)) throw new ChecklistError(`${where}: unknown field "${k}" (known: ${keys.join(', ')})`);
}

function optionalString(o: Record<string, unknown>, key: string, where: string): string | undefined {
  const v = o[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string' || v.length > 1024) throw new ChecklistError(`${where}.${key} must be a string`);
  return v;
}

/** The bucket and region a SIM group's userdata names: `{"s3":{"bucket":"…","region":"…"}}`. */
export function bucketFromUserdata(userdata: string): { bucket: string; region?: string } | undefined {
  try {
    const o = JSON.parse(userdata) as { s3?: { bucket?: unknown; region?: unknown } };
    const bucket = o?.s3?.bucket;
    if (typeof bucket !== 'string' || !BUCKET.test(bucket)) return undefined;
    const region = o.s3?.region;
    return typeof region === 'string' && REGION.test(region) ? { bucket, region } : { bucket };
  } catch {
    return undefined;
  }
}
