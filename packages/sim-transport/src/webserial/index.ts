export { WebSerialChannel, HUAWEI_VENDOR_ID, serialPortName, type WebSerialChannelOptions } from './web-serial-channel.ts';
export { hasWebSerial, requestModemPort, rememberedModemPorts } from './choose-port.ts';
export {
  webSerial,
  type WebSerial,
  type WebSerialOptions,
  type WebSerialPort,
  type WebSerialPortFilter,
  type WebSerialPortInfo,
} from './web-serial-types.ts';
