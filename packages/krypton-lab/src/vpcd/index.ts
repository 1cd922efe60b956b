/** Puts a VirtualCard into pcscd through vsmartcard's vpcd reader, and the `lab vcard` command. */
export { connectCardToVpcd, VpcdConnection, type VpcdConnectionOptions, type VpcdConnectionState, type VpcdEvent } from './connection.ts';
export {
  FrameDecoder,
  VpcdControl,
  MAX_FRAME_PAYLOAD,
  controlName,
  encodeFrame,
  parseMessage,
  type FrameDecoderOptions,
  type VpcdControlCode,
  type VpcdMessage,
} from './framing.ts';
export { ApduTraceFormatter, type VpcdTraceSink } from './trace.ts';
export { VpcdError, type VpcdErrorCode } from './errors.ts';
