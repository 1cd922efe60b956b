/**
 * Objects stored with a Content-Encoding (`aws s3 cp --content-encoding gzip`, web assets, log
 * shippers) are answered with it on every GET, and browsers then decode the body on their own:
 * fetch and XMLHttpRequest cannot be told not to. The page would see other bytes than S3 stores,
 * which no ETag or checksum matches, and a range of a gzip stream does not decode at all. So every
 * read asks S3 to answer `Content-Encoding: identity` (a signed `response-content-encoding`), and
 * the file holds the object as stored, as the AWS CLI saves it.
 */

/** The Content-Encoding every object read asks S3 to answer with: the bytes as stored. */
export const AS_STORED = 'identity';

/** The encoding an object is stored with, lower-cased; undefined when its bytes are plain. */
export function storedEncoding(contentEncoding: string | undefined): string | undefined {
  const value = contentEncoding?.trim().toLowerCase();
  return value === undefined || value === '' || value === AS_STORED ? undefined : value;
}
