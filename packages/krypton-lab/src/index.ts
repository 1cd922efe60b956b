// The lab for Node: servers, pcscd harness, vpcd connector, plus everything browser-safe.
export * from './browser.ts';
export { startLab, type Lab, type LabOptions, type LabUrls } from './server/lab.ts';
export {
  DEMO_EXPOSE_HEADERS,
  demoCorsRule,
  GZIP_ENCODED_PLAIN_BYTES,
  INTEGRITY_KEYS,
  reportUploadCorsRule,
  type CorsRule,
} from './s3/index.ts';
export { Faults, type FaultSettings, type LabService } from './server/faults.ts';
export type { LinkShapingSettings, LinkShapingState } from './s3/link-shaping.ts';
export type { IgnoreRangeSettings, IgnoreRangeState } from './s3/range-personality.ts';
export { ServerPersonality, type ServerPersonalitySettings } from './server/personality.ts';
export { LabClock } from './server/lab-clock.ts';
export { Hss, type AuthVector } from './server/hss.ts';
export { loadProfileSetFile } from './profiles/profile-file.ts';
export { connectCardToVpcd, VpcdConnection } from './vpcd/index.ts';
export {
  openCardStack,
  StackError,
  type CardStack,
  type CardStackEvent,
  type CardStackOptions,
  type StackErrorCode,
  type TimelineOptions,
  type VpcdEndpoint,
} from './stack/index.ts';
