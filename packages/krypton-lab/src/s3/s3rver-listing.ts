// eslint-disable-next-line @typescript-eslint/triple-slash-reference -- the ambient s3rver types must come along wherever another package compiles the lab
/// <reference path="./s3rver-modules.d.ts" />
/**
 * Object listing with S3's semantics, installed in place of s3rver's own. s3rver 3.7.1 walks its
 * directory tree in file-name order, which is not key order: "v1/a" (directory "v1") comes before
 * "v1.1/a" although '.' sorts before '/'. Its `key <= marker` filter then skips keys for good
 * across pages. It also counts only keys, not common prefixes, against max-keys. This module
 * lists all keys, sorts them by UTF-8 bytes, and pages entries (keys and common prefixes) as S3 does.
 */
import { readdir } from 'node:fs/promises';
import path from 'node:path';

/** s3rver's object metadata as its store reads it. */
type S3rverMetadata = Record<string, string | number>;

/** What s3rver's bucket controller expects from a listing. */
interface S3rverListing {
  objects: unknown[];
  commonPrefixes: string[];
  isTruncated: boolean;
}

/** The options s3rver's bucket controller passes to `listObjects`. */
interface S3rverListOptions {
  delimiter?: string | undefined;
  startAfter?: string | undefined;
  prefix?: string | undefined;
  maxKeys?: number | undefined;
}

/** The parts of s3rver's FilesystemStore this module relies on. */
export interface S3rverStore {
  readonly rootDirectory: string;
  getMetadata(bucket: string, key: string): Promise<S3rverMetadata>;
  listObjects(bucket: string, options: S3rverListOptions): Promise<S3rverListing>;
}

type S3ObjectConstructor = new (bucket: string, key: string, content: null, metadata: S3rverMetadata) => unknown;

/** s3rver's on-disk name suffix for an object's bytes (`<name>._S3rver_object`). */
const OBJECT_SUFFIX = '._S3rver_object';

/** One page of a listing: keys and rolled-up common prefixes, in key order. */
export interface KeyListPage {
  keys: string[];
  commonPrefixes: string[];
  isTruncated: boolean;
  /** The last entry returned (key or common prefix): where the next page starts after. */
  lastEntry: string | undefined;
}

/** Orders strings as S3 orders keys: by their UTF-8 bytes. */
export function compareKeys(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

/**
 * Selects one page from a bucket's keys with S3's rules: keys under `prefix`, rolled up at the
 * first `delimiter` after the prefix, entries after `startAfter` (a common prefix at or before it
 * counts as already listed), at most `maxKeys` entries counting keys and prefixes alike.
 */
export function selectListPage(
  allKeys: readonly string[],
  options: { prefix?: string | undefined; delimiter?: string | undefined; startAfter?: string | undefined; maxKeys: number },
): KeyListPage {
  const prefix = options.prefix ?? '';
  const delimiter = options.delimiter ?? '';
  const startAfter = options.startAfter ?? '';
  const sorted = allKeys.filter((k) => k.startsWith(prefix)).sort(compareKeys);
  const keys: string[] = [];
  const commonPrefixes: string[] = [];
  let lastEntry: string | undefined;
  let count = 0;
  for (const key of sorted) {
    let entry = key;
    let rolledUp = false;
    if (delimiter !== '') {
      const at = key.indexOf(delimiter, prefix.length);
      if (at >= 0) {
        entry = key.slice(0, at + delimiter.length);
        rolledUp = true;
      }
    }
    if (startAfter !== '' && compareKeys(entry, startAfter) <= 0) continue;
    if (rolledUp && entry === lastEntry) continue;
    if (count === options.maxKeys) return { keys, commonPrefixes, isTruncated: true, lastEntry };
    (rolledUp ? commonPrefixes : keys).push(entry);
    lastEntry = entry;
    count++;
  }
  return { keys, commonPrefixes, isTruncated: false, lastEntry };
}

/** Every object key stored in one bucket directory of s3rver's file-system layout. */
export async function readBucketKeys(bucketDirectory: string): Promise<string[]> {
  let entries: string[];
  try {
    entries = await readdir(bucketDirectory, { recursive: true });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  return entries
    .map((entry) => entry.split(path.sep).join('/'))
    .filter((entry) => entry.endsWith(OBJECT_SUFFIX) && !entry.includes('._S3rver_uploads/'))
    .map((entry) => entry.slice(0, -OBJECT_SUFFIX.length));
}

/** Replaces `store.listObjects` on one s3rver instance with the S3-ordered listing. */
export async function installSortedListing(store: S3rverStore): Promise<void> {
  // A dynamic import, not require(): bundled commands resolve it from where the lab is installed.
  const S3Object = (await import('s3rver/lib/models/object.js')).default as S3ObjectConstructor;
  store.listObjects = async (bucket, options) => {
    const allKeys = await readBucketKeys(path.join(store.rootDirectory, bucket));
    const page = selectListPage(allKeys, {
      prefix: options.prefix,
      delimiter: options.delimiter,
      startAfter: options.startAfter,
      maxKeys: options.maxKeys === undefined || !Number.isFinite(options.maxKeys) ? 1000 : options.maxKeys,
    });
    const objects = await Promise.all(page.keys.map(async (key) => new S3Object(bucket, key, null, await store.getMetadata(bucket, key))));
    return { objects, commonPrefixes: page.commonPrefixes, isTruncated: page.isTruncated };
  };
}
