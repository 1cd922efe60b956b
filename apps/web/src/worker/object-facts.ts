import type { ChecksumAlgorithm } from './api.ts';
import { learnPartSizes, multipartEtagParts, type ObjectFacts, type PartHead, type PartLayout } from './object-verifier.ts';

/** The fields of a GetObject or HeadObject answer (AWS SDK v3) that say what the bytes must match. */
export interface ObjectAnswer {
  ETag?: string | undefined;
  ContentLength?: number | undefined;
  ChecksumCRC32?: string | undefined;
  ChecksumCRC32C?: string | undefined;
  ChecksumCRC64NVME?: string | undefined;
  ChecksumSHA1?: string | undefined;
  ChecksumSHA256?: string | undefined;
  ServerSideEncryption?: string | undefined;
  SSECustomerAlgorithm?: string | undefined;
}

/** Encryption that makes the ETag something else than an MD5 of the content (SSE-KMS, DSSE-KMS, SSE-C). */
export function etagNotMd5(out: { ServerSideEncryption?: string | undefined; SSECustomerAlgorithm?: string | undefined }): boolean {
  return out.ServerSideEncryption === 'aws:kms' || out.ServerSideEncryption === 'aws:kms:dsse' || out.SSECustomerAlgorithm !== undefined;
}

/**
 * What S3's answer says the bytes must match, with the part sizes a multipart ETag or a composite
 * checksum needs (learned by HEAD `partNumber`; a failure to learn them leaves those unchecked). The
 * answer is a whole-object GetObject or a HeadObject, both sent with ChecksumMode ENABLED: a Range
 * GetObject carries no checksum, and its ContentLength is the range's.
 */
export async function objectFacts(
  out: ObjectAnswer,
  head: (partNumber: number) => Promise<PartHead>,
): Promise<{ facts: ObjectFacts; layout: PartLayout | undefined }> {
  const checksums: Partial<Record<ChecksumAlgorithm, string>> = {};
  const found: [ChecksumAlgorithm, string | undefined][] = [
    ['CRC32', out.ChecksumCRC32],
    ['CRC32C', out.ChecksumCRC32C],
    ['CRC64NVME', out.ChecksumCRC64NVME],
    ['SHA1', out.ChecksumSHA1],
    ['SHA256', out.ChecksumSHA256],
  ];
  for (const [algorithm, value] of found) if (value) checksums[algorithm] = value;
  const notMd5 = etagNotMd5(out);
  const parts =
    (notMd5 ? undefined : multipartEtagParts(out.ETag)) ??
    Object.values(checksums)
      .map((v) => /-(\d+)$/.exec(v)?.[1])
      .map(Number)
      .find((n) => n > 0);
  const size = out.ContentLength;
  const layout = parts !== undefined && size !== undefined ? await learnPartSizes(size, parts, head).catch(() => undefined) : undefined;
  return { facts: { size, etag: out.ETag, etagNotMd5: notMd5, partSizes: layout?.sizes, checksums }, layout };
}
