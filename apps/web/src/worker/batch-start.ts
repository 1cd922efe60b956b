import { expose } from 'comlink';
import { Batch } from './batch.ts';

/** Exposes a new Batch on the worker's global scope (called once, by batch-worker.ts). */
export function start(): void {
  expose(new Batch());
}
