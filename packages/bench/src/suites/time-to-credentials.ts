import { startLab } from '@krypton-web/krypton-lab';
import { MemoryKeyCache } from '@krypton-web/krypton-core';
import { median, round, type Suite } from '../metric.ts';
import { clientFor, memoryRig } from './link-rigs.ts';

/** 3. Time to credentials under added latency, against the floor of sequential calls × latency. */
export const timeToCredentials: Suite = {
  name: 'Time to credentials',
  quick: true,
  async run(ctx) {
    const lab = await startLab();
    const repeats = ctx.quick ? 3 : 9;
    try {
      for (const latencyMs of ctx.quick ? [0, 150] : [0, 50, 150]) {
        lab.faults.update({ latencyMs });
        for (const mode of ['openid', 'direct'] as const) {
          const firstTimes: number[] = [];
          const cachedTimes: number[] = [];
          let firstCalls = 0;
          let cachedCalls = 0;
          for (let i = 0; i < repeats; i++) {
            const rig = await memoryRig(lab);
            const cache = new MemoryKeyCache();
            const { client, events } = clientFor(lab, rig.sim, cache);
            let t = performance.now();
            await client.credentialProvider({ mode, cognitoEndpoint: lab.urls.cognito })();
            firstTimes.push(performance.now() - t);
            firstCalls = events.filter((e) => e.type === 'http').length;
            const mark = events.length;
            t = performance.now();
            await client.credentialProvider({ mode, cognitoEndpoint: lab.urls.cognito })();
            cachedTimes.push(performance.now() - t);
            cachedCalls = events.slice(mark).filter((e) => e.type === 'http').length;
            await rig.close();
          }
          for (const [run, times, calls] of [
            ['first', firstTimes, firstCalls],
            ['cached', cachedTimes, cachedCalls],
          ] as const) {
            const measured = median(times);
            const floor = calls * latencyMs;
            ctx.report({
              metric: 'time_to_credentials',
              value: round(measured, 1),
              unit: 'ms',
              mode,
              run,
              latency_ms: latencyMs,
              sequential_calls: calls,
              floor_ms: floor,
              ratio_to_floor: floor > 0 ? round(measured / floor) : undefined,
            });
          }
        }
      }
    } finally {
      lab.faults.update({ latencyMs: 0 });
      await lab.close();
    }
    ctx.note(
      'Time to credentials uses the in-memory SIM link (PC/SC through plain vpcd adds ~44 ms per APDU; see the APDU counts). Median of repeated runs; aim: within 1.2× of the floor at 150 ms.',
    );
  },
};
