export {
  ReplayCard,
  REPLAY_UNKNOWN_SW,
  replayProfile,
  transcriptImsi,
  type ReplayCardOptions,
  type ReplayDiagnostic,
} from './replay-card.ts';
export { ReplayModem, csimAsApdus, type ReplayModemOptions } from './replay-modem.ts';
