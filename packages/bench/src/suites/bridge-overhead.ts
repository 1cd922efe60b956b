import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { round, type Suite } from '../metric.ts';

const script = fileURLToPath(new URL('../../../../apps/bridge/bench/bridge-latency.ts', import.meta.url));
const tsx = fileURLToPath(new URL('../../node_modules/.bin/tsx', import.meta.url));

interface Stats {
  p50: number;
  p99: number;
}
interface Report {
  sections: { name: string; route: string; rows: { command: string; apdusPerCommand: number; direct: Stats; bridge: Stats; addedP50: number; addedP99: number }[] }[];
  notes: string[];
}

/** 4. What the bridge adds per SIM command against the PC/SC link called directly in Node (apps/bridge/bench). */
export const bridgeOverhead: Suite = {
  name: 'Bridge overhead per SIM command',
  quick: false,
  async run(ctx) {
    const args = ctx.quick ? ['--n', '100', '--rounds', '2'] : ['--n', '400', '--rounds', '4'];
    const { stdout } = await promisify(execFile)(tsx, [script, '--json', ...args], { maxBuffer: 8 * 1024 * 1024, timeout: 300_000 });
    const report = JSON.parse(stdout) as Report;
    for (const s of report.sections) {
      const path = s.name.startsWith('PC/SC') ? 'pcsc' : 'virtual reader';
      for (const r of s.rows) {
        ctx.report({ metric: 'bridge_added_latency_p50', value: round(r.addedP50), unit: 'ms', path, command: r.command, direct_p50: round(r.direct.p50), bridge_p50: round(r.bridge.p50), aim: '< 1 ms' });
        ctx.report({ metric: 'bridge_added_latency_p99', value: round(r.addedP99), unit: 'ms', path, command: r.command, direct_p99: round(r.direct.p99), bridge_p99: round(r.bridge.p99) });
      }
      ctx.note(`${s.name}: card route ${s.route}`);
    }
    for (const n of report.notes) ctx.note(n);
  },
};
