import type { Failure, SessionEvent, SimSummary, WorkerMethod } from '../worker/api.ts';
import type { Serving } from './config.ts';
import type { SessionDeps } from './session.svelte.ts';
import { workerApiOf, type WorkerApi, type WorkerCall } from './worker-api.ts';

/** A failure as the worker would throw it. */
export function failureOf(code: string, details: Failure['details'] = {}): Failure {
  return { code, message: `${code} happened`, action: `fix ${code}`, details };
}

export const demoServing: Serving = {
  kind: 'bridge',
  config: {
    mode: 'demo',
    rawApdu: false,
    endpoints: {
      global: '/krypton/global',
      japan: '/krypton/japan',
      cellular: '/krypton/cellular',
      lab: '/krypton/lab',
      labCellular: '/krypton/lab-cellular',
    },
    lab: { cognito: 'http://127.0.0.1:9001', s3: 'http://127.0.0.1:9002', region: 'ap-northeast-1', bucket: 'krypton-demo' },
  },
};

/** A worker double: every method rejects unless the test provides it (configure and close resolve). `emit` plays worker events. */
export interface FakeWorker {
  api: WorkerApi;
  emit: (e: SessionEvent) => void;
  /** The names of the methods called, in order. */
  calls: string[];
  listener: ((e: SessionEvent) => void) | undefined;
}

export function fakeWorker(overrides: Partial<WorkerApi> = {}): FakeWorker {
  const calls: string[] = [];
  const resolves: Partial<WorkerApi> = { configure: async () => undefined, close: async () => undefined };
  const api = workerApiOf(<K extends WorkerMethod>(name: K): WorkerCall<K> => {
    const given: { [P in K]?: WorkerCall<P> } = overrides;
    const fallback: { [P in K]?: WorkerCall<P> } = resolves;
    const impl: WorkerCall<K> = given[name] ?? fallback[name] ?? (() => Promise.reject(new Error(`${name} not expected`)));
    return (...args) => {
      calls.push(name);
      return impl(...args);
    };
  });
  const fake: FakeWorker = { api, emit: (e) => fake.listener?.(e), calls, listener: undefined };
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

export const demoSim: SimSummary = {
  link: 'virtual',
  name: 'Virtual SIM "demo"',
  imsi: '001010000000001',
  iccid: '8981100000000000016',
  pin: { enabled: false, verified: false, blocked: false },
};
