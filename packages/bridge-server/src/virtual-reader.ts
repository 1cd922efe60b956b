// The demo's virtual reader: a lab card in memory (loads the lab's virtual USIM).
export { VirtualReaderBackend } from './readers/virtual-backend.ts';
