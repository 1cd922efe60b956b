import { parseArgs } from 'node:util';
import { round, type Metric, type Suite } from './metric.ts';
import { SUITES } from './suites/index.ts';

/** Runs `pnpm bench [--json] [--quick] [--only NAME]` and returns the exit code. */
export async function main(argv: string[] = process.argv.slice(2)): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      strict: true,
      options: { json: { type: 'boolean' }, quick: { type: 'boolean' }, only: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
    }));
  } catch (e) {
    process.stderr.write(`bench: ${(e as Error).message}\n`);
    return 2;
  }
  if (values.help) {
    process.stdout.write(`usage: pnpm bench [--json] [--quick] [--only SUITE]\nsuites: ${SUITES.map((s) => s.name).join('; ')}\n`);
    return 0;
  }
  const quick = values.quick ?? false;
  const selected: Suite[] = SUITES.filter(
    (s) => (!quick || s.quick) && (!values.only || s.name.toLowerCase().includes(values.only.toLowerCase())),
  );
  if (selected.length === 0) {
    process.stderr.write(`bench: no suite matches "${values.only}"\n`);
    return 2;
  }
  const started = performance.now();
  let failures = 0;
  for (const suite of selected) {
    const metrics: Metric[] = [];
    const notes: string[] = [];
    const t0 = performance.now();
    try {
      await suite.run({
        quick,
        report: (m) => {
          metrics.push(m);
          if (values.json) process.stdout.write(`${JSON.stringify({ suite: suite.name, ...m })}\n`);
        },
        note: (n) => notes.push(n),
      });
    } catch (e) {
      failures++;
      const message = (e as Error).message ?? String(e);
      if (values.json)
        process.stdout.write(
          `${JSON.stringify({ suite: suite.name, metric: 'suite_failed', value: 1, unit: 'failure', error: message })}\n`,
        );
      else process.stderr.write(`bench: ${suite.name} failed: ${message}\n`);
    }
    if (!values.json) printTable(suite.name, metrics, notes, performance.now() - t0);
  }
  if (!values.json)
    process.stdout.write(
      `\n${selected.length} suite(s) in ${round((performance.now() - started) / 1000, 1)} s${failures ? `, ${failures} failed` : ''}\n`,
    );
  return failures ? 1 : 0;
}

function printTable(name: string, metrics: Metric[], notes: string[], ms: number): void {
  process.stdout.write(`\n== ${name} (${round(ms / 1000, 1)} s)\n`);
  for (const m of metrics) {
    const labels = Object.entries(m)
      .filter(([k, v]) => !['metric', 'value', 'unit'].includes(k) && v !== undefined)
      .map(([k, v]) => `${k}=${typeof v === 'number' ? round(v) : v}`)
      .join('  ');
    process.stdout.write(`  ${m.metric.padEnd(30)} ${String(round(m.value)).padStart(10)} ${m.unit.padEnd(8)} ${labels}\n`);
  }
  for (const n of notes) process.stdout.write(`  note: ${n}\n`);
}
