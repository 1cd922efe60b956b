import type { LinkKind } from '../worker/api.ts';
import type { EndpointChoice } from './endpoints.ts';

/**
 * What the link panel remembers between visits (localStorage): choices only. Never an IMSI, ICCID,
 * PIN, key or credential — the reader and modem are the bridge's names for devices on this computer.
 * The language is remembered apart, under its own key (i18n.svelte.ts), since the first paint needs it.
 * The demo SIM is not remembered: it is a demo's pick of a fixture, and each visit starts on the happy one.
 */
export interface RememberedLink {
  linkKind: LinkKind;
  endpoint: EndpointChoice;
  /** The custom endpoint URL (kept even while another endpoint is chosen, as the field keeps it). */
  customUrl: string;
  /** The bridge's card reader last used ("Card reader (bridge)"). */
  reader: string;
  /** The bridge's modem last used ("USB modem (bridge)"), by its device path. */
  modem: string;
}

/** Versioned: a later shape gets a new key, and this one is simply not read. */
export const REMEMBERED_LINK_KEY = 'krypton-web.link.v1';

const KINDS: readonly LinkKind[] = ['virtual', 'modem', 'usb', 'bridge', 'bridge-modem', 'cellular'];
const ENDPOINTS: readonly EndpointChoice[] = ['global', 'japan', 'lab', 'custom'];
/** Names and URLs are short; anything longer is not ours. */
const MAX_TEXT = 512;

/** The remembered choices in `raw` (the stored text), or undefined when absent or not ours; fields that fail validation are left out. */
export function parseRememberedLink(raw: string | null | undefined): Partial<RememberedLink> | undefined {
  if (!raw) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    return undefined;
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return undefined;
  const r = parsed as Record<string, unknown>;
  if (r.v !== 1) return undefined;
  const out: Partial<RememberedLink> = {};
  const kind = KINDS.find((k) => k === r.linkKind);
  if (kind) out.linkKind = kind;
  const endpoint = ENDPOINTS.find((e) => e === r.endpoint);
  if (endpoint) out.endpoint = endpoint;
  for (const field of ['customUrl', 'reader', 'modem'] as const) {
    const v = r[field];
    if (typeof v === 'string' && v.length <= MAX_TEXT && !/\p{Cc}/u.test(v)) out[field] = v;
  }
  return out;
}

/** The stored text of the choices (with its version). */
export function serializeRememberedLink(link: RememberedLink): string {
  const { linkKind, endpoint, customUrl, reader, modem } = link;
  return JSON.stringify({ v: 1, linkKind, endpoint, customUrl, reader, modem });
}

/** The storage the choices live in (localStorage, or a test's map). */
export interface ChoiceStorage {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
}

/** Reads the remembered choices; a storage that throws (private mode, blocked) remembers nothing. */
export function loadRememberedLink(storage: ChoiceStorage | undefined): Partial<RememberedLink> | undefined {
  try {
    return parseRememberedLink(storage?.getItem(REMEMBERED_LINK_KEY));
  } catch {
    return undefined;
  }
}

/** Remembers the choices (a full or refused storage only costs the memory of them). */
export function saveRememberedLink(storage: ChoiceStorage | undefined, link: RememberedLink): void {
  try {
    storage?.setItem(REMEMBERED_LINK_KEY, serializeRememberedLink(link));
  } catch {
    // Private mode or full: the choices last for this page.
  }
}
