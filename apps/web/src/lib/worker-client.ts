// Loaded on demand (when the person connects): comlink and the worker are not part of the first screen.
import { proxy, transfer, wrap } from 'comlink';
import type { ModemLinkKind, SessionApi, SessionEvent } from '../worker/api.ts';
import type { WorkerApi } from './worker-api.ts';

/** Starts the session worker and subscribes to its events. */
export async function startWorker(onEvent: (event: SessionEvent) => void): Promise<WorkerApi> {
  const worker = new Worker(new URL('../worker/session-worker.ts', import.meta.url), { type: 'module', name: 'krypton-session' });
  const remote = wrap<SessionApi>(worker);
  await remote.subscribe(proxy(onEvent));
  const api = remote as unknown as WorkerApi;
  // A MessagePort must be transferred, not copied.
  return {
    ...bind(api),
    openModem: (pipe: MessagePort, name: string, kind?: ModemLinkKind) => remote.openModem(transfer(pipe, [pipe]), name, kind),
  };
}

function bind(api: WorkerApi): WorkerApi {
  const keys: (keyof WorkerApi)[] = [
    'subscribe', 'configure', 'openVirtual', 'openModem', 'bridgeReaders', 'openBridge', 'openCellular', 'simStatus', 'verifyPin', 'close',
    'authenticate', 'forgetKey', 'refreshCredentials', 'revealCredentials', 'userData', 'runOperation', 'revealOperation', 'operationFile',
    'listObjects', 'headObject', 'download', 'cancelDownload',
  ];
  const out = {} as Record<string, unknown>;
  for (const k of keys) out[k] = (...args: unknown[]) => (api[k] as (...a: unknown[]) => unknown)(...args);
  return out as WorkerApi;
}
