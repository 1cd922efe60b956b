import { describe, expect, it } from 'vitest';
import type { ListPage, ListRequest } from '../worker/api.ts';
import { bucketFromUserdata } from '@krypton-web/sim-check';
import { breadcrumbs, leafName, S3Browser } from './s3-browser.svelte.ts';
import { failureOf, fakeWorker } from './test-doubles.test-support.ts';

/** A bucket of `n` objects under generated/ plus two folders, served page by page like ListObjectsV2. */
function bucket(n: number) {
  const requests: ListRequest[] = [];
  const keys = Array.from({ length: n }, (_, i) => `generated/obj-${String(i).padStart(4, '0')}.txt`);
  const listObjects = async (r: ListRequest): Promise<ListPage> => {
    requests.push(r);
    if (r.prefix === '')
      return {
        bucket: r.bucket,
        prefix: '',
        prefixes: ['docs/', 'generated/'],
        objects: [{ key: 'README.txt', size: 74 }],
        truncated: false,
      };
    const start = r.continuationToken ? Number(r.continuationToken) : 0;
    const size = r.pageSize ?? 200;
    const slice = keys.slice(start, start + size).map((key) => ({ key, size: 10 }));
    const next = start + size < keys.length ? String(start + size) : undefined;
    return {
      bucket: r.bucket,
      prefix: r.prefix,
      prefixes: [],
      objects: slice,
      truncated: next !== undefined,
      ...(next ? { nextContinuationToken: next } : {}),
    };
  };
  return { requests, listObjects };
}

describe('S3Browser', () => {
  it('takes the bucket from the SIM group’s userdata, unless one was typed', () => {
    expect(bucketFromUserdata('{"s3":{"bucket":"krypton-demo","region":"ap-northeast-1"},"note":"x"}')).toEqual({
      bucket: 'krypton-demo',
      region: 'ap-northeast-1',
    });
    expect(bucketFromUserdata('{"s3":{"bucket":"bucket-1"}}')).toEqual({ bucket: 'bucket-1' });
    // One copy of the rule (sim-check's): a name S3 would refuse is not filled in.
    expect(bucketFromUserdata('{"s3":{"bucket":"Not_A_Bucket"}}')).toBeUndefined();
    expect(bucketFromUserdata('plain text')).toBeUndefined();
    expect(bucketFromUserdata('{"s3":{}}')).toBeUndefined();
    const b = new S3Browser();
    b.prefill('{"s3":{"bucket":"krypton-demo","region":"us-west-2"}}');
    expect([b.bucket, b.region, b.fromUserdata]).toEqual(['krypton-demo', 'us-west-2', true]);
    const typed = new S3Browser();
    typed.bucket = 'mine';
    typed.prefill('{"s3":{"bucket":"krypton-demo"}}');
    expect(typed.bucket).toBe('mine');
    expect(typed.fromUserdata).toBe(false);
  });

  it('shows prefixes as folders with breadcrumbs', async () => {
    expect(breadcrumbs('firmware/v1/')).toEqual([
      { name: 'firmware', prefix: 'firmware/' },
      { name: 'v1', prefix: 'firmware/v1/' },
    ]);
    expect(leafName('firmware/v1/firmware.bin', 'firmware/v1/')).toBe('firmware.bin');
    const { listObjects, requests } = bucket(3);
    const b = new S3Browser();
    b.bucket = ' krypton-demo ';
    await b.open(fakeWorker({ listObjects }).api);
    expect(requests[0]).toEqual({ bucket: 'krypton-demo', region: 'ap-northeast-1', prefix: '', pageSize: 200 });
    expect(b.visibleFolders).toEqual(['docs/', 'generated/']);
    expect(b.crumbs).toEqual([]);
    await b.go(fakeWorker({ listObjects }).api, 'generated/');
    expect(b.crumbs).toEqual([{ name: 'generated', prefix: 'generated/' }]);
    expect(b.visibleObjects.map((o) => o.key)).toHaveLength(3);
  });

  it('pages through a large bucket and back, and filters the page', async () => {
    const { listObjects, requests } = bucket(450);
    const api = fakeWorker({ listObjects }).api;
    const b = new S3Browser(200);
    b.bucket = 'krypton-demo';
    await b.go(api, 'generated/');
    expect(b.hasNext).toBe(true);
    expect(b.hasPrev).toBe(false);
    await b.next(api);
    await b.next(api);
    expect(b.pageIndex).toBe(2);
    expect(b.visibleObjects).toHaveLength(50);
    expect(b.hasNext).toBe(false);
    await b.prev(api);
    expect(requests.at(-1)?.continuationToken).toBe('200');
    expect(b.visibleObjects[0]?.key).toBe('generated/obj-0200.txt');
    b.filter = 'OBJ-021';
    expect(b.visibleObjects.map((o) => o.key)).toEqual(Array.from({ length: 10 }, (_, i) => `generated/obj-021${i}.txt`));
    await b.go(api, '');
    expect(b.filter).toBe('');
    expect(b.pageIndex).toBe(0);
  });

  it('keeps a listing failure to show, and object details', async () => {
    const b = new S3Browser();
    b.bucket = 'krypton-nocors';
    await b.open(fakeWorker({ listObjects: () => Promise.reject(failureOf('S3_CORS_MISSING')) }).api);
    expect(b.failure?.code).toBe('S3_CORS_MISSING');
    expect(b.page).toBeUndefined();
    await b.showDetails(
      fakeWorker({ headObject: async (_b, _r, key) => ({ key, size: 33, etag: '"abc"', etagIsMd5: false }) }).api,
      'hello.json',
    );
    expect(b.details).toMatchObject({ key: 'hello.json', size: 33 });
  });
});
