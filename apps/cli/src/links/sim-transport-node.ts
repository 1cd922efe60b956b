// The Node serial link of @krypton-web/sim-transport, which its `./node` entry does not export yet:
// imported from source in this one place (PC/SC likewise in sim-transport-pcsc.ts, kept apart so a
// modem run does not load pcsclite). Once `node.ts` exports them, both files become
// `export { … } from '@krypton-web/sim-transport/node'`.
export { NodeSerialChannel, listSerialPorts, describeSerialPort, type SerialPortInfo } from '../../../../packages/sim-transport/src/node-serial/index.ts';
export { AtModem, type ModemInfo } from '@krypton-web/sim-transport';
