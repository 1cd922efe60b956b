/** Codes of the errors raised when bytes or text cannot be decoded. */
export type CodecErrorCode = 'BAD_HEX' | 'BAD_BASE64' | 'BAD_LENGTH' | 'BAD_BCD' | 'BAD_TLV';

/** A value could not be decoded: the input is malformed, never a bug in the caller's flow. */
export class CodecError extends Error {
  override readonly name = 'CodecError';
  constructor(
    readonly code: CodecErrorCode,
    message: string,
  ) {
    super(message);
  }
}
