import { readFile } from 'node:fs/promises';
// The browser-safe part of the lab: the card and the profiles, without the servers (which cost ~0.4 s to load).
import {
  demoProfileSet,
  findSim,
  parseProfileSet,
  ReplayCard,
  VirtualUsim,
  type ProfileSet,
  type SimProfile,
} from '@krypton-web/krypton-lab/browser';
import { parseTranscript, toHex, TranscriptError } from '@krypton-web/krypton-core';
import { MemoryCardTransport } from '@krypton-web/sim-transport';
import { CliError } from '../errors.ts';
import type { SimConnection } from './sim-connection.ts';

/**
 * The lab's virtual USIM, in this process (`-interface virtual -sim NAME|FILE`): a demo SIM by name
 * or IMSI, or the SIM of a profile file (a path with a `/` or ending in `.json`; the first SIM of a set,
 * or `FILE#NAME` for another). It
 * authenticates against a lab started with the same profiles (`pnpm lab serve [--profiles FILE]`),
 * never against SORACOM.
 */
export async function openVirtualLink(sim: string, log?: (line: string) => void): Promise<SimConnection> {
  if (sim.endsWith('.jsonl')) return openReplayLink(sim, log);
  const profile = await resolveProfile(sim);
  const card = await VirtualUsim.create(profile);
  const transport = new MemoryCardTransport(card, `virtual SIM "${profile.name}"`);
  return {
    transport,
    description: `virtual SIM "${profile.name}" (IMSI ${profile.imsi})`,
    identity: { atr: toHex(card.atr).toUpperCase() },
    close: () => transport.close(),
  };
}

async function resolveProfile(sim: string): Promise<SimProfile> {
  const hash = sim.lastIndexOf('#');
  const [file, name] = hash > 0 && looksLikeFile(sim.slice(0, hash)) ? [sim.slice(0, hash), sim.slice(hash + 1)] : [sim, undefined];
  try {
    if (looksLikeFile(file)) {
      const set = await loadProfileSetFile(file);
      if (name !== undefined) return findSim(set, name);
      const first = set.sims[0];
      if (!first) throw new CliError(`${file} holds no SIM`, 'Give a profile file with at least one SIM');
      return first;
    }
    return findSim(demoProfileSet(), sim);
  } catch (e) {
    if (e instanceof CliError) throw e;
    throw new CliError(
      `cannot use the virtual SIM "${sim}": ${(e as Error).message}`,
      'Give -sim with a lab SIM name (demo, demo-pin, ...) or IMSI, or a SIM profile JSON file',
    );
  }
}

function looksLikeFile(value: string): boolean {
  // A path, not a SIM name: names are plain words (profile names match [A-Za-z0-9._-]).
  return value.includes('/') || value.endsWith('.json');
}

async function loadProfileSetFile(path: string): Promise<ProfileSet> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    throw new CliError(
      `cannot read the SIM profile file ${path} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`,
      'Give an existing SIM profile JSON file, or a lab SIM name',
    );
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new CliError(`${path} is not valid JSON`, "Give a SIM profile JSON file (see the lab's demo-sims.json)");
  }
  return parseProfileSet(json, path);
}

/**
 * `-sim FILE.jsonl`: a transcript (`-record`) replayed as a card, in this process: the recorded
 * answers, AUTHENTICATE by the lab SIM of the transcript's IMSI (see the lab's ReplayCard).
 */
async function openReplayLink(path: string, log?: (line: string) => void): Promise<SimConnection> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    throw new CliError(
      `cannot read the transcript ${path} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`,
      'Give a file written by krypton-cli -record',
    );
  }
  let card: ReplayCard;
  try {
    card = await ReplayCard.create(parseTranscript(text), {
      profiles: demoProfileSet(),
      ...(log ? { onDiagnostic: (d: { message: string }) => log(d.message) } : {}),
    });
  } catch (e) {
    if (e instanceof TranscriptError) throw new CliError(`${path}: ${e.message}`, e.action, e.code);
    throw e;
  }
  const transport = new MemoryCardTransport(card, `replayed card "${path}"`);
  return {
    transport,
    description: `replayed card from ${path} (IMSI ${card.profile.imsi}, ${card.commandCount} recorded commands)`,
    identity: { atr: toHex(card.atr).toUpperCase() },
    close: () => transport.close(),
  };
}
