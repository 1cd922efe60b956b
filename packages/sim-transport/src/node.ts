// Links that need Node (PC/SC through pcsclite, serial ports through serialport); never bundled for browsers.
export * from './index.ts';
