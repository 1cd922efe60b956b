import demoProfiles from './demo-sims.json' with { type: 'json' };
import type { StoredPinState, SimGroup, SimProfile } from './sim-profile.ts';
import { checkQuirks, QuirkError } from './card-quirks.ts';

/** A set of SIM profiles and the groups they belong to: the lab's subscriber database. */
export interface ProfileSet {
  sims: SimProfile[];
  groups: SimGroup[];
}

/** A profile file failed validation; the message names the field. */
export class ProfileError extends Error {
  override readonly name = 'ProfileError';
  readonly code = 'BAD_PROFILE';
}

/** Validates untrusted JSON as a profile set (`{sims: [...], groups: [...]}` or a single SIM profile). */
export function parseProfileSet(json: unknown, source = 'profiles'): ProfileSet {
  const root = asObject(json, source);
  if (!('sims' in root)) return { sims: [parseSimProfile(root, source)], groups: [] };
  const sims = asArray(root.sims, `${source}.sims`).map((s, i) => parseSimProfile(s, `${source}.sims[${i}]`));
  const groups =
    root.groups === undefined ? [] : asArray(root.groups, `${source}.groups`).map((g, i) => parseGroup(g, `${source}.groups[${i}]`));
  const names = new Set<string>();
  const imsis = new Set<string>();
  for (const s of sims) {
    if (names.has(s.name)) throw new ProfileError(`${source}: SIM name "${s.name}" appears twice`);
    if (imsis.has(s.imsi)) throw new ProfileError(`${source}: IMSI ${s.imsi} appears twice`);
    names.add(s.name);
    imsis.add(s.imsi);
  }
  return { sims, groups };
}

/** Validates one SIM profile. */
export function parseSimProfile(json: unknown, where: string): SimProfile {
  const o = asObject(json, where);
  const profile: SimProfile = {
    name: str(o, 'name', where, /^[A-Za-z0-9._-]{1,64}$/),
    description: o.description === undefined ? '' : str(o, 'description', where),
    imsi: str(o, 'imsi', where, /^[0-9]{6,15}$/),
    iccid: str(o, 'iccid', where, /^[0-9]{18,20}$/),
    msisdn: o.msisdn === undefined ? '' : str(o, 'msisdn', where, /^[0-9]{0,15}$/),
    k: str(o, 'k', where, /^[0-9a-fA-F]{32}$/).toLowerCase(),
    opc: str(o, 'opc', where, /^[0-9a-fA-F]{32}$/).toLowerCase(),
    amf: o.amf === undefined ? '8000' : str(o, 'amf', where, /^[0-9a-fA-F]{4}$/).toLowerCase(),
    sqn: o.sqn === undefined ? '000000000020' : str(o, 'sqn', where, /^[0-9a-fA-F]{12}$/).toLowerCase(),
    pin1: parsePin(o.pin1, `${where}.pin1`),
    groupId: o.groupId === undefined ? '' : str(o, 'groupId', where),
    tags: parseTags(o.tags, `${where}.tags`),
  };
  if (o.network !== undefined) {
    const n = asObject(o.network, `${where}.network`);
    profile.network = {};
    if (n.k !== undefined) profile.network.k = str(n, 'k', `${where}.network`, /^[0-9a-fA-F]{32}$/).toLowerCase();
    if (n.opc !== undefined) profile.network.opc = str(n, 'opc', `${where}.network`, /^[0-9a-fA-F]{32}$/).toLowerCase();
  }
  if (o.quirks !== undefined) {
    try {
      const quirks = checkQuirks(o.quirks, `${where}.quirks`);
      if (quirks.length > 0) profile.quirks = quirks;
    } catch (e) {
      // One error family for profile files: the message already names the field and the known quirks.
      if (e instanceof QuirkError) throw new ProfileError(e.message);
      throw e;
    }
  }
  return profile;
}

function parsePin(json: unknown, where: string): StoredPinState {
  if (json === undefined) return { enabled: false, code: '0000', retries: 3, puk: '12345678', pukRetries: 10 };
  const o = asObject(json, where);
  return {
    enabled: bool(o, 'enabled', where),
    code: str(o, 'code', where, /^[0-9]{4,8}$/),
    retries: int(o, 'retries', where, 0, 3),
    puk: str(o, 'puk', where, /^[0-9]{8}$/),
    pukRetries: int(o, 'pukRetries', where, 0, 10),
  };
}

function parseGroup(json: unknown, where: string): SimGroup {
  const o = asObject(json, where);
  return {
    groupId: str(o, 'groupId', where),
    name: o.name === undefined ? '' : str(o, 'name', where),
    userdata: str(o, 'userdata', where),
  };
}

function parseTags(json: unknown, where: string): Record<string, string> {
  if (json === undefined) return {};
  const o = asObject(json, where);
  const tags: Record<string, string> = {};
  for (const key of Object.keys(o)) tags[key] = str(o, key, where);
  return tags;
}

function asObject(v: unknown, where: string): Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new ProfileError(`${where}: an object is expected`);
  return v as Record<string, unknown>;
}

function asArray(v: unknown, where: string): unknown[] {
  if (!Array.isArray(v)) throw new ProfileError(`${where}: an array is expected`);
  return v;
}

function str(o: Record<string, unknown>, key: string, where: string, pattern?: RegExp): string {
  const v = o[key];
  if (typeof v !== 'string') throw new ProfileError(`${where}.${key}: a string is expected`);
  if (pattern && !pattern.test(v))
    throw new ProfileError(`${where}.${key}: "${v.length > 40 ? v.slice(0, 40) + '…' : v}" does not match ${pattern}`);
  return v;
}

function bool(o: Record<string, unknown>, key: string, where: string): boolean {
  const v = o[key];
  if (typeof v !== 'boolean') throw new ProfileError(`${where}.${key}: true or false is expected`);
  return v;
}

function int(o: Record<string, unknown>, key: string, where: string, min: number, max: number): number {
  const v = o[key];
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max)
    throw new ProfileError(`${where}.${key}: an integer from ${min} to ${max} is expected`);
  return v;
}

/** The demo SIMs and groups shipped with the lab; the card and the lab server both default to them. */
export function demoProfileSet(): ProfileSet {
  return parseProfileSet(structuredClone(demoProfiles), 'demo-sims.json');
}

/** Finds a SIM by name or IMSI, or says which names exist. */
export function findSim(set: ProfileSet, nameOrImsi: string): SimProfile {
  const sim = set.sims.find((s) => s.name === nameOrImsi || s.imsi === nameOrImsi);
  if (!sim) throw new ProfileError(`no SIM named "${nameOrImsi}"; known: ${set.sims.map((s) => s.name).join(', ')}`);
  return sim;
}
