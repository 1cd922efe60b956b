// Serial ports through Node's `serialport` (modems' AT ports): the channel the AT engine runs over, and port discovery.
export { NodeSerialChannel, openNodeSerialChannel, type NodeSerialChannelOptions, type SerialParity } from './node-serial-channel.ts';
export {
  listSerialPorts,
  sortPorts,
  describeSerialPort,
  HUAWEI_USB_VENDOR_ID,
  type SerialPortInfo,
  type ListSerialPortsOptions,
} from './list-serial-ports.ts';
