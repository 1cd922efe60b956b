// PC/SC from @krypton-web/sim-transport's Node entry (pcsclite itself loads only when a context opens).
export { PcscService, PcscTransport, openFirstReaderWithCard, PcscError, type PcscReaderInfo } from '@krypton-web/sim-transport/node';
