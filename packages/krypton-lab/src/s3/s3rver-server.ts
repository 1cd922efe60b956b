// eslint-disable-next-line @typescript-eslint/triple-slash-reference -- the ambient s3rver types must come along wherever another package compiles the lab
/// <reference path="./s3rver-modules.d.ts" />
/**
 * A typed wrapper around s3rver 3.7.1 (plain CommonJS, no types): started on 127.0.0.1 on an
 * ephemeral port, silent (its request log would pollute stdout, which other tools parse), with
 * path-style addressing only, and with its object listing replaced by one that orders keys as S3
 * does (see s3rver-listing.ts).
 */
import type { AddressInfo } from 'node:net';
import { installSortedListing, type S3rverStore } from './s3rver-listing.ts';

/** One bucket s3rver creates at start-up, with its configuration documents (CORS XML). */
export interface S3rverBucket {
  name: string;
  /** `<CORSConfiguration>` documents; none means the bucket has no CORS rule. */
  configs: string[];
}

/** The subset of s3rver's constructor options the lab uses. */
interface S3rverOptions {
  address: string;
  port: number;
  silent: boolean;
  directory: string;
  vhostBuckets: boolean;
  resetOnClose: boolean;
  allowMismatchedSignatures: boolean;
  configureBuckets: S3rverBucket[];
}

/** The subset of an s3rver instance the lab uses. */
interface S3rverInstance {
  readonly store: S3rverStore;
  run(): Promise<AddressInfo>;
  close(): Promise<void>;
}

type S3rverConstructor = new (options: S3rverOptions) => S3rverInstance;

/** s3rver's built-in account: it accepts any request signed with this key id (it never checks SigV4 signatures). */
export const S3RVER_CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } as const;

/** A running s3rver. */
export interface RunningS3rver {
  /** `127.0.0.1` */
  readonly host: string;
  readonly port: number;
  /** `http://127.0.0.1:<port>` — reachable without authentication; only the gate and the seeder use it. */
  readonly url: string;
  close(): Promise<void>;
}

/** Failure to start or configure s3rver. */
export class S3rverStartError extends Error {
  override readonly name = 'S3rverStartError';
  readonly code = 'S3RVER_START_FAILED';
}

/** Starts s3rver on 127.0.0.1 (ephemeral port) over a data directory, creating the given buckets. */
export async function startS3rver(options: { directory: string; buckets: S3rverBucket[] }): Promise<RunningS3rver> {
  const S3rver = (await import('s3rver')).default as S3rverConstructor;
  let server: S3rverInstance;
  let address: AddressInfo;
  try {
    server = new S3rver({
      address: '127.0.0.1',
      port: 0,
      silent: true,
      directory: options.directory,
      // Path-style only: virtual-host guessing would treat a Host of "localhost:port" oddly.
      vhostBuckets: false,
      resetOnClose: false,
      allowMismatchedSignatures: false,
      configureBuckets: options.buckets,
    });
    await installSortedListing(server.store);
    address = await server.run();
  } catch (cause) {
    throw new S3rverStartError(`s3rver did not start: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
  }
  const port = address.port;
  return {
    host: '127.0.0.1',
    port,
    url: `http://127.0.0.1:${port}`,
    close: () => server.close(),
  };
}
