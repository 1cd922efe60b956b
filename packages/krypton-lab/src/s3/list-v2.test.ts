import { describe, expect, it } from 'vitest';
import {
  decodeContinuationToken,
  encodeContinuationToken,
  parseV1Listing,
  readListV2Request,
  renderListV2,
  v1QueryFor,
} from './list-v2.ts';
import { S3Error } from './s3-error.ts';

// s3rver 3.7.1's V1 output, verbatim shape (captured from a running instance).
const V1 =
  '<?xml version="1.0" encoding="UTF-8"?>\n<ListBucketResult xmlns="http://doc.s3.amazonaws.com/2006-03-01/"><Name>b</Name><Prefix></Prefix><Marker></Marker><MaxKeys>2</MaxKeys><Delimiter>/</Delimiter><IsTruncated>true</IsTruncated>' +
  '<Contents><Key>x&amp;y&lt;z&gt;.txt</Key><LastModified>2026-11-27T13:42:04.000Z</LastModified><ETag>&quot;f788ac9f14e269a60e9ac5358b456f6a&quot;</ETag><Size>16</Size><Owner><ID>123456789000</ID><DisplayName>S3rver</DisplayName></Owner><StorageClass>STANDARD</StorageClass></Contents>' +
  '<CommonPrefixes><Prefix>v1/</Prefix></CommonPrefixes></ListBucketResult>';

describe('ListObjectsV2 over s3rver V1 listings', () => {
  it("reads s3rver's V1 XML, decoding entities", () => {
    const page = parseV1Listing(V1);
    expect(page).toEqual({
      maxKeys: '2',
      isTruncated: true,
      contents: [
        {
          key: 'x&y<z>.txt',
          lastModified: '2026-11-27T13:42:04.000Z',
          etag: '"f788ac9f14e269a60e9ac5358b456f6a"',
          size: '16',
          storageClass: 'STANDARD',
          owner: { id: '123456789000', displayName: 'S3rver' },
        },
      ],
      commonPrefixes: ['v1/'],
    });
  });

  it('renders V2 with KeyCount over keys and prefixes and a token resuming after the last entry', () => {
    const req = readListV2Request('b', [
      ['list-type', '2'],
      ['delimiter', '/'],
      ['max-keys', '2'],
    ]);
    const xml = renderListV2(req, parseV1Listing(V1));
    expect(xml).toContain('<KeyCount>2</KeyCount>');
    expect(xml).toContain('<Key>x&amp;y&lt;z&gt;.txt</Key>');
    expect(xml).not.toContain('<Owner>');
    expect(xml).not.toContain('<Marker>');
    const token = /<NextContinuationToken>([^<]+)<\//.exec(xml)?.[1] ?? '';
    // 'x&y<z>.txt' sorts after 'v1/', so the listing resumes after the key.
    expect(decodeContinuationToken('b', token)).toBe('x&y<z>.txt');
  });

  it('includes Owner only when fetch-owner=true, and URL-encodes names for encoding-type=url', () => {
    const req = readListV2Request('b', [
      ['list-type', '2'],
      ['fetch-owner', 'true'],
      ['encoding-type', 'url'],
    ]);
    const xml = renderListV2(req, parseV1Listing(V1));
    expect(xml).toContain('<Owner><ID>123456789000</ID>');
    expect(xml).toContain('<Key>x%26y%3Cz%3E.txt</Key>');
    expect(xml).toContain('<EncodingType>url</EncodingType>');
  });

  it('turns a continuation token or start-after into a V1 marker', () => {
    const token = encodeContinuationToken('b', 'logs/2026/');
    expect(
      v1QueryFor(
        readListV2Request('b', [
          ['prefix', 'a b'],
          ['continuation-token', token],
          ['max-keys', '5'],
        ]),
      ),
    ).toBe('prefix=a%20b&max-keys=5&marker=logs%2F2026%2F');
    expect(v1QueryFor(readListV2Request('b', [['start-after', 'k']]))).toBe('marker=k');
  });

  it("refuses a token from another bucket or made up, with S3's InvalidArgument", () => {
    for (const bad of [encodeContinuationToken('other', 'k'), 'not-a-token', '']) {
      expect(() => decodeContinuationToken('b', bad)).toThrow(
        expect.objectContaining({ code: 'InvalidArgument', message: 'The continuation token provided is incorrect' }),
      );
    }
    expect(() => v1QueryFor(readListV2Request('b', [['encoding-type', 'base64']]))).toThrow(S3Error);
  });
});
