import { createHash } from 'node:crypto';
import type { S3Client } from '@aws-sdk/client-s3';
import type { CheckCredentials, CheckS3 } from '@krypton-web/sim-check';
import { CliError } from '../errors.ts';

/** Where S3 is: AWS's endpoints by default, or one URL path-style (the lab's). */
export interface S3Place {
  endpoint?: string;
}

/** One object to put. */
export interface ReportObject {
  key: string;
  body: string;
  contentType: string;
}

/** An object as stored: where, and the MD5 S3 checked it against. */
export interface StoredObject {
  bucket: string;
  key: string;
  url: string;
  /** base64, as sent in Content-MD5. */
  md5: string;
}

const REGION = /^[a-z]{2}(-[a-z]+)+-\d+$/;

/** The region of a Cognito identity ("ap-northeast-1:…"), where the SIM group's AWS resources usually are. */
export function regionOfIdentity(identityId: string | undefined): string | undefined {
  const region = identityId?.split(':')[0];
  return region && REGION.test(region) ? region : undefined;
}

/** The S3 probe of a check (list one key, or HEAD an object), with the credentials that check earned. */
export function checkS3(place: S3Place): CheckS3 {
  return {
    list: async (credentials, where) => {
      const { ListObjectsV2Command } = await import('@aws-sdk/client-s3');
      const client = await s3Client(credentials, where.region, place);
      try {
        const answer = await client.send(new ListObjectsV2Command({ Bucket: where.bucket, Prefix: where.prefix, MaxKeys: 1 }));
        const firstKey = answer.Contents?.[0]?.Key;
        return { keyCount: answer.KeyCount ?? answer.Contents?.length ?? 0, ...(firstKey !== undefined ? { firstKey } : {}) };
      } catch (e) {
        throw s3Error(e, `listing s3://${where.bucket}/${where.prefix}`);
      } finally {
        client.destroy();
      }
    },
    head: async (credentials, where) => {
      const { HeadObjectCommand } = await import('@aws-sdk/client-s3');
      const client = await s3Client(credentials, where.region, place);
      try {
        const answer = await client.send(new HeadObjectCommand({ Bucket: where.bucket, Key: where.key }));
        return { size: answer.ContentLength ?? 0 };
      } catch (e) {
        throw s3Error(e, `reading s3://${where.bucket}/${where.key}`);
      } finally {
        client.destroy();
      }
    },
  };
}

/**
 * Puts each object with Content-MD5, so S3 refuses (BadDigest) a body that changed on the way
 * rather than storing it. Returns where each one landed.
 */
export async function putObjects(
  credentials: CheckCredentials,
  target: { bucket: string; region: string },
  objects: readonly ReportObject[],
  place: S3Place,
): Promise<StoredObject[]> {
  const { PutObjectCommand } = await import('@aws-sdk/client-s3');
  const client = await s3Client(credentials, target.region, place);
  try {
    const stored: StoredObject[] = [];
    for (const o of objects) {
      const body = Buffer.from(o.body, 'utf8');
      const md5 = createHash('md5').update(body).digest('base64');
      try {
        await client.send(
          new PutObjectCommand({ Bucket: target.bucket, Key: o.key, Body: body, ContentMD5: md5, ContentType: o.contentType }),
        );
      } catch (e) {
        throw s3Error(e, `uploading s3://${target.bucket}/${o.key}`);
      }
      stored.push({ bucket: target.bucket, key: o.key, md5, url: objectUrl(target.bucket, o.key, target.region, place) });
    }
    return stored;
  } finally {
    client.destroy();
  }
}

/** The object's URL: path-style on a given endpoint, virtual-hosted on AWS. */
export function objectUrl(bucket: string, key: string, region: string, place: S3Place): string {
  const path = key.split('/').map(encodeURIComponent).join('/');
  return place.endpoint ? `${place.endpoint}/${bucket}/${path}` : `https://${bucket}.s3.${region}.amazonaws.com/${path}`;
}

async function s3Client(credentials: CheckCredentials, region: string, place: S3Place): Promise<S3Client> {
  const { S3Client } = await import('@aws-sdk/client-s3');
  return new S3Client({
    region,
    credentials: {
      accessKeyId: credentials.accessKeyId,
      secretAccessKey: credentials.secretAccessKey,
      sessionToken: credentials.sessionToken,
      expiration: credentials.expiration,
    },
    // Content-MD5 is the integrity check here; the SDK's own CRC32 headers would only add to it.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    maxAttempts: 3,
    ...(place.endpoint ? { endpoint: place.endpoint, forcePathStyle: true } : {}),
  });
}

/** An S3 failure as a typed error: S3's own error name and status, and what to do; never a credential. */
function s3Error(e: unknown, what: string): CliError {
  const err = e as { name?: unknown; code?: unknown; message?: unknown; $metadata?: { httpStatusCode?: unknown } };
  const status = typeof err.$metadata?.httpStatusCode === 'number' ? err.$metadata.httpStatusCode : undefined;
  const name = typeof err.name === 'string' ? err.name : 'Error';
  const network = typeof err.code === 'string' && /^E[A-Z]+$/.test(err.code) ? err.code : undefined;
  if (status === undefined) {
    return new CliError(
      `S3 could not be reached while ${what} (${network ?? (typeof err.message === 'string' ? err.message : name)})`,
      'Check the network (and --s3-endpoint, if given), then try again',
      network ? 'NETWORK_UNREACHABLE' : 'S3_FAILED',
      { cause: e },
    );
  }
  const actions: Record<string, string> = {
    AccessDenied: "Allow the SIM group's AWS role this S3 action on the bucket and prefix (its IAM policy), then try again",
    NoSuchBucket: 'Check the bucket name (and --region): the bucket does not exist there',
    NotFound: 'Check the bucket, the key and the region',
    NoSuchKey: 'Check the key: no such object',
    ExpiredToken: 'The credentials expired: check a SIM again so the batch earns fresh ones',
    BadDigest: 'The report changed on its way to S3: try again',
    PermanentRedirect: 'The bucket is in another region: give it with --region',
    AuthorizationHeaderMalformed: 'The bucket is in another region: give it with --region',
  };
  const code = status >= 500 ? 'SERVER_ERROR' : 'S3_REFUSED';
  return new CliError(
    `S3 answered ${name} (HTTP ${status}) while ${what}`,
    actions[name] ??
      (status >= 500 ? 'S3 had a problem: try again in a minute' : 'Check the bucket, the prefix and the SIM group’s AWS permissions'),
    code,
    { cause: e },
  );
}
