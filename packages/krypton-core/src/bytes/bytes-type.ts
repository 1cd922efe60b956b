/**
 * Bytes backed by a plain ArrayBuffer (never a SharedArrayBuffer): what WebCrypto and fetch accept.
 * Every function here returns this type so callers can hand results to those APIs directly.
 */
export type Bytes = Uint8Array<ArrayBuffer>;
