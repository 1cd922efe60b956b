export { WebSerialChannel, HUAWEI_VENDOR_ID, type WebSerialChannelOptions } from './web-serial-channel.ts';
export { hasWebSerial, requestModemPort, rememberedModemPorts } from './choose-port.ts';
export { webSerial, type WebSerial, type WebSerialPort, type WebSerialPortFilter } from './web-serial-types.ts';
