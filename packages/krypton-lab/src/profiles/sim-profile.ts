import { fromHexExact, type Bytes } from '@krypton-web/krypton-core';
import type { CardQuirk } from './card-quirks.ts';

/** PIN or PUK state as kept on the card: the code, whether it is enabled, and the tries left. */
export interface StoredPinState {
  /** Whether PIN1 verification is required before protected files and AUTHENTICATE. */
  enabled: boolean;
  /** The PIN digits (4 to 8). */
  code: string;
  /** Tries left before the PIN blocks (0 = blocked). */
  retries: number;
  /** The PUK digits (8). */
  puk: string;
  /** PUK tries left before the card is permanently blocked. */
  pukRetries: number;
}

/**
 * One SIM as the lab knows it. The virtual card and the lab's HSS are built from the same profile,
 * so by default they share K, OPc and the starting SQN, as a real SIM and its operator do.
 */
export interface SimProfile {
  /** Short name used on the command line and in tests (`--sim demo`). */
  name: string;
  /** What this SIM is for, shown in lists. */
  description: string;
  imsi: string;
  iccid: string;
  msisdn: string;
  /** Subscriber key K, 32 hex digits. */
  k: string;
  /** Operator variant OPc, 32 hex digits. */
  opc: string;
  /** Authentication management field the HSS puts in AUTN, 4 hex digits. */
  amf: string;
  /** Highest sequence number the card has accepted and the HSS has issued, 12 hex digits (SEQ ‖ IND, TS 33.102 Annex C). */
  sqn: string;
  pin1: StoredPinState;
  /** SORACOM group the subscriber belongs to (its userdata is served by the provisioning API). */
  groupId: string;
  /** Subscriber tags, as SORACOM shows them in subscriber metadata. */
  tags: Record<string, string>;
  /**
   * What the network believes about this SIM when it differs from the card: a SIM whose K or OPc
   * is wrong here makes AUTHENTICATE fail with a MAC failure, as a SIM from another operator does.
   */
  network?: { k?: string; opc?: string };
  /** How the virtual card departs from the lab's default answers (see `CARD_QUIRKS`); none by default. */
  quirks?: CardQuirk[];
}

/** A SORACOM SIM group as the lab serves it: its userdata and the AWS settings its SIMs use. */
export interface SimGroup {
  groupId: string;
  name: string;
  /** Userdata returned by `soracom/air/userdata`, exactly as configured (often JSON text). */
  userdata: string;
}

/** The profile's secrets decoded to bytes, with lengths checked. */
export interface SimKeys {
  k: Bytes;
  opc: Bytes;
  amf: Bytes;
  sqn: Bytes;
}

/** Decodes and checks the card-side keys of a profile. */
export function cardKeys(profile: SimProfile): SimKeys {
  return {
    k: fromHexExact(profile.k, 16, `${profile.name}: k`),
    opc: fromHexExact(profile.opc, 16, `${profile.name}: opc`),
    amf: fromHexExact(profile.amf, 2, `${profile.name}: amf`),
    sqn: fromHexExact(profile.sqn, 6, `${profile.name}: sqn`),
  };
}

/** Decodes the keys the network side (HSS) holds for a profile, honouring `network` overrides. */
export function networkKeys(profile: SimProfile): SimKeys {
  const card = cardKeys(profile);
  return {
    ...card,
    k: profile.network?.k ? fromHexExact(profile.network.k, 16, `${profile.name}: network.k`) : card.k,
    opc: profile.network?.opc ? fromHexExact(profile.network.opc, 16, `${profile.name}: network.opc`) : card.opc,
  };
}
