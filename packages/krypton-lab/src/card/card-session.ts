import type { CardQuirk } from '../profiles/index.ts';
import type { ElementaryFile } from './file-system.ts';
import type { PinEnablement } from './fcp.ts';
import type { PinCounter } from './pin.ts';
import type { Selection } from './selection.ts';
import type { UsimFileTree } from './usim-file-tree.ts';

/** What command handlers read and change: the file tree, the selection, the PINs and the link convention. */
export interface CardSession {
  readonly tree: UsimFileTree;
  selection: Selection;
  readonly pin1: PinCounter;
  readonly pin2: PinCounter;
  /** T=0 conventions: case 4 data through `61xx` + GET RESPONSE, wrong Le answered with `6Cxx`. */
  readonly t0: boolean;
  /** The profile's departures from the default answers (see `CARD_QUIRKS`). */
  readonly quirks: ReadonlySet<CardQuirk>;
}

/** PIN enablement for the PIN status template of an FCP. */
export function pinEnablement(session: CardSession): PinEnablement {
  return { pin1Enabled: session.pin1.enabled, pin2Enabled: session.pin2.enabled };
}

/** Whether the read access condition of an EF is met (TS 102 221 §9.2). */
export function mayRead(session: CardSession, ef: ElementaryFile): boolean {
  return ef.read === 'always' || session.pin1.satisfied;
}
