import { PutBucketCorsCommand, type S3Client } from '@aws-sdk/client-s3';
import type { CorsRule } from '@krypton-web/krypton-lab';

/** Replaces the bucket's CORS configuration with these rules (the lab's CorsRule, sent in the SDK's shape). */
export async function putBucketCors(s3: S3Client, bucket: string, rules: readonly CorsRule[]): Promise<void> {
  await s3.send(
    new PutBucketCorsCommand({
      Bucket: bucket,
      CORSConfiguration: {
        CORSRules: rules.map((r) => ({
          AllowedOrigins: r.allowedOrigins,
          AllowedMethods: r.allowedMethods,
          AllowedHeaders: r.allowedHeaders,
          ExposeHeaders: r.exposeHeaders,
          MaxAgeSeconds: r.maxAgeSeconds,
        })),
      },
    }),
  );
}
