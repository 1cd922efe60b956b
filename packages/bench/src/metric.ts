/** One measured number, as `pnpm bench --json` prints it (one object per line). */
export interface Metric {
  metric: string;
  value: number;
  unit: string;
  /** What else identifies the figure (link, run, latency...). */
  [label: string]: string | number | boolean | undefined;
}

/** A group of related measurements. */
export interface Suite {
  name: string;
  /** Whether `pnpm bench --quick` runs it. */
  quick: boolean;
  run(ctx: BenchContext): Promise<void>;
}

/** What a suite gets: where to report, and whether to keep it short. */
export interface BenchContext {
  quick: boolean;
  report(metric: Metric): void;
  /** A note printed under the table (what was used, what limits a figure). */
  note(text: string): void;
}

/** Median of numbers. */
export function median(values: number[]): number {
  return percentile(values, 50);
}

/** The p-th percentile (nearest rank) of numbers. */
export function percentile(values: number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank]!;
}

/** Rounds for display and JSON (3 significant decimals are plenty for what we measure). */
export function round(value: number, digits = 3): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}
