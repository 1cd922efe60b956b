// The AT command engine and the modem-over-AT link: platform-free, over any SerialChannel.
export {
  AtEngine,
  DEFAULT_AT_TIMEOUTS,
  type AtCommandOptions,
  type AtEngineEvents,
  type AtEngineOptions,
  type AtEngineState,
  type AtResponse,
  type AtTimeouts,
  type AtTimers,
} from './at-engine.ts';
export { AtError, CME_ERRORS, CMS_ERRORS, toTransportError, type AtErrorCode, type AtErrorDetail } from './at-errors.ts';
export { AtLineSplitter, type AtToken } from './at-lines.ts';
export { AtModem, AtCsimTransport, type AtModemOptions } from './at-modem.ts';
export type { AtUrc } from './at-urc.ts';
export { buildCglaCommand, buildCsimCommand, parseCsimResponse } from './csim.ts';
export type { ModemInfo } from './device-info.ts';
export type { CsqSignal, HcsqSignal, NetworkRegistration, OperatorInfo, RegistrationDomain, RegistrationStatus } from './network.ts';
export {
  memoryChannelPair,
  scriptedModem,
  type MemoryChannel,
  type MemoryChannelOptions,
  type ScriptedModem,
  type ScriptedModemOptions,
  type ScriptedReply,
} from './memory-channel.ts';
export { askSimPresence, simPresenceOfCpin, simPresenceOfUrc, SimWatch, type SimPresence, type SimWatchOptions } from './sim-watch.ts';
export { tapChannel, type AtLineTap } from './at-line-tap.ts';
