import type { Tracer } from '@krypton-web/krypton-core';
import { demoProfileSet, findSim, VirtualUsim } from '@krypton-web/krypton-lab/browser';
import { MemoryCardTransport } from '@krypton-web/sim-transport';
import { failure } from '../failure.ts';
import { UsimLink } from './usim-link.ts';

/** The names of the lab's demo SIMs, for the picker. */
export function demoSimNames(): string[] {
  return demoProfileSet().sims.map((s) => s.name);
}

/**
 * The lab's virtual USIM, inside this worker (Milenage on WebCrypto): it authenticates against the
 * lab's Keys API, which holds the same profiles — never against SORACOM.
 */
export async function openVirtualLink(simName: string, tracer: Tracer): Promise<UsimLink> {
  let profile;
  try {
    profile = findSim(demoProfileSet(), simName);
  } catch {
    throw failure('BAD_INPUT', `There is no demo SIM named "${simName}"`, `Choose one of: ${demoSimNames().join(', ')}`);
  }
  const card = await VirtualUsim.create(profile);
  const transport = new MemoryCardTransport(card, `Virtual SIM "${profile.name}"`);
  return new UsimLink('virtual', transport.name, transport, tracer);
}
