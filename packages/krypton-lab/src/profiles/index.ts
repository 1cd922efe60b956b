export type { SimProfile, SimGroup, StoredPinState, SimKeys } from './sim-profile.ts';
export { cardKeys, networkKeys } from './sim-profile.ts';
export { parseProfileSet, parseSimProfile, demoProfileSet, findSim, ProfileError, type ProfileSet } from './profile-set.ts';
export { DEMO_BOX_PREFIX, DEMO_BOX_SIMS, isDemoBoxCard } from './demo-box.ts';
export {
  CARD_QUIRKS,
  CARD_PERSONALITIES,
  checkQuirks,
  isCardQuirk,
  withPersonality,
  QuirkError,
  type CardQuirk,
  type CardPersonality,
} from './card-quirks.ts';
