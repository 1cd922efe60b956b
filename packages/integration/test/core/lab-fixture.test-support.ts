import { findSim, startLab, VirtualUsim, type Lab, type SimProfile } from '@krypton-web/krypton-lab';
import { MemoryCardTransport } from '@krypton-web/sim-transport';
import {
  KryptonClient,
  MemoryKeyCache,
  simEndpoint,
  Tracer,
  Usim,
  type KeyCache,
  type KryptonClientOptions,
  type TraceEvent,
} from '@krypton-web/krypton-core';

/** A client wired to a virtual USIM and the lab, with every trace event recorded. */
export interface Rig {
  client: KryptonClient;
  usim: Usim;
  card: VirtualUsim;
  events: TraceEvent[];
  cache: KeyCache;
  /** HTTP calls and APDUs seen since the last `reset()`. */
  counts(): { http: string[]; apdus: number };
  reset(): void;
}

/** Builds a rig for a demo SIM (or a given profile) against a running lab. */
export async function rig(
  lab: Lab,
  sim: string | SimProfile = 'demo',
  options: Partial<KryptonClientOptions> & { cache?: KeyCache } = {},
): Promise<Rig> {
  const profile = typeof sim === 'string' ? findSim(lab.profiles, sim) : sim;
  const card = await VirtualUsim.create(profile);
  const events: TraceEvent[] = [];
  const tracer = new Tracer((e) => events.push(e));
  const usim = new Usim(new MemoryCardTransport(card), { tracer });
  const cache = options.cache ?? new MemoryKeyCache();
  const client = new KryptonClient({ endpoint: simEndpoint(lab.urls.provisioning), sim: usim, keyCache: cache, tracer, ...options });
  let mark = 0;
  return {
    client,
    usim,
    card,
    events,
    cache,
    counts() {
      const since = events.slice(mark);
      return {
        http: since.filter((e) => e.type === 'http').map((e) => `${e.step}:${e.type === 'http' ? e.status : ''}`),
        apdus: since.filter((e) => e.type === 'apdu').length,
      };
    },
    reset() {
      mark = events.length;
    },
  };
}

export { startLab, type Lab };
