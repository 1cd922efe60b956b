// Links that need Node (PC/SC through pcsclite, serial ports through serialport); never bundled for browsers.
export * from './index.ts';
export * from './pcsc/index.ts';
export * from './node-serial/index.ts';
