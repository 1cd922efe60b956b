// The parts of @krypton-web/sim-transport the CLI uses that its public entry points do not export
// yet (node-serial, the AT link). Imported from source in this one place (and PC/SC in
// sim-transport-pcsc.ts, kept apart so a modem run does not load pcsclite); once `node.ts` exports
// them, these files become `export { … } from '@krypton-web/sim-transport/node'`.
export { NodeSerialChannel, listSerialPorts, describeSerialPort, type SerialPortInfo } from '../../../../packages/sim-transport/src/node-serial/index.ts';
export { AtModem, type ModemInfo } from '../../../../packages/sim-transport/src/at/index.ts';
