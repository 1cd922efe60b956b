/** A DF this module selects: the MF, or the ADF of the USIM. */
export type KnownDf = 'mf' | 'usim';

/**
 * What the session believes is selected on the card's basic channel (TS 102 221 §8.2), so that it never
 * re-selects what is already current. It starts unknown, and is forgotten on anything that may have
 * reset the card: `6F00`, a transport failure, or the caller saying the link was reconnected.
 */
export class SelectionMemory {
  /** The current DF, when known. */
  df: KnownDf | undefined;
  /** The current EF's file identifier, when known. */
  ef: number | undefined;
  /** Whether the USIM is the active application (selected since the last reset, TS 102 221 §8.5). */
  usimActive = false;

  /** Forgets everything: the next command selects again from scratch. */
  forget(): void {
    this.df = undefined;
    this.ef = undefined;
    this.usimActive = false;
  }

  /** The MF became current (the active application stays active, TS 102 221 §8.5). */
  enteredMf(): void {
    this.df = 'mf';
    this.ef = undefined;
  }

  /** The USIM ADF became current and the USIM the active application. */
  enteredUsim(): void {
    this.df = 'usim';
    this.ef = undefined;
    this.usimActive = true;
  }

  /** An EF of the current DF became current (SELECT, or a READ by SFI, TS 102 221 §8.3). */
  selectedEf(fid: number): void {
    this.ef = fid;
  }
}
