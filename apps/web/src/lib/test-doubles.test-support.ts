import type { Failure, SessionEvent, SimSummary } from '../worker/api.ts';
import type { Serving } from './config.ts';
import type { SessionDeps } from './session.svelte.ts';
import type { WorkerApi } from './worker-api.ts';

/** A failure as the worker would throw it. */
export function failureOf(code: string, details: Failure['details'] = {}): Failure {
  return { code, message: `${code} happened`, action: `fix ${code}`, details };
}

export const demoServing: Serving = {
  kind: 'bridge',
  config: {
    mode: 'demo',
    rawApdu: false,
    endpoints: { global: '/krypton/global', japan: '/krypton/japan', cellular: '/krypton/cellular', lab: '/krypton/lab', labCellular: '/krypton/lab-cellular' },
    lab: { cognito: 'http://127.0.0.1:9001', s3: 'http://127.0.0.1:9002', region: 'ap-northeast-1', bucket: 'krypton-demo' },
  },
};

const notImplemented = (name: string) => () => Promise.reject(new Error(`${name} not expected`));

/** A worker double: every method rejects unless the test provides it. `emit` plays worker events. */
export interface FakeWorker {
  api: WorkerApi;
  emit: (e: SessionEvent) => void;
  calls: string[];
  listener: ((e: SessionEvent) => void) | undefined;
}

export function fakeWorker(overrides: Partial<WorkerApi> = {}): FakeWorker {
  const calls: string[] = [];
  const names: (keyof WorkerApi)[] = [
    'subscribe', 'configure', 'openVirtual', 'openModem', 'bridgeReaders', 'openBridge', 'openCellular', 'simStatus', 'verifyPin', 'close',
    'authenticate', 'forgetKey', 'refreshCredentials', 'revealCredentials', 'userData', 'runOperation', 'revealOperation', 'operationFile', 'listObjects', 'headObject', 'download', 'cancelDownload',
  ];
  const api = {} as Record<string, unknown>;
  for (const n of names) {
    const impl = (overrides[n] ?? notImplemented(n)) as (...a: unknown[]) => Promise<unknown>;
    api[n] = (...args: unknown[]) => {
      calls.push(n);
      return impl(...args);
    };
  }
  api.configure = overrides.configure ?? (async () => calls.push('configure') && undefined);
  api.close = overrides.close ?? (async () => calls.push('close') && undefined);
  const fake: FakeWorker = { api: api as WorkerApi, emit: (e) => fake.listener?.(e), calls, listener: undefined };
  return fake;
}

/** Session dependencies around a worker double. */
export function sessionDeps(worker: FakeWorker, extra: Partial<SessionDeps> = {}): SessionDeps {
  return {
    env: { serving: demoServing, webSerial: true, webUsb: true, secureContext: true },
    origin: 'http://127.0.0.1:8787',
    bridgeWsUrl: 'ws://127.0.0.1:8787/ws',
    startWorker: async (onEvent) => {
      worker.listener = onEvent;
      return worker.api;
    },
    openModemPipe: async () => ({ pipe: new MessageChannel().port1, name: 'Huawei modem (12d1:1506)' }),
    openUsbPipe: async () => ({ pipe: new MessageChannel().port1, name: 'Huawei modem (12d1:1506), USB interface 1' }),
    modemRefreshMs: 0,
    ...extra,
  };
}

export const demoSim: SimSummary = { link: 'virtual', name: 'Virtual SIM "demo"', imsi: '001010000000001', iccid: '8981100000000000016', pin: { enabled: false, verified: false, blocked: false } };
