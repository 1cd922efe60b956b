export { main } from './main.ts';
export type { Metric, Suite, BenchContext } from './metric.ts';
