// PC/SC card readers through pcscd and the pcsclite native module: Node only, exported from src/node.ts.
export {
  PcscService,
  type PcscServiceOptions,
  type PcscServiceState,
  type PcscServiceEvent,
  type PcscServiceEventType,
  type PcscServiceEventOf,
  type PcscReaderInfo,
  type PcscCardState,
  type WaitForCardOptions,
} from './pcsc-service.ts';
export {
  PcscTransport,
  type PcscOpenOptions,
  type PcscShareMode,
  type PcscProtocol,
  type PcscDisposition,
  type PcscTransportState,
} from './pcsc-transport.ts';
export { openFirstReaderWithCard, type FirstReaderOptions } from './first-reader.ts';
export { PcscError, type PcscProblem } from './pcsc-error.ts';
export { ScardCard, ScardCallError, isCardReset } from './scard-card.ts';
