// The Node serial link and the AT modem, from @krypton-web/sim-transport.
export { NodeSerialChannel, listSerialPorts, describeSerialPort, type SerialPortInfo } from '@krypton-web/sim-transport/node';
export { AtModem, tapChannel, type AtLineTap, type ModemInfo, type SerialChannel } from '@krypton-web/sim-transport';
