/** Test support for the lab: a pcscd of the test's own, a modem on a pseudo-terminal, and a tiny card. */
export { startPcscd, findPcscd, DEFAULT_VPCD_DRIVER, PCSCD_SOCKET, type PcscdHandle, type StartPcscdOptions } from './pcscd.ts';
export { PcscdError, type PcscdErrorCode } from './pcscd-error.ts';
export { acquireMachineLock, DEFAULT_PCSCD_LOCK, type MachineLock, type MachineLockOptions } from './machine-lock.ts';
export { findFreePortPair, isPortFree } from './ports.ts';
export { TinyCard, TINY_CARD_ATR } from './tiny-card.ts';
export { enableLoopbackQuickAck, QUICKACK_LOOPBACK_ADDRESS, QuickAckError, type LoopbackQuickAck, type QuickAckErrorCode } from './quickack.ts';
export { startModemPty, type ModemPty } from './modem-pty.ts';
