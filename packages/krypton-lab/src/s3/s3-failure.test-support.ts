import { S3ServiceException } from '@aws-sdk/client-s3';

/** The S3 error an SDK call fails with; the test fails if the call succeeds or fails with anything else. */
export async function s3Failure(promise: Promise<unknown>): Promise<S3ServiceException> {
  try {
    await promise;
  } catch (err) {
    if (err instanceof S3ServiceException) return err;
    throw err;
  }
  throw new Error('the call succeeded');
}
