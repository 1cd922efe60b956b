import { createHash, randomBytes } from 'node:crypto';
import zlib from 'node:zlib';
import { describe, expect, it } from 'vitest';
import {
  confirmPartwiseFailure,
  learnPartSizes,
  multipartEtagParts,
  ObjectVerifier,
  verificationFailure,
  type ObjectFacts,
} from './object-verifier.ts';

const b64 = (hex: string) => Buffer.from(hex, 'hex').toString('base64');
const md5 = (b: Uint8Array) => createHash('md5').update(b).digest();
const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest();
const crc32 = (b: Uint8Array) => Buffer.from(zlib.crc32(b).toString(16).padStart(8, '0'), 'hex');

/** Feeds `bytes` in uneven chunks (so chunk edges fall inside parts and across them) and finishes. */
async function verify(facts: ObjectFacts, bytes: Uint8Array, chunk = 7) {
  const v = await ObjectVerifier.create(facts);
  for (let at = 0, i = 0; at < bytes.byteLength; i++) {
    const n = chunk + (i % 5) * 3;
    v.update(bytes.subarray(at, at + n));
    at += n;
  }
  return v.finish();
}

/** Parts of `bytes` cut at these sizes. */
function cut(bytes: Uint8Array, sizes: number[]): Uint8Array[] {
  const out: Uint8Array[] = [];
  let at = 0;
  for (const s of sizes) {
    out.push(bytes.subarray(at, at + s));
    at += s;
  }
  return out;
}

describe('ObjectVerifier against published check values', () => {
  const text = new TextEncoder().encode('123456789');
  it.each([
    ['CRC32', 'cbf43926'],
    ['CRC32C', 'e3069283'],
    ['CRC64NVME', 'ae8b14860a799888'],
    ['SHA1', 'f7c3bc1d808e04732adf679965ccc34ca7ae3441'],
    ['SHA256', '15e2b0d3c33891ebb0f1ef609ec419420c20e320ce94c65fbc8c3312448eb225'],
  ] as const)('%s of "123456789" is %s', async (algorithm, check) => {
    const v = await verify({ size: 9, etag: undefined, checksums: { [algorithm]: b64(check) } }, text, 2);
    expect(v).toEqual({
      ok: true,
      check: 'verified',
      results: [{ check: { kind: 'checksum', algorithm }, ok: true, expected: b64(check), actual: b64(check) }],
    });
  });

  it('the MD5 of "123456789" against a single-part ETag; a wrong one is CHECKSUM_MISMATCH', async () => {
    const ok = await verify({ size: 9, etag: '"25f9e794323b453885f5181f1b624d0b"' }, text);
    expect(ok).toMatchObject({ ok: true, check: 'md5-match', results: [{ check: { kind: 'md5' }, ok: true }] });
    const bad = await verify({ size: 9, etag: `"${'0'.repeat(32)}"` }, text);
    expect(bad.ok).toBe(false);
    expect(verificationFailure(bad, 'a.txt')).toMatchObject({
      code: 'CHECKSUM_MISMATCH',
      details: { expected: '0'.repeat(32), actual: '25f9e794323b453885f5181f1b624d0b', key: 'a.txt' },
    });
  });
});

describe('multipart ETags and composite checksums, computed independently with Node crypto', () => {
  const sizes = [5000, 5000, 3001];
  const bytes = randomBytes(13_001);
  const parts = cut(bytes, sizes);
  const etag = `"${createHash('md5')
    .update(Buffer.concat(parts.map(md5)))
    .digest('hex')}-3"`;

  it('the MD5 of 3 part MD5s matches, fed in chunks that straddle the part edges', async () => {
    for (const chunk of [1, 7, 4999, 5001, 13_001]) {
      const v = await verify({ size: bytes.byteLength, etag, partSizes: sizes }, bytes, chunk);
      expect(v).toMatchObject({ ok: true, check: 'verified', results: [{ check: { kind: 'multipart-md5', parts: 3 }, ok: true }] });
    }
  });

  it('one flipped byte makes it OBJECT_CORRUPT, naming the check and what to do', async () => {
    const damaged = Buffer.from(bytes);
    damaged[11_000] = damaged[11_000]! ^ 1;
    const v = await verify(
      { size: bytes.byteLength, etag, partSizes: sizes, checksums: { CRC32: crc32(bytes).toString('base64') } },
      damaged,
    );
    expect(v.ok).toBe(false);
    expect(v.results.map((r) => [r.check.kind, r.ok])).toEqual([
      ['multipart-md5', false],
      ['checksum', false],
    ]);
    const f = verificationFailure(v, 'big.bin')!;
    expect(f).toMatchObject({ code: 'OBJECT_CORRUPT', details: { key: 'big.bin', failedChecks: 'ETag, CRC32' } });
    expect(f.message).toContain(`ETag (MD5 of 3 parts): S3 recorded ${etag.slice(1, -1)}`);
    expect(f.action).toMatch(/Download it again; .* damaged: upload it again/);
  });

  it('a composite SHA-256 and CRC32 over the same parts; a full-object CRC32 of the whole', async () => {
    const compositeSha = `${sha256(Buffer.concat(parts.map(sha256))).toString('base64')}-3`;
    const compositeCrc = `${crc32(Buffer.concat(parts.map(crc32))).toString('base64')}-3`;
    const v = await verify({ size: bytes.byteLength, etag, partSizes: sizes, checksums: { SHA256: compositeSha } }, bytes, 333);
    expect(v.results).toEqual([
      { check: { kind: 'multipart-md5', parts: 3 }, ok: true, expected: etag.slice(1, -1), actual: etag.slice(1, -1) },
      { check: { kind: 'checksum', algorithm: 'SHA256', parts: 3 }, ok: true, expected: compositeSha, actual: compositeSha },
    ]);
    const crc = await verify({ size: bytes.byteLength, etag, partSizes: sizes, checksums: { CRC32: compositeCrc } }, bytes);
    expect(crc.ok).toBe(true);
    const full = await verify(
      { size: bytes.byteLength, etag, partSizes: sizes, checksums: { CRC32: crc32(bytes).toString('base64') } },
      bytes,
    );
    expect(full.results[1]).toMatchObject({ check: { kind: 'checksum', algorithm: 'CRC32' }, ok: true });
  });

  it('bytes short of the last part, or more after it, fail the part checks (the parts cannot line up)', async () => {
    const short = await verify({ size: bytes.byteLength, etag, partSizes: sizes }, bytes.subarray(0, 12_000));
    expect(short.ok).toBe(false);
    const long = await verify({ size: bytes.byteLength, etag, partSizes: sizes }, Buffer.concat([bytes, Buffer.from('extra')]));
    expect(long.ok).toBe(false);
  });

  it('without the part sizes a multipart ETag is not checked, and says so; a checksum still is', async () => {
    expect(await verify({ size: bytes.byteLength, etag }, bytes)).toEqual({ ok: true, results: [], check: 'multipart-etag' });
    const v = await verify({ size: bytes.byteLength, etag, checksums: { CRC32: crc32(bytes).toString('base64') } }, bytes);
    expect(v).toMatchObject({ ok: true, check: 'verified', results: [{ check: { kind: 'checksum', algorithm: 'CRC32' } }] });
  });
});

describe('what cannot be checked is said truthfully', () => {
  const bytes = randomBytes(100);
  it('no ETag, or one that is no MD5 (SSE-KMS), and no checksum: not checked', async () => {
    expect(await verify({ size: 100, etag: undefined }, bytes)).toEqual({ ok: true, results: [], check: 'no-etag' });
    const kms = { size: 100, etag: `"${randomBytes(16).toString('hex')}"`, etagNotMd5: true };
    expect(await verify(kms, bytes)).toEqual({ ok: true, results: [], check: 'etag-not-md5' });
    expect(await verify({ size: 100, etag: '"opaque-etag"' }, bytes)).toEqual({ ok: true, results: [], check: 'etag-not-md5' });
    const withSha = await verify({ ...kms, checksums: { SHA256: sha256(bytes).toString('base64') } }, bytes);
    expect(withSha).toMatchObject({ ok: true, check: 'verified', results: [{ ok: true }] });
  });

  it('reads the part count of a multipart ETag only', () => {
    expect(multipartEtagParts('"d41d8cd98f00b204e9800998ecf8427e-12"')).toBe(12);
    expect(multipartEtagParts('"d41d8cd98f00b204e9800998ecf8427e"')).toBeUndefined();
    expect(multipartEtagParts(undefined)).toBeUndefined();
  });
});

describe('learnPartSizes', () => {
  const heads = (sizes: number[], partsCount?: number) => {
    const asked: number[] = [];
    return {
      asked,
      head: async (n: number) => {
        asked.push(n);
        return { length: sizes[n - 1]!, partsCount };
      },
    };
  };

  it('uniform parts: HEAD part 1 and the last part only (the middle assumed)', async () => {
    const h = heads([5, 5, 5, 3], 4);
    await expect(learnPartSizes(18, 4, h.head)).resolves.toEqual({ sizes: [5, 5, 5, 3], assumed: true });
    expect(h.asked).toEqual([1, 4]);
  });

  it('uneven parts: every part is asked', async () => {
    const h = heads([5, 6, 6, 2]);
    await expect(learnPartSizes(19, 4, h.head)).resolves.toEqual({ sizes: [5, 6, 6, 2], assumed: false });
    expect(h.asked).toEqual([1, 4, 2, 3]);
  });

  it('two parts from part 1 alone; a parts count that disagrees with the ETag gives up', async () => {
    await expect(learnPartSizes(13, 2, heads([8, 5]).head)).resolves.toEqual({ sizes: [8, 5], assumed: false });
    await expect(learnPartSizes(13, 2, heads([8, 5], 3).head)).resolves.toBeUndefined();
  });

  it('an assumed layout that was wrong turns a part-wise mismatch into "not checked"; a right one keeps the failure', async () => {
    // Uploaded as 5, 6, 4, 3: the ends look uniform, so the middle was assumed to be 5, 5.
    const real = [5, 6, 4, 3];
    const bytes = randomBytes(18);
    const etag = `"${createHash('md5')
      .update(Buffer.concat(cut(bytes, real).map(md5)))
      .digest('hex')}-4"`;
    const layout = (await learnPartSizes(18, 4, heads(real).head))!;
    expect(layout).toEqual({ sizes: [5, 5, 5, 3], assumed: true });
    const v = await verify({ size: 18, etag, partSizes: layout.sizes, checksums: { CRC32: crc32(bytes).toString('base64') } }, bytes);
    expect(v.ok).toBe(false);
    const confirmed = await confirmPartwiseFailure(v, layout, 18, heads(real).head);
    expect(confirmed).toMatchObject({ ok: true, check: 'verified', results: [{ check: { kind: 'checksum', algorithm: 'CRC32' } }] });

    const damaged = Buffer.from(bytes);
    damaged[0] = damaged[0]! ^ 1;
    const uniform = [5, 5, 5, 3];
    const etag2 = `"${createHash('md5')
      .update(Buffer.concat(cut(bytes, uniform).map(md5)))
      .digest('hex')}-4"`;
    const bad = await verify({ size: 18, etag: etag2, partSizes: uniform }, damaged);
    await expect(confirmPartwiseFailure(bad, layout, 18, heads(uniform).head)).resolves.toBe(bad);
  });
});
