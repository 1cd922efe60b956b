// The demo's virtual readers: lab cards in memory (loads the lab's virtual USIM).
export { VirtualReaderBackend } from './readers/virtual-backend.ts';
export type { DemoStackOptions } from './readers/demo-stack.ts';
