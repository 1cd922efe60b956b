/**
 * The lab's box of SIMs: what a field technician checks in one batch. Eight ordinary cards
 * (demo-box-01 … 08) mixed with the demo SIMs that fail in instructive ways, so a batch run shows
 * a pass, a PIN to enter, a blocked PIN and a MAC failure among the passes.
 */

/** Names of the ordinary box cards start with this; single-SIM pickers leave them out. */
export const DEMO_BOX_PREFIX = 'demo-box-';

/** The twelve SIMs of the demo box, in the order a batch deals them (special cards spread out, as in a real box). */
export const DEMO_BOX_SIMS: readonly string[] = Object.freeze([
  'demo',
  'demo-box-01',
  'demo-box-02',
  'demo-pin',
  'demo-box-03',
  'demo-box-04',
  'demo-blocked',
  'demo-box-05',
  'demo-box-06',
  'demo-foreign',
  'demo-box-07',
  'demo-box-08',
]);

/** Whether a SIM name is one of the box's ordinary cards (demo-box-NN). */
export function isDemoBoxCard(name: string): boolean {
  return name.startsWith(DEMO_BOX_PREFIX);
}
