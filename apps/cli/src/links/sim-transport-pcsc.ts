// PC/SC from @krypton-web/sim-transport's source (see sim-transport-node.ts for why).
export { PcscService, PcscTransport, openFirstReaderWithCard, PcscError } from '../../../../packages/sim-transport/src/pcsc/index.ts';
