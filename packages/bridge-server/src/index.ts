// The live bridge's surface: nothing here loads the lab (its demo reader is ./virtual-reader).
export { startBridge, BRIDGE_NAME, type BridgeOptions, type RunningBridge } from './bridge.ts';
export { Logger, type LogFacts, type LogLevel, type LogSink } from './log.ts';
export { BridgeHttpError, type BridgeHttpErrorCode } from './http/http-error.ts';
export { TOKEN_HEADER } from './http/krypton-proxy.ts';
export {
  VIRTUAL_READER_NAME,
  DEMO_STACK_READER_NAME,
  type ReaderBackend,
  type BackendReader,
  type OpenedCard,
  type ReaderChange,
} from './readers/reader-backend.ts';
export { DEFAULT_LIMITS, type BridgeLimits, type RateSpec } from './limits.ts';
export { ModemBackend, type ModemBackendOptions } from './modems/modem-backend.ts';
