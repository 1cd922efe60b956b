import { toHex } from '@krypton-web/krypton-core';
import { describe, expect, it } from 'vitest';
import { authenticateApdu, selectUsim, send } from '../card/card-test-kit.test-support.ts';
import { VirtualUsim } from '../card/virtual-usim.ts';
import { Hss } from '../server/hss.ts';
import { DEMO_BOX_PREFIX, DEMO_BOX_SIMS, demoProfileSet, findSim, isDemoBoxCard } from './index.ts';

/** The Luhn check (ISO/IEC 7812-1) over every digit, check digit included, written out here. */
function luhnValid(digits: string): boolean {
  let sum = 0;
  [...digits].reverse().forEach((c, i) => {
    const n = Number(c) * (i % 2 === 1 ? 2 : 1);
    sum += n > 9 ? n - 9 : n;
  });
  return sum % 10 === 0;
}

const profiles = demoProfileSet();
const boxCards = profiles.sims.filter((s) => isDemoBoxCard(s.name));

describe('the demo box of SIMs', () => {
  it('holds eight ordinary cards demo-box-01 … 08 after the single demo SIMs', () => {
    expect(boxCards.map((s) => s.name)).toEqual(Array.from({ length: 8 }, (_, i) => `${DEMO_BOX_PREFIX}0${i + 1}`));
    expect(profiles.sims.findIndex((s) => isDemoBoxCard(s.name))).toBe(profiles.sims.length - 8);
  });

  it.each(boxCards.map((s) => [s.name, s] as const))('%s is an ordinary lab SIM with a valid ICCID', (name, sim) => {
    const n = Number(name.slice(DEMO_BOX_PREFIX.length));
    expect(sim.imsi).toBe(`0010100000000${10 + n}`);
    expect(sim.iccid).toMatch(/^8981100000000000[0-9]{3}$/);
    expect(luhnValid(sim.iccid)).toBe(true);
    expect(sim.pin1.enabled).toBe(false);
    expect(sim.network).toBeUndefined();
    expect(sim.groupId).toBe('lab-group');
    expect(sim.tags).toEqual({ name });
  });

  it('gives every SIM of the set its own IMSI, ICCID, K and OPc', () => {
    for (const field of ['imsi', 'iccid', 'k', 'opc'] as const) {
      expect(new Set(profiles.sims.map((s) => s[field])).size, field).toBe(profiles.sims.length);
    }
    expect(profiles.groups.map((g) => g.groupId)).toContain('lab-group');
  });

  it('deals twelve distinct SIMs: the eight box cards and demo, demo-pin, demo-blocked, demo-foreign', () => {
    expect(new Set(DEMO_BOX_SIMS).size).toBe(12);
    expect([...DEMO_BOX_SIMS].sort()).toEqual([...boxCards.map((s) => s.name), 'demo', 'demo-pin', 'demo-blocked', 'demo-foreign'].sort());
    for (const name of DEMO_BOX_SIMS) expect(findSim(profiles, name).name).toBe(name);
    expect(Object.isFrozen(DEMO_BOX_SIMS)).toBe(true);
  });

  it('authenticates every box card against the lab HSS (card and network share K and OPc)', async () => {
    const hss = await Hss.create(profiles);
    for (const sim of boxCards) {
      const card = await VirtualUsim.create(sim);
      expect(await selectUsim(card)).toBe('9000');
      const v = await hss.generateVector(sim.imsi);
      const first = await send(card, authenticateApdu(v.rand, v.autn));
      expect(first, sim.name).toMatch(/^61/);
      const data = await send(card, `00c00000${first.slice(2)}`);
      // DB 08 RES …: a successful 3G authentication whose RES is the network's XRES.
      expect(data.slice(0, 4), sim.name).toBe('db08');
      expect(data.slice(4, 20)).toBe(toHex(v.xres));
    }
  });
});
