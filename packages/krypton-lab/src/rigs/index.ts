/**
 * Rigs: real system services set up for the lab's stand-ins — a private pcscd with vpcd readers (two by default)
 * (one at a time per machine, behind a lock), the modem emulator on a pseudo-terminal, a loopback
 * route with quick ACKs, free TCP ports — and TinyCard, the smallest card to put in a vpcd reader.
 * Tests use them, and so does `pnpm bench`, a shipped command; test helpers are not here (they sit
 * beside their tests as `*.test-support.ts`).
 */
export {
  startPcscd,
  findPcscd,
  vpcdFriendlyName,
  vpcdReaderConfig,
  vpcdReaderNames,
  DEFAULT_VPCD_DRIVER,
  PCSCD_SOCKET,
  type PcscdHandle,
  type StartPcscdOptions,
} from './pcscd.ts';
export { PcscdError, type PcscdErrorCode } from './pcscd-error.ts';
export { acquireMachineLock, DEFAULT_PCSCD_LOCK, type MachineLock, type MachineLockOptions } from './machine-lock.ts';
export { findFreePortPair, isPortFree } from './ports.ts';
export { TinyCard, TINY_CARD_ATR } from './tiny-card.ts';
export {
  enableLoopbackQuickAck,
  QUICKACK_LOOPBACK_ADDRESS,
  QuickAckError,
  type LoopbackQuickAck,
  type QuickAckErrorCode,
} from './quickack.ts';
export { startModemPty, type ModemPty } from './modem-pty.ts';
