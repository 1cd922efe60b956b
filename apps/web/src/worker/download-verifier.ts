import { createMD5 } from 'hash-wasm';
import { md5OfEtagText } from '../lib/etag.ts';
import type { IntegrityCheck } from './api.ts';
import { failure } from './failure.ts';

/**
 * Checks a download's bytes, fed in order as they go to the file (whatever connections brought
 * them). `finish` runs after the last byte and before the file is committed: it says how the bytes
 * were checked, or throws a Failure (the file is then not kept). The seam a fuller verifier (parts'
 * checksums, multipart ETags) plugs into.
 */
export interface DownloadVerifier {
  /** The next bytes of the object, in order. */
  update(bytes: Uint8Array): void;
  /** After the last byte: how the download was checked; throws a Failure when the bytes do not match. */
  finish(): Promise<IntegrityCheck>;
}

/**
 * The MD5 of the bytes against a single-part ETag (an MD5 in quotes). A multipart ETag (`…-N`) or
 * no ETag at all (the CORS rule does not expose it) cannot be checked this way and says so.
 */
export async function etagMd5Verifier(etag: string | undefined, key: string): Promise<DownloadVerifier> {
  // MD5 in WebAssembly: WebCrypto has none, and a JavaScript MD5 (~80 MiB/s) was the ceiling.
  const hash = await createMD5();
  hash.init();
  return {
    update: (bytes) => hash.update(bytes),
    finish: async () => {
      const actual = hash.digest('hex');
      const expected = etag !== undefined ? md5OfEtagText(etag) : undefined;
      if (expected !== undefined && expected !== actual) {
        throw failure(
          'CHECKSUM_MISMATCH',
          `The downloaded bytes do not match the object's ETag (MD5 ${actual}, expected ${expected})`,
          'Download it again; the file was not saved',
          { expected, actual, key },
        );
      }
      return etag === undefined ? 'no-etag' : expected === undefined ? 'multipart-etag' : 'md5-match';
    },
  };
}
