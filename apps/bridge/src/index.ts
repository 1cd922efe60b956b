export { startBridge, DEFAULT_WEB_ROOT, BRIDGE_NAME, type BridgeOptions, type RunningBridge } from './bridge.ts';
export { Logger, type LogLevel, type LogSink } from './log.ts';
export { VIRTUAL_READER_NAME } from './readers/virtual-backend.ts';
export { TOKEN_HEADER } from './http/krypton-proxy.ts';
export { VirtualReaderBackend } from './readers/virtual-backend.ts';
export type { ReaderBackend, BackendReader, OpenedCard, ReaderChange } from './readers/reader-backend.ts';
export { DEFAULT_LIMITS, type BridgeLimits, type RateSpec } from './limits.ts';
