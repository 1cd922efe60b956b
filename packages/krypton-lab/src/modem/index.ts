// The modem emulator, the fake Web Serial, the fake WebUSB and the in-memory channel: browser-safe (no Node built-ins),
// so pages and workers bundle them. The stdio command (`modem-command.ts`) is Node-only and not here. The Web Serial,
// WebUSB and SerialChannel shapes the fakes implement are sim-transport's: import them from there.
export {
  HuaweiModemEmulator,
  DEFAULT_MODEM_IDENTITY,
  type HuaweiModemOptions,
  type UrcNoiseOptions,
  type ModemIdentity,
  type ModemOutput,
  type Unsubscribe,
} from './huawei-modem.ts';
export { emulatorChannel, deviceLostError, type EmulatorChannelOptions } from './emulator-channel.ts';
export {
  installFakeSerial,
  FakeSerial,
  FakeSerialPort,
  HUAWEI_USB_VENDOR_ID,
  HUAWEI_MODEM_PRODUCT_ID,
  type InstallFakeSerialOptions,
  type FakeSerialOptions,
  type FakePortSpec,
  type FakeSerialPortFilter,
  type RecoverableReadError,
  type SerialOutputSignals,
  type SerialInputSignals,
  type SerialEventHandler,
} from './fake-web-serial.ts';
export {
  installFakeUsb,
  FakeUsb,
  FakeUsbDevice,
  FakeUsbConnectionEvent,
  huaweiModemModeDevice,
  huaweiStorageModeDevice,
  HUAWEI_STORAGE_PRODUCT_ID,
  PROTECTED_USB_CLASSES,
  type InstallFakeUsbOptions,
  type FakeUsbOptions,
  type FakeUsbDeviceSpec,
  type FakeUsbInterfaceSpec,
  type HuaweiUsbModemOptions,
  type UsbEventHandler,
  type PacketLog,
} from './fake-webusb.ts';
export { SilentSerialDevice, type SerialDevice } from './serial-device.ts';
export { parseCsimArguments, formatCsimAnswer, csimCommand, type CsimArguments, type CsimRefusal, type CsimStyle } from './csim-codec.ts';
export { CME, cmeErrorLine, type CmeCode, type CmeeMode } from './cme-error.ts';
export { ALL_URC_KINDS, type UrcKind } from './radio.ts';
export { type ChunkingOptions } from './output-pacer.ts';
export { type ModemSim } from './modem-sim.ts';
export { MODEM_PERSONALITIES, MODEM_PERSONALITY_NAMES, personalityOptions, type ModemPersonality } from './personalities.ts';
