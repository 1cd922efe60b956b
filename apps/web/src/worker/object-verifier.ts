import { createCRC32, createCRC64, createMD5, createSHA1, createSHA256, type IHasher } from 'hash-wasm';
import { algorithmName, md5OfEtagText, multipartEtagParts } from '../lib/etag.ts';

export { multipartEtagParts };
import type { ChecksumAlgorithm, Failure, IntegrityCheck, ObjectCheck } from './api.ts';
import { failure } from './failure.ts';

/** What S3 said about an object, which its bytes are checked against. */
export interface ObjectFacts {
  /** Content-Length of the whole object, when known. */
  size: number | undefined;
  /** The ETag as S3 sent it (quotes and all), when the CORS rule exposes it. */
  etag: string | undefined;
  /** The object is encrypted with SSE-KMS, DSSE-KMS or SSE-C: its ETag is no MD5 of the content. */
  etagNotMd5?: boolean;
  /** Sizes of the parts a multipart object was uploaded in, when learned (see `learnPartSizes`). */
  partSizes?: readonly number[] | undefined;
  /** `x-amz-checksum-<algorithm>` values S3 sent (base64; a composite one ends in `-N`). */
  checksums?: Partial<Record<ChecksumAlgorithm, string>>;
}

/** The outcome of one check. */
export interface ObjectCheckResult {
  check: ObjectCheck;
  ok: boolean;
  /** What S3 recorded (hex MD5, base64 checksum). */
  expected: string;
  /** What the bytes gave. */
  actual: string;
}

/** What `finish()` found: each check done and whether it passed, and the one-word summary. */
export interface Verification {
  /** True when no check failed (also when none could be done: `check` then says why). */
  ok: boolean;
  results: ObjectCheckResult[];
  check: IntegrityCheck;
}

/** Where a multipart ETag's or a composite checksum's part hashes come from. */
interface PartHashing {
  /** Per-part hasher, re-initialised at each part boundary. */
  part: IHasher;
  /** Hashes the concatenated raw part digests at the end. */
  combine: IHasher;
  digests: Uint8Array[];
}

interface PlannedChecksum {
  algorithm: ChecksumAlgorithm;
  expected: string;
  whole?: IHasher;
  parts?: PartHashing;
}

const CRC32C_POLYNOMIAL = 0x82f63b78;
/** CRC-64/NVME's polynomial 0xad93d23594c93659, bit-reflected as hash-wasm's CRC64 takes it. */
const CRC64NVME_POLYNOMIAL = '9a6c9329ac4bc9b5';

/** The part count of a composite checksum `…-N`, or undefined for a full-object one. */
function compositeParts(value: string): number | undefined {
  const m = /-(\d{1,5})$/.exec(value);
  return m ? Number(m[1]) : undefined;
}

function hasherFor(algorithm: ChecksumAlgorithm): Promise<IHasher> {
  switch (algorithm) {
    case 'CRC32':
      return createCRC32();
    case 'CRC32C':
      return createCRC32(CRC32C_POLYNOMIAL);
    case 'CRC64NVME':
      return createCRC64(CRC64NVME_POLYNOMIAL);
    case 'SHA1':
      return createSHA1();
    case 'SHA256':
      return createSHA256();
  }
}

async function partHashing(make: () => Promise<IHasher>): Promise<PartHashing> {
  const [part, combine] = await Promise.all([make(), make()]);
  part.init();
  combine.init();
  return { part, combine, digests: [] };
}

function base64(bytes: Uint8Array): string {
  let text = '';
  for (const b of bytes) text += String.fromCharCode(b);
  return btoa(text);
}

function hex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

/**
 * Checks a download against everything S3 recorded about the object: the MD5 a single-part ETag
 * carries, the MD5 of part MD5s a multipart ETag `…-N` carries (given the part sizes), and S3's
 * additional checksums (CRC32, CRC32C, CRC64NVME, SHA-1, SHA-256; whole-object, or composite over the
 * same parts). Fed the object's bytes in order through `update` — whoever fetches them (one stream,
 * or parts fetched in parallel and written in order) — then `finish` says what was checked and whether it matched.
 */
export class ObjectVerifier {
  private received = 0;
  private partIndex = 0;
  private partLeft: number;
  private finished = false;

  private constructor(
    private readonly facts: ObjectFacts,
    private readonly md5: { whole: IHasher; expected: string } | undefined,
    private readonly multipartMd5: { parts: PartHashing; expected: string; count: number } | undefined,
    private readonly checksums: PlannedChecksum[],
    private readonly unchecked: IntegrityCheck,
  ) {
    this.partLeft = facts.partSizes?.[0] ?? Infinity;
  }

  /** A verifier for an object S3 described so; what cannot be checked is planned out here. */
  static async create(facts: ObjectFacts): Promise<ObjectVerifier> {
    const sizes = facts.partSizes;
    const layoutFits = (n: number): boolean =>
      sizes !== undefined && sizes.length === n && (facts.size === undefined || sizes.reduce((a, b) => a + b, 0) === facts.size);
    const etagMd5 = facts.etag !== undefined && !facts.etagNotMd5 ? md5OfEtagText(facts.etag) : undefined;
    const etagParts = facts.etagNotMd5 ? undefined : multipartEtagParts(facts.etag);

    let md5: { whole: IHasher; expected: string } | undefined;
    if (etagMd5 !== undefined) {
      const whole = await createMD5();
      whole.init();
      md5 = { whole, expected: etagMd5 };
    }
    let multipartMd5: { parts: PartHashing; expected: string; count: number } | undefined;
    if (etagParts !== undefined && layoutFits(etagParts)) {
      const expected = /[0-9a-fA-F]{32}/.exec(facts.etag!)![0].toLowerCase();
      multipartMd5 = { parts: await partHashing(createMD5), expected, count: etagParts };
    }
    const checksums: PlannedChecksum[] = [];
    for (const [algorithm, value] of Object.entries(facts.checksums ?? {}) as [ChecksumAlgorithm, string | undefined][]) {
      if (!value) continue;
      const parts = compositeParts(value);
      if (parts === undefined) {
        const whole = await hasherFor(algorithm);
        whole.init();
        checksums.push({ algorithm, expected: value, whole });
      } else if (layoutFits(parts)) {
        checksums.push({ algorithm, expected: value, parts: await partHashing(() => hasherFor(algorithm)) });
      }
    }
    const unchecked: IntegrityCheck =
      facts.etag === undefined ? 'no-etag' : facts.etagNotMd5 || etagParts === undefined ? 'etag-not-md5' : 'multipart-etag';
    return new ObjectVerifier(facts, md5, multipartMd5, checksums, etagMd5 === undefined ? unchecked : 'md5-match');
  }

  /** Whether any check will be done (false: the download can only be said to be unchecked). */
  get checking(): boolean {
    return this.md5 !== undefined || this.multipartMd5 !== undefined || this.checksums.length > 0;
  }

  /** The next bytes of the object, in order. */
  update(bytes: Uint8Array): void {
    if (this.finished) throw new Error('ObjectVerifier.update after finish');
    this.received += bytes.byteLength;
    this.md5?.whole.update(bytes);
    for (const c of this.checksums) c.whole?.update(bytes);
    if (!this.perPart()) return;
    let rest = bytes;
    while (rest.byteLength > 0) {
      const n = Math.min(rest.byteLength, this.partLeft);
      const slice = n === rest.byteLength ? rest : rest.subarray(0, n);
      this.multipartMd5?.parts.part.update(slice);
      for (const c of this.checksums) c.parts?.part.update(slice);
      this.partLeft -= n;
      rest = rest.subarray(n);
      if (this.partLeft === 0) this.endPart();
    }
  }

  /** Every check's outcome; call once, after the last byte. */
  finish(): Verification {
    if (this.finished) throw new Error('ObjectVerifier.finish called twice');
    this.finished = true;
    const results: ObjectCheckResult[] = [];
    if (this.md5) {
      const actual = this.md5.whole.digest('hex');
      results.push({ check: { kind: 'md5' }, ok: actual === this.md5.expected, expected: this.md5.expected, actual });
    }
    const sizes = this.facts.partSizes ?? [];
    // Bytes missing, or more after the last part, mean the parts did not line up: the part-wise checks fail.
    const complete = this.partIndex === sizes.length && this.received === sizes.reduce((a, b) => a + b, 0);
    if (this.multipartMd5) {
      const m = this.multipartMd5;
      const actual = `${hex(m.parts.combine.digest('binary'))}-${m.parts.digests.length}`;
      const expected = `${m.expected}-${m.count}`;
      results.push({ check: { kind: 'multipart-md5', parts: m.count }, ok: complete && actual === expected, expected, actual });
    }
    for (const c of this.checksums) {
      if (c.whole) {
        const actual = base64(c.whole.digest('binary'));
        results.push({ check: { kind: 'checksum', algorithm: c.algorithm }, ok: actual === c.expected, expected: c.expected, actual });
      } else if (c.parts) {
        const actual = `${base64(c.parts.combine.digest('binary'))}-${c.parts.digests.length}`;
        results.push({
          check: { kind: 'checksum', algorithm: c.algorithm, parts: compositeParts(c.expected)! },
          ok: complete && actual === c.expected,
          expected: c.expected,
          actual,
        });
      }
    }
    const ok = results.every((r) => r.ok);
    const check: IntegrityCheck = this.md5 ? 'md5-match' : results.length > 0 ? 'verified' : this.unchecked;
    return { ok, results, check };
  }

  private perPart(): boolean {
    return this.multipartMd5 !== undefined || this.checksums.some((c) => c.parts !== undefined);
  }

  private endPart(): void {
    const m = this.multipartMd5?.parts;
    if (m) closePart(m);
    for (const c of this.checksums) if (c.parts) closePart(c.parts);
    this.partIndex++;
    this.partLeft = this.facts.partSizes?.[this.partIndex] ?? Infinity;
  }
}

function closePart(p: PartHashing): void {
  const digest = p.part.digest('binary');
  p.digests.push(digest);
  p.combine.update(digest);
  p.part.init();
}

function describeCheck(check: ObjectCheck): string {
  if (check.kind === 'md5') return 'ETag (MD5)';
  if (check.kind === 'multipart-md5') return `ETag (MD5 of ${check.parts} parts)`;
  return check.parts === undefined ? algorithmName(check.algorithm) : `${algorithmName(check.algorithm)} of ${check.parts} parts`;
}

/**
 * The failure a verification that did not pass is, or undefined when it passed. A single-part MD5
 * mismatch alone keeps its CHECKSUM_MISMATCH; any other mismatch is OBJECT_CORRUPT, naming each check
 * that failed, with what S3 recorded and what the bytes gave.
 */
export function verificationFailure(v: Verification, key: string): Failure | undefined {
  const failed = v.results.filter((r) => !r.ok);
  if (failed.length === 0) return undefined;
  const again = 'Download it again; if it fails the same way again, the object stored in S3 is damaged: upload it again from its source';
  if (failed.length === 1 && v.results.length === 1 && failed[0]!.check.kind === 'md5') {
    const { expected, actual } = failed[0]!;
    return failure(
      'CHECKSUM_MISMATCH',
      `The downloaded bytes do not match the object's ETag (MD5 ${actual}, expected ${expected})`,
      again,
      {
        expected,
        actual,
        key,
      },
    );
  }
  // Names that read the same in any language: the Japanese table shows them as they are.
  const names = [...new Set(failed.map((r) => (r.check.kind === 'checksum' ? algorithmName(r.check.algorithm) : 'ETag')))];
  const facts = failed.map((r) => `${describeCheck(r.check)}: S3 recorded ${r.expected}, the bytes give ${r.actual}`).join('; ');
  return failure(
    'OBJECT_CORRUPT',
    `The downloaded bytes do not match what S3 recorded for the object (${facts}); nothing was saved`,
    again,
    {
      key,
      failedChecks: names.join(', '),
      expected: failed.map((r) => r.expected).join(', '),
      actual: failed.map((r) => r.actual).join(', '),
    },
  );
}

/** One part's length and the parts count, as a HEAD with `partNumber` reports them. */
export interface PartHead {
  length: number;
  /** `x-amz-mp-parts-count`, when the CORS rule exposes it. */
  partsCount?: number | undefined;
}

/** Most HEAD requests spent learning part sizes that are not uniform. */
export const MAX_PART_HEADS = 64;

/** Part sizes learned with HEAD `partNumber`; `assumed`: the middle parts were taken to be as long as part 1, not asked. */
export interface PartLayout {
  sizes: number[];
  assumed: boolean;
}

/**
 * The part sizes of a multipart object of `size` bytes in `parts` parts, learned with HEAD
 * `partNumber` requests: part 1 gives the part size, and the last part confirms that every part but
 * the last can have it (how the AWS CLI and SDKs upload: `assumed`); otherwise each part is asked, up
 * to MAX_PART_HEADS. Undefined when they cannot be learned (the count disagrees, too many uneven parts).
 */
export async function learnPartSizes(
  size: number,
  parts: number,
  head: (partNumber: number) => Promise<PartHead>,
): Promise<PartLayout | undefined> {
  const first = await head(1);
  if (first.partsCount !== undefined && first.partsCount !== parts) return undefined;
  if (parts === 1) return first.length === size ? { sizes: [size], assumed: false } : undefined;
  if (parts === 2) return size - first.length > 0 ? { sizes: [first.length, size - first.length], assumed: false } : undefined;
  const last = await head(parts);
  if ((parts - 1) * first.length + last.length === size)
    return { sizes: [...Array<number>(parts - 1).fill(first.length), last.length], assumed: true };
  return askEveryPart(size, parts, first.length, last.length, head);
}

/**
 * The part sizes asked part by part (up to MAX_PART_HEADS parts), given the first and last: what an
 * assumed layout is checked against before a mismatch is called corruption.
 */
export async function askEveryPart(
  size: number,
  parts: number,
  first: number,
  last: number,
  head: (partNumber: number) => Promise<PartHead>,
): Promise<PartLayout | undefined> {
  if (parts > MAX_PART_HEADS) return undefined;
  const middle: number[] = [];
  for (let n = 2; n < parts; n++) middle.push((await head(n)).length);
  const sizes = [first, ...middle, last];
  return sizes.reduce((a, b) => a + b, 0) === size ? { sizes, assumed: false } : undefined;
}

/**
 * A verification that failed only on part-wise checks made with an assumed layout is confirmed: when
 * the parts asked one by one have other sizes, those checks could not be made (the multipart ETag is
 * reported unchecked) rather than failed; when they have the assumed sizes, the failure stands.
 */
export async function confirmPartwiseFailure(
  v: Verification,
  layout: PartLayout | undefined,
  size: number,
  head: (partNumber: number) => Promise<PartHead>,
): Promise<Verification> {
  const partwise = (r: ObjectCheckResult) =>
    r.check.kind === 'multipart-md5' || (r.check.kind === 'checksum' && r.check.parts !== undefined);
  if (v.ok || !layout?.assumed || !v.results.some((r) => !r.ok && partwise(r))) return v;
  const n = layout.sizes.length;
  const asked = await askEveryPart(size, n, layout.sizes[0]!, layout.sizes[n - 1]!, head).catch(() => undefined);
  if (asked && asked.sizes.every((s, i) => s === layout.sizes[i])) return v;
  const results = v.results.filter((r) => !partwise(r));
  return { ok: results.every((r) => r.ok), results, check: results.length > 0 ? 'verified' : 'multipart-etag' };
}
