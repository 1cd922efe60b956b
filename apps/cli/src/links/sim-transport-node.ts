// The parts of @krypton-web/sim-transport the CLI uses that its public entry points do not export
// yet (node-serial, the AT link, PC/SC). Imported from source in this one place; once `node.ts`
// exports them, this file becomes `export { … } from '@krypton-web/sim-transport/node'`.
export { NodeSerialChannel, listSerialPorts, describeSerialPort, type SerialPortInfo } from '../../../../packages/sim-transport/src/node-serial/index.ts';
export { AtModem, type ModemInfo } from '../../../../packages/sim-transport/src/at/index.ts';
export { PcscService, PcscTransport, openFirstReaderWithCard, PcscError } from '../../../../packages/sim-transport/src/pcsc/index.ts';
