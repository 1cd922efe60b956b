/** Whether an ETag is a plain MD5 (a single-part upload), which a download can be checked against. */
export function md5OfEtagText(etag: string): string | undefined {
  const m = /^(?:W\/)?"?([0-9a-fA-F]{32})"?$/.exec(etag.trim());
  return m ? m[1]!.toLowerCase() : undefined;
}
