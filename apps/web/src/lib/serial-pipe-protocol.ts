/** Messages between the page's Web Serial port and the worker's PipeSerialChannel. */
export type PipeToWorker =
  | { type: 'data'; bytes: Uint8Array }
  | { type: 'written'; id: number }
  | { type: 'write-failed'; id: number; message: string; lost: boolean }
  | { type: 'closed'; error?: string };

export type PipeToPage = { type: 'write'; id: number; bytes: Uint8Array } | { type: 'close' };
