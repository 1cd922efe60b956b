export { KryptonError, type BridgeUpstreamCode, type KryptonErrorCode, type KryptonErrorDetails } from './krypton-error.ts';
