export { CodecError, type CodecErrorCode } from './codec-error.ts';
export type { Bytes } from './bytes-type.ts';
export { toHex, fromHex, fromHexExact } from './hex.ts';
export { toBase64, fromBase64, fromBase64Exact } from './base64.ts';
export { concatBytes, constantTimeEqual, xorBytes, wipe, utf8 } from './bytes.ts';
export { toSwappedBcd, fromSwappedBcd, encodeEfImsi, decodeEfImsi } from './bcd.ts';
