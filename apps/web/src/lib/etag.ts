import type { ChecksumAlgorithm } from '../worker/api.ts';

/** Whether an ETag is a plain MD5 (a single-part upload), which a download can be checked against. */
export function md5OfEtagText(etag: string): string | undefined {
  const m = /^(?:W\/)?"?([0-9a-fA-F]{32})"?$/.exec(etag.trim());
  return m ? m[1]!.toLowerCase() : undefined;
}

/** How a checksum algorithm is written for people (`SHA-256`, `CRC32C`). */
export function algorithmName(algorithm: ChecksumAlgorithm): string {
  return algorithm === 'SHA256' ? 'SHA-256' : algorithm === 'SHA1' ? 'SHA-1' : algorithm;
}

/** The part count of a multipart-upload ETag `"<32 hex>-N"`, or undefined for any other ETag. */
export function multipartEtagParts(etag: string | undefined): number | undefined {
  const m = etag === undefined ? null : /^(?:W\/)?"?[0-9a-fA-F]{32}-(\d{1,5})"?$/.exec(etag.trim());
  const n = m ? Number(m[1]) : NaN;
  return n >= 1 && n <= 10_000 ? n : undefined;
}
