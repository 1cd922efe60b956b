export { requestBridgeApproval, type PairingPrompt } from './bridge-pairing.ts';
export {
  BridgeClient,
  BridgeSimSession,
  BridgeRemoteError,
  type BridgeClientOptions,
  type WebSocketLike,
  type AuthenticateAnswer,
} from './bridge-client.ts';
export {
  BRIDGE_PROTOCOL_VERSION,
  MAX_BRIDGE_MESSAGE,
  BridgeProtocolError,
  parseBridgeRequest,
  parseBridgeMessage,
  type BridgeRequest,
  type BridgeReply,
  type BridgeEvent,
  type BridgeMessage,
  type BridgeOp,
  type BridgeResults,
  type BridgeError,
  type BridgeErrorCode,
  type ReaderInfo,
  type BridgeModemPort,
  type BridgeModemFacts,
} from './bridge-protocol.ts';
