/**
 * A smart card simulated in memory: what a reader (vpcd), a modem emulator or an in-memory
 * transport talks to. Kept free of Node built-ins so it runs in browsers and workers too.
 */
export interface VirtualCard {
  /** The answer to reset the card gives on power-on or reset. */
  readonly atr: Uint8Array;
  /** Cold reset: powers the card up, clearing volatile state (selection, PIN verification), and returns the ATR. */
  powerOn(): Uint8Array;
  /** Removes power; volatile state is lost, persistent state (PIN counters, SQN array) is kept. */
  powerOff(): void;
  /** Warm reset: as powerOn, for a card that is already powered. */
  reset(): Uint8Array;
  /** Processes one command APDU and returns the response APDU (data then SW1 SW2). */
  transmit(apdu: Uint8Array): Promise<Uint8Array>;
}
