import type { CheckCredentials } from '@krypton-web/sim-check';
import { CliError } from '../errors.ts';
import type { UploadTarget } from './options.ts';
import { putObjects, regionOfIdentity, type ReportObject, type S3Place, type StoredObject } from './s3.ts';

/** The report as the upload sends it. */
export interface ReportFiles {
  csv: string;
  json: string;
}

/** Credentials closer to expiry than this are not used: the upload would fail halfway. */
const EXPIRY_MARGIN_MS = 30_000;

/** Object names: the prefix, then `check-sims-<UTC time>-<batch>` with .csv and .json, so batches never overwrite each other. */
export function reportObjects(target: UploadTarget, batchId: string, at: number, files: ReportFiles): ReportObject[] {
  const stamp = new Date(at)
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
  const base = `check-sims-${stamp}-${batchId.replace(/[^A-Za-z0-9]/g, '').slice(0, 8)}`;
  const key = (ext: string) => (target.prefix ? `${target.prefix}/${base}.${ext}` : `${base}.${ext}`);
  return [
    { key: key('csv'), body: files.csv, contentType: 'text/csv; charset=utf-8' },
    { key: key('json'), body: files.json, contentType: 'application/json' },
  ];
}

/**
 * Uploads the report with the credentials a passing SIM of the batch earned (the SIM group's AWS
 * role, as the SIMs themselves will use it). The bucket's region is --region, else the region of
 * the SIM's Cognito identity.
 */
export async function uploadReport(
  credentials: CheckCredentials | undefined,
  target: UploadTarget,
  objects: readonly ReportObject[],
  options: { region: string | undefined; place: S3Place; now: number },
): Promise<StoredObject[]> {
  if (!credentials)
    throw new CliError(
      'the report was not uploaded: no SIM checked in this run earned AWS credentials (every check failed, they were all checked before, or the checklist turns credentials off)',
      'Check one SIM again with --recheck (credentials are never stored, so a continued batch must earn them again), then the upload runs',
      'NO_CREDENTIALS',
    );
  if (credentials.expiration.getTime() - options.now < EXPIRY_MARGIN_MS)
    throw new CliError(
      `the report was not uploaded: the AWS credentials the last passing SIM earned expired at ${credentials.expiration.toISOString()}`,
      'Check one SIM again with --recheck (it earns fresh credentials), then the upload runs',
      'CREDENTIALS_EXPIRED',
    );
  const region = options.region ?? regionOfIdentity(credentials.identityId) ?? 'ap-northeast-1';
  return putObjects(credentials, { bucket: target.bucket, region }, objects, options.place);
}
