export { WebUsbChannel, type WebUsbChannelOptions } from './web-usb-channel.ts';
export { hasWebUsb, requestModemDevice, rememberedModemDevices, HUAWEI_FILTERS, ANY_MODEM_FILTERS } from './choose-device.ts';
export { WebUsbError, isWebUsbError, type WebUsbProblem } from './web-usb-errors.ts';
export {
  atInterfaceCandidates,
  isStorageMode,
  onlyProtectedClasses,
  usbDeviceName,
  usbIds,
  HUAWEI_USB_VENDOR,
  HUAWEI_STORAGE_MODE_PRODUCT_ID,
  PROTECTED_INTERFACE_CLASSES,
  type AtInterfaceCandidate,
} from './usb-interfaces.ts';
export {
  webUsb,
  type WebUsb,
  type WebUsbDevice,
  type WebUsbDeviceFilter,
  type WebUsbConfiguration,
  type WebUsbInterface,
  type WebUsbAlternateInterface,
  type WebUsbEndpoint,
  type WebUsbDirection,
  type WebUsbInTransferResult,
  type WebUsbOutTransferResult,
} from './web-usb-types.ts';
