import { S3Client } from '@aws-sdk/client-s3';
import { InMemoryCredentialStore, startLabS3, type LabS3 } from './index.ts';

/** Credentials the lab S3 of a test accepts. */
export interface TestCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken: string;
}

/** A lab S3 seeded only with the large object (`size` bytes), and an SDK client with `creds`, which it accepts for an hour. */
export async function startLargeObjectS3(
  size: number,
  creds: TestCredentials,
): Promise<{ lab: LabS3; s3: S3Client; close: () => Promise<void> }> {
  const store = new InMemoryCredentialStore();
  store.add({ ...creds, expiration: new Date(Date.now() + 3_600_000) });
  const lab = await startLabS3({ credentials: store, seed: { standard: false, largeObjectBytes: size } });
  const s3 = new S3Client({ endpoint: lab.endpoint, region: 'ap-northeast-1', forcePathStyle: true, credentials: creds });
  return {
    lab,
    s3,
    close: async () => {
      s3.destroy();
      await lab.close();
    },
  };
}
