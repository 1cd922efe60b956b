import { round, type Suite } from '../metric.ts';
import { measureBridgeLatency } from './bridge-latency.ts';

/** 4. What the bridge adds per SIM command against the PC/SC link called directly in Node (bridge-latency.ts). */
export const bridgeOverhead: Suite = {
  name: 'Bridge overhead per SIM command',
  quick: false,
  async run(ctx) {
    const report = await measureBridgeLatency(ctx.quick ? { n: 100, rounds: 2, warmup: 30 } : { n: 400, rounds: 4, warmup: 30 });
    for (const s of report.sections) {
      const path = s.name.startsWith('PC/SC') ? 'pcsc' : 'virtual reader';
      for (const r of s.rows) {
        ctx.report({
          metric: 'bridge_added_latency_p50',
          value: round(r.addedP50),
          unit: 'ms',
          path,
          command: r.command,
          direct_p50: round(r.direct.p50),
          bridge_p50: round(r.bridge.p50),
          aim: '< 1 ms',
        });
        ctx.report({
          metric: 'bridge_added_latency_p99',
          value: round(r.addedP99),
          unit: 'ms',
          path,
          command: r.command,
          direct_p99: round(r.direct.p99),
          bridge_p99: round(r.bridge.p99),
        });
      }
      ctx.note(`${s.name}: card route ${s.route}`);
    }
    for (const n of report.notes) ctx.note(n);
  },
};
