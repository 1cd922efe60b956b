import { expose } from 'comlink';
import { Session } from './session.ts';

/** Exposes a new Session on the worker's global scope (called once, by session-worker.ts). */
export function start(): void {
  expose(new Session());
}
