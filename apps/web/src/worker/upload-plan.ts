import { failure } from './failure.ts';

/** Below this size a file goes up in one PutObject; from it on, in parts (a failed part is sent again, not the whole file). */
export const SINGLE_PUT_LIMIT = 16 * 1024 * 1024;
/** The part size aimed at: S3's minimum is 5 MiB (except the last part). */
export const PART_BYTES = 8 * 1024 * 1024;
/** S3's limits on a multipart upload. */
export const MIN_PART_BYTES = 5 * 1024 * 1024;
export const MAX_PARTS = 10_000;
export const MAX_OBJECT_BYTES = 5 * 1024 ** 4;
/** Parts sent at once: enough to fill a link, few enough that a cancel stops quickly. */
export const PART_CONCURRENCY = 3;

/** One part: its number (from 1) and byte range [start, end). */
export interface PlannedPart {
  number: number;
  start: number;
  end: number;
}

/** How a file of `size` bytes goes up: one PutObject, or parts. */
export type UploadPlan = { kind: 'single' } | { kind: 'multipart'; partBytes: number; parts: PlannedPart[] };

/**
 * Plans an upload: one PUT below `singleLimit`, otherwise parts of `partBytes` (at least 5 MiB),
 * grown in whole MiB when 10,000 parts would not hold the file. Refuses what S3 cannot hold (5 TiB).
 */
export function planUpload(size: number, singleLimit = SINGLE_PUT_LIMIT, partBytes = PART_BYTES): UploadPlan {
  if (size > MAX_OBJECT_BYTES)
    throw failure(
      'UPLOAD_TOO_LARGE',
      `The file is ${size} bytes; S3 holds objects of at most 5 TiB`,
      'Split the file, or upload it another way (the AWS CLI)',
    );
  if (size < singleLimit) return { kind: 'single' };
  const MiB = 1024 * 1024;
  let bytes = Math.max(partBytes, MIN_PART_BYTES);
  if (Math.ceil(size / bytes) > MAX_PARTS) bytes = Math.ceil(size / MAX_PARTS / MiB) * MiB;
  const parts: PlannedPart[] = [];
  for (let start = 0, number = 1; start < size; start += bytes, number++) parts.push({ number, start, end: Math.min(size, start + bytes) });
  return { kind: 'multipart', partBytes: bytes, parts };
}

/** The base64 of a hex digest: the form Content-MD5 takes. */
export function base64OfHex(hex: string): string {
  let s = '';
  for (let i = 0; i < hex.length; i += 2) s += String.fromCharCode(parseInt(hex.slice(i, i + 2), 16));
  return btoa(s);
}
