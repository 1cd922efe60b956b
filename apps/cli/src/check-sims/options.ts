import { KRYPTON_BASE_URLS, simEndpoint, type KryptonEndpoint } from '@krypton-web/krypton-core';
import { CliError } from '../errors.ts';
import { goUsage, parseGoFlags, type FlagDef } from '../flags/go-flags.ts';

/** Where the SIMs are: PC/SC readers (one named, or every one) and/or one modem. */
export interface LaneSelection {
  /** undefined: no PC/SC lane at all (only --port given). */
  readers: { kind: 'all' } | { kind: 'one'; name: string } | undefined;
  /** The modem's serial port, for a modem lane. */
  port: string | undefined;
}

/** Where a report is uploaded: `s3://bucket/prefix`. */
export interface UploadTarget {
  bucket: string;
  /** Without leading or trailing slash; '' for the bucket's top. */
  prefix: string;
}

/** Everything one run of check-sims needs, validated. */
export interface CheckSimsOptions {
  mode: 'help' | 'run';
  lanes: LaneSelection;
  /** The checklist file (JSON), read when the run starts; undefined: the default checklist. */
  checklistFile: string | undefined;
  /** The append-only JSONL log (continued when it exists). */
  outFile: string | undefined;
  /** The CSV report, written at the end. */
  csvFile: string | undefined;
  upload: UploadTarget | undefined;
  watch: boolean;
  /** Check a SIM again even when this batch checked it already. */
  recheck: boolean;
  /** Without --watch: how long to wait for a first card when every reader is empty. */
  waitMs: number;
  endpoint: Extract<KryptonEndpoint, { kind: 'sim' }>;
  /** Cognito Identity endpoint (the lab's); AWS's for the token's region by default. */
  cognitoEndpoint: string | undefined;
  /** S3 endpoint (the lab's, path-style); AWS's by default. */
  s3Endpoint: string | undefined;
  /** Region of the upload bucket; by default the region of the credentials' Cognito identity. */
  region: string | undefined;
}

/** Command-line usage errors are exit status 2 (the code the runner maps). */
export const USAGE = 'USAGE';

const DEFAULT_WAIT_SECONDS = 30;
const COVERAGE_BASE: Record<string, string> = { g: KRYPTON_BASE_URLS.global, jp: KRYPTON_BASE_URLS.japan };
const BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
const REGION = /^[a-z]{2}(-[a-z]+)+-\d+$/;

/** check-sims' flags. One or two dashes both work (Go's flag package rules), as krypton-cli's do. */
export const CHECK_SIMS_FLAGS: readonly FlagDef[] = [
  {
    name: 'reader',
    kind: 'string',
    default: '',
    valueName: 'NAME',
    usage: 'Check the SIMs in this PC/SC reader only (pcsc_scan lists readers)',
  },
  {
    name: 'all-readers',
    kind: 'bool',
    default: false,
    usage: 'Check the SIMs in every PC/SC reader, each reader a lane run in parallel (the default without --reader and --port)',
  },
  {
    name: 'port',
    kind: 'string',
    default: '',
    valueName: 'DEV',
    usage: 'Also (or only) check the SIM in the USB modem on this serial port (its AT port, e.g. /dev/ttyUSB2)',
  },
  {
    name: 'checklist',
    kind: 'string',
    default: '',
    valueName: 'FILE',
    usage:
      'What each check covers, as JSON: {"credentials":"openid"|"direct"|"off","s3":{"mode":"list"|"head","bucket","prefix","key"},"metadata":{"tag":{"name","expected"}}}\n(default: SIM, PIN, a fresh key agreement and credentials through OpenID)',
  },
  {
    name: 'out',
    kind: 'string',
    default: '',
    valueName: 'FILE.jsonl',
    usage:
      'Append one JSON line per finished check, on disk the moment it finishes; an existing file is continued (its SIMs count as checked)',
  },
  {
    name: 'csv',
    kind: 'string',
    default: '',
    valueName: 'FILE',
    usage: 'Write the report at the end: one row per SIM, UTF-8 with BOM (Excel), replaced in one step (never half-written)',
  },
  {
    name: 'upload',
    kind: 'string',
    default: '',
    valueName: 's3://BUCKET/PREFIX',
    usage:
      "Upload the report (CSV and JSON) at the end with the AWS credentials a passing SIM of the batch earned, and print the objects' URLs",
  },
  {
    name: 'watch',
    kind: 'bool',
    default: false,
    usage: 'Keep going as cards come and go, until Ctrl-C (which ends the batch: report, upload, summary)',
  },
  { name: 'recheck', kind: 'bool', default: false, usage: 'Check a SIM again even when this batch has checked it already' },
  {
    name: 'wait',
    kind: 'uint',
    default: DEFAULT_WAIT_SECONDS,
    valueName: 'SECONDS',
    usage: 'Without --watch: how long to wait for a first SIM when every reader is empty',
  },
  {
    name: 'keys-api-endpoint-url',
    kind: 'string',
    default: '',
    valueName: 'URL',
    usage: `The Keys API endpoint, as krypton-cli takes it (default: ${KRYPTON_BASE_URLS.global}/v1/keys)`,
  },
  {
    name: 'provisioning-api-endpoint-url',
    kind: 'string',
    default: '',
    valueName: 'URL',
    usage: `The Provisioning API endpoint, as krypton-cli takes it (default: ${KRYPTON_BASE_URLS.global}/)`,
  },
  {
    name: 'coverage-type',
    kind: 'string',
    default: 'g',
    valueName: 'g|jp',
    usage: 'Coverage whose endpoints are the defaults: g (global) or jp (Japan)',
  },
  {
    name: 'cognito-endpoint',
    kind: 'string',
    default: '',
    valueName: 'URL',
    usage: "The Cognito Identity endpoint (the lab's); default: AWS's for the identity pool's region",
  },
  { name: 's3-endpoint', kind: 'string', default: '', valueName: 'URL', usage: "The S3 endpoint, path-style (the lab's); default: AWS's" },
  {
    name: 'region',
    kind: 'string',
    default: '',
    valueName: 'REGION',
    usage: "The upload bucket's AWS region (default: the region of the Cognito identity the SIM earned)",
  },
  { name: 'help', kind: 'bool', default: false, usage: 'Show this help and exit' },
  { name: 'h', kind: 'bool', default: false, usage: 'Show this help and exit', aliasOf: 'help' },
];

const SYNOPSIS = `check-sims: checks a stack of SORACOM IoT SIMs — each SIM's ICCID, IMSI and PIN, a fresh Krypton key
agreement and the AWS credentials it earns — in every card reader at once, one line per SIM as it finishes.

  pnpm check-sims [--reader NAME | --all-readers] [--port DEV] [--checklist FILE] [--out FILE.jsonl]
                  [--csv FILE] [--upload s3://bucket/prefix] [--watch] [--recheck]
                  [-keys-api-endpoint-url URL] [-provisioning-api-endpoint-url URL] [-coverage-type g|jp]
                  [--cognito-endpoint URL] [--s3-endpoint URL] [--region REGION]

Without --watch it checks the SIMs in the readers now (waiting up to --wait seconds for a first one),
then prints a summary and exits. With --watch it checks each card as it is inserted; a card pulled out
mid-check is recorded as interrupted (FAIL CARD_REMOVED) and checked again when it comes back; a SIM
the batch has checked already is not checked again ("already checked at 10:42 — PASS") unless --recheck.

`;

const FOOTER = `
Output: one line per SIM on stdout (time, lane, ICCID, IMSI, PASS/WARN/FAIL, duration; for WARN and
FAIL the step, its code, what happened and what to do), then a summary. Notices go to stderr. No
secret (CK, RES, PIN, AWS secret key, session token) is ever printed or written.
Exit status: 0 when every SIM of the batch passed (WARN counts as passed: it is printed, look at it);
1 when a SIM failed (an interrupted check counts as failed until the SIM is checked again), no SIM
was checked, or the run could not go on; 2 for a wrong command line or checklist file; 130 on
Ctrl-C (SIGINT) without --watch, 143 on SIGTERM. With --watch, Ctrl-C ends the batch (report,
upload, summary, status 0 or 1); a second Ctrl-C stops at once.
Environment:
  KRYPTON_SIM_PIN   PIN1 for SIMs that have it enabled. Without it, on a terminal, check-sims asks once
                    per batch (nothing echoed). A SIM with one try left is never tried; a PIN found wrong
                    is not tried on further SIMs.
`;

/** The help text (-h). */
export function checkSimsUsage(): string {
  return `${SYNOPSIS}${goUsage('check-sims', CHECK_SIMS_FLAGS).replace(/^Usage of check-sims:\n/, 'Flags (one dash or two: -watch and --watch are the same):\n')}${FOOTER}`;
}

/** Reads the command line into validated options; throws FlagError or CliError with code USAGE (both exit 2). */
export function parseCheckSimsOptions(argv: readonly string[]): CheckSimsOptions {
  const { values, rest } = parseGoFlags(CHECK_SIMS_FLAGS, argv);
  const str = (n: string) => values.get(n) as string;
  const bool = (n: string) => values.get(n) as boolean;
  const num = (n: string) => values.get(n) as number;

  const help = bool('help');
  if (!help && rest.length > 0)
    throw usage(
      `unexpected argument "${rest[0]}"`,
      'check-sims takes flags only; flags must come before anything else, and a flag that takes a value needs it (--reader "Virtual PCD 00 00")',
    );

  const reader = str('reader');
  const port = str('port');
  if (reader && bool('all-readers')) throw usage('--reader and --all-readers were both given', 'Give one of them');
  const lanes: LaneSelection = {
    readers: reader ? { kind: 'one', name: reader } : bool('all-readers') || !port ? { kind: 'all' } : undefined,
    port: port || undefined,
  };

  const coverage = str('coverage-type');
  const coverageBase = COVERAGE_BASE[coverage];
  if (!coverageBase) throw usage(`unknown coverage type: ${coverage}`, 'Give -coverage-type g (global) or jp (Japan)');
  let endpoint: KryptonEndpoint;
  try {
    endpoint = simEndpoint(coverageBase, {
      keysApiUrl: str('keys-api-endpoint-url') || `${coverageBase}/v1/keys`,
      provisioningApiUrl: str('provisioning-api-endpoint-url') || coverageBase,
    });
  } catch (e) {
    throw usage(`a Krypton endpoint is wrong: ${(e as Error).message}`, 'Give full http(s) URLs, as krypton-cli takes them');
  }
  if (endpoint.kind !== 'sim') throw usage('a SIM endpoint is needed', 'Give the Keys and Provisioning API URLs');

  const outFile = str('out') || undefined;
  const csvFile = str('csv') || undefined;
  if (outFile && csvFile && outFile === csvFile)
    throw usage('--out and --csv name the same file', 'Give the JSONL log and the CSV report different names');

  const waitSeconds = num('wait');
  if (waitSeconds > 24 * 3600) throw usage(`--wait ${waitSeconds} is more than a day`, 'Give seconds, e.g. --wait 60, or use --watch');

  const region = str('region') || undefined;
  if (region !== undefined && !REGION.test(region)) throw usage(`"${region}" is not an AWS region`, 'Give a region such as ap-northeast-1');

  return {
    mode: help ? 'help' : 'run',
    lanes,
    checklistFile: str('checklist') || undefined,
    outFile,
    csvFile,
    upload: str('upload') ? parseUploadTarget(str('upload')) : undefined,
    watch: bool('watch'),
    recheck: bool('recheck'),
    waitMs: waitSeconds * 1000,
    endpoint,
    cognitoEndpoint: optionalUrl(str('cognito-endpoint'), '--cognito-endpoint'),
    s3Endpoint: optionalUrl(str('s3-endpoint'), '--s3-endpoint'),
    region,
  };
}

/** `s3://bucket[/prefix]`, the bucket named as S3 allows, the prefix without slashes at either end. */
export function parseUploadTarget(text: string): UploadTarget {
  const m = /^s3:\/\/([^/]+)(?:\/(.*))?$/.exec(text);
  const action = 'Give --upload s3://BUCKET/PREFIX, e.g. s3://my-reports/sim-checks';
  if (!m) throw usage(`--upload "${text}" is not an s3:// URL`, action);
  const bucket = m[1]!;
  if (!BUCKET.test(bucket) || bucket.includes('..')) throw usage(`--upload: "${bucket}" is not a valid S3 bucket name`, action);
  const prefix = (m[2] ?? '').replace(/^\/+|\/+$/g, '');
  if (prefix.split('/').some((part) => part === '.' || part === '..'))
    throw usage(`--upload: the prefix "${prefix}" has a . or .. segment`, action);
  return { bucket, prefix };
}

function optionalUrl(text: string, flag: string): string | undefined {
  if (!text) return undefined;
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw usage(`${flag} "${text}" is not a URL`, `Give a full URL, e.g. ${flag} http://127.0.0.1:8000`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw usage(`${flag} "${text}" is not an http(s) URL`, `Give a full URL, e.g. ${flag} http://127.0.0.1:8000`);
  return text.replace(/\/+$/, '');
}

function usage(message: string, action: string): CliError {
  return new CliError(message, action, USAGE);
}
