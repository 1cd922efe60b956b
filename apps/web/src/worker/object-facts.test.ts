import { describe, expect, it } from 'vitest';
import { objectFacts } from './object-facts.ts';

const head = (sizes: number[]) => {
  const asked: number[] = [];
  return { asked, head: async (n: number) => (asked.push(n), { length: sizes[n - 1]!, partsCount: sizes.length }) };
};

describe('objectFacts: what an S3 answer says the bytes must match', () => {
  it('a multipart ETag with a composite CRC32C: both checks, over the part sizes HEAD partNumber reports', async () => {
    const h = head([8, 8, 3]);
    const { facts, layout } = await objectFacts(
      { ETag: '"0123456789abcdef0123456789abcdef-3"', ContentLength: 19, ChecksumCRC32C: 'AAAAAA==-3' },
      h.head,
    );
    expect(facts).toEqual({
      size: 19,
      etag: '"0123456789abcdef0123456789abcdef-3"',
      etagNotMd5: false,
      partSizes: [8, 8, 3],
      checksums: { CRC32C: 'AAAAAA==-3' },
    });
    expect(layout).toEqual({ sizes: [8, 8, 3], assumed: true });
    expect(h.asked).toEqual([1, 3]);
  });

  it('SSE-KMS: the ETag is no MD5, but a composite SHA-256 still needs (and gets) the part sizes', async () => {
    const { facts } = await objectFacts(
      { ETag: '"0123456789abcdef0123456789abcdef-2"', ContentLength: 10, ServerSideEncryption: 'aws:kms', ChecksumSHA256: 'x-2' },
      head([6, 4]).head,
    );
    expect(facts).toMatchObject({ etagNotMd5: true, partSizes: [6, 4], checksums: { SHA256: 'x-2' } });
  });

  it('a single-part ETag asks nothing; a HEAD that fails leaves the part sizes unknown', async () => {
    const h = head([5]);
    const single = await objectFacts({ ETag: '"0123456789abcdef0123456789abcdef"', ContentLength: 5, ChecksumCRC32: 'AAAAAA==' }, h.head);
    expect(single.facts.partSizes).toBeUndefined();
    expect(h.asked).toEqual([]);
    const failing = await objectFacts({ ETag: '"0123456789abcdef0123456789abcdef-2"', ContentLength: 5 }, () =>
      Promise.reject(new Error('403')),
    );
    expect(failing).toMatchObject({ facts: { partSizes: undefined }, layout: undefined });
  });
});
