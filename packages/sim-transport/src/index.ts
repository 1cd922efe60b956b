export { ExclusiveTransport } from './exclusive-transport.ts';
export { MemoryCardTransport, type MemoryCard } from './memory-card-transport.ts';
export type { SerialChannel, SerialChannelHandlers } from './serial-channel.ts';
export * from './at/index.ts';
export * from './webserial/index.ts';
export * from './webusb/index.ts';
export * from './bridge/index.ts';
