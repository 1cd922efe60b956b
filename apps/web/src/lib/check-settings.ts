import { parseChecklist, type Checklist } from '@krypton-web/sim-check';

/** The checklist as the form holds it: every field, even those of a part switched off (so switching back keeps them). */
export interface ChecklistForm {
  credentials: 'openid' | 'direct' | 'off';
  s3: boolean;
  s3Mode: 'list' | 'head';
  s3Bucket: string;
  s3Region: string;
  s3Prefix: string;
  s3Key: string;
  metadata: boolean;
  tag: boolean;
  tagName: string;
  tagExpected: string;
}

/** Where the report is uploaded. */
export interface UploadForm {
  bucket: string;
  region: string;
  prefix: string;
  format: 'csv' | 'json';
}

/** What the Check SIMs screen remembers between visits (localStorage): choices only, never a PIN, key or credential. */
export interface CheckSettings {
  form: ChecklistForm;
  /** Readers the person took out of the batch (a reader not listed here is a lane). */
  excluded: string[];
  sound: boolean;
  upload: UploadForm;
}

/** Why the form is not a checklist yet, as a message key. */
export type ChecklistProblem =
  'check.problem.s3NeedsCredentials' | 'check.problem.bucket' | 'check.problem.region' | 'check.problem.key' | 'check.problem.tag';

export const STORAGE_KEY = 'krypton-web.check-sims';

export const DEFAULT_FORM: Readonly<ChecklistForm> = Object.freeze({
  credentials: 'openid',
  s3: false,
  s3Mode: 'list',
  s3Bucket: '',
  s3Region: '',
  s3Prefix: '',
  s3Key: '',
  metadata: false,
  tag: false,
  tagName: '',
  tagExpected: '',
});

const BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
const REGION = /^[a-z]{2}(-[a-z]+)+-\d+$/;

/** The checklist the form describes, or the first thing to fix in it. */
export function checklistOf(form: ChecklistForm): { checklist: Checklist } | { problem: ChecklistProblem } {
  const out: Checklist = { credentials: form.credentials };
  if (form.s3) {
    if (form.credentials === 'off') return { problem: 'check.problem.s3NeedsCredentials' };
    const bucket = form.s3Bucket.trim();
    const region = form.s3Region.trim();
    if (bucket && !BUCKET.test(bucket)) return { problem: 'check.problem.bucket' };
    if (region && !REGION.test(region)) return { problem: 'check.problem.region' };
    if (form.s3Mode === 'head' && !form.s3Key.trim()) return { problem: 'check.problem.key' };
    out.s3 = {
      mode: form.s3Mode,
      ...(bucket ? { bucket } : {}),
      ...(region ? { region } : {}),
      ...(form.s3Mode === 'list' && form.s3Prefix ? { prefix: form.s3Prefix } : {}),
      ...(form.s3Mode === 'head' ? { key: form.s3Key.trim() } : {}),
    };
  }
  if (form.metadata) {
    if (form.tag && !form.tagName.trim()) return { problem: 'check.problem.tag' };
    out.metadata = form.tag ? { tag: { name: form.tagName.trim(), expected: form.tagExpected } } : {};
  }
  // sim-check's own validation has the last word (the worker applies it again).
  return { checklist: parseChecklist(out) };
}

/** The form showing a checklist (a batch taken up again), keeping the form's other fields. */
export function formOf(checklist: Checklist, base: ChecklistForm = DEFAULT_FORM): ChecklistForm {
  return {
    ...base,
    credentials: checklist.credentials,
    s3: checklist.s3 !== undefined,
    ...(checklist.s3
      ? {
          s3Mode: checklist.s3.mode,
          s3Bucket: checklist.s3.bucket ?? '',
          s3Region: checklist.s3.region ?? '',
          s3Prefix: checklist.s3.prefix ?? '',
          s3Key: checklist.s3.key ?? '',
        }
      : {}),
    metadata: checklist.metadata !== undefined,
    tag: checklist.metadata?.tag !== undefined,
    ...(checklist.metadata?.tag ? { tagName: checklist.metadata.tag.name, tagExpected: checklist.metadata.tag.expected } : {}),
  };
}

interface Storage {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
}

/** The remembered settings; anything missing or malformed falls back to its default (a stored value is input like any other). */
export function loadCheckSettings(storage: Storage | undefined, defaults: { upload: UploadForm }): CheckSettings {
  let raw: Record<string, unknown> = {};
  try {
    const parsed: unknown = JSON.parse(storage?.getItem(STORAGE_KEY) ?? '{}');
    if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)) raw = parsed as Record<string, unknown>;
  } catch {
    // Unreadable: start from the defaults.
  }
  const f = record(raw.form);
  const u = record(raw.upload);
  const form: ChecklistForm = {
    credentials: oneOf(f.credentials, ['openid', 'direct', 'off'] as const, DEFAULT_FORM.credentials),
    s3: f.s3 === true,
    s3Mode: oneOf(f.s3Mode, ['list', 'head'] as const, DEFAULT_FORM.s3Mode),
    s3Bucket: text(f.s3Bucket),
    s3Region: text(f.s3Region),
    s3Prefix: text(f.s3Prefix),
    s3Key: text(f.s3Key),
    metadata: f.metadata === true,
    tag: f.tag === true,
    tagName: text(f.tagName),
    tagExpected: text(f.tagExpected),
  };
  return {
    form,
    excluded: Array.isArray(raw.excluded) ? raw.excluded.filter((x): x is string => typeof x === 'string').slice(0, 64) : [],
    sound: raw.sound === true,
    upload: {
      bucket: text(u.bucket) || defaults.upload.bucket,
      region: text(u.region) || defaults.upload.region,
      prefix: typeof u.prefix === 'string' ? text(u.prefix) : defaults.upload.prefix,
      format: oneOf(u.format, ['csv', 'json'] as const, defaults.upload.format),
    },
  };
}

/** Remembers the settings (a full or refused storage only costs the memory of them). */
export function saveCheckSettings(storage: Storage | undefined, settings: CheckSettings): void {
  try {
    storage?.setItem(STORAGE_KEY, JSON.stringify(settings));
  } catch {
    // Private mode or full: the choices last for this page.
  }
}

function record(v: unknown): Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
}

function text(v: unknown): string {
  return typeof v === 'string' ? v.slice(0, 1024) : '';
}

function oneOf<T extends string>(v: unknown, allowed: readonly T[], fallback: T): T {
  return allowed.find((a) => a === v) ?? fallback;
}
