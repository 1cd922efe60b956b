import { cardKeyOfIccid, InMemoryCardPaths, Usim, type CardPathMemory } from '@krypton-web/krypton-core';
import {
  CARD_PERSONALITIES,
  findSim,
  startLab,
  VirtualUsim,
  withPersonality,
  type CardPersonality,
  type Lab,
} from '@krypton-web/krypton-lab';
import { MemoryCardTransport } from '@krypton-web/sim-transport';
import { startPcscd } from '@krypton-web/krypton-lab/rigs';
import { startBridge } from '@krypton-web/bridge-server';
import { Logger } from '@krypton-web/bridge-server';
import type { Suite } from '../metric.ts';
import { bridgeRig, clientFor, memoryRig, modemRig, pcscRig, type LinkRig } from './link-rigs.ts';

/** SORACOM's clients, observed (krypton-protocol.md §11): 11 APDUs for a first run, 7 for a cached one. */
const SORACOM_FIRST = 11;
const SORACOM_CACHED = 7;

/** 1. APDUs per authentication, per link, first and cached run (counted at the card). */
export const apduCounts: Suite = {
  name: 'APDUs per authentication',
  quick: true,
  async run(ctx) {
    const lab = await startLab();
    const measure = async (rig: LinkRig) => {
      try {
        const { client } = clientFor(lab, rig.sim);
        let before = rig.card.apduCount;
        await client.call('generateAmazonCognitoOpenIdToken');
        const first = rig.card.apduCount - before;
        before = rig.card.apduCount;
        await client.call('generateAmazonCognitoOpenIdToken');
        const cached = rig.card.apduCount - before;
        ctx.report({
          metric: 'apdus_per_authentication',
          value: first,
          unit: 'APDUs',
          link: rig.name,
          run: 'first',
          soracom: SORACOM_FIRST,
          ratio: first / SORACOM_FIRST,
        });
        ctx.report({
          metric: 'apdus_per_authentication',
          value: cached,
          unit: 'APDUs',
          link: rig.name,
          run: 'cached',
          soracom: SORACOM_CACHED,
          ratio: cached / SORACOM_CACHED,
        });
      } finally {
        await rig.close();
      }
    };
    try {
      await measure(await memoryRig(lab));
      for (const personality of CARD_PERSONALITIES) {
        const [first, remembered] = await personalityCounts(lab, personality);
        const labels = { link: 'in-memory', card: personality.name, quirks: personality.quirks.join(' ') || 'none' };
        ctx.report({ metric: 'apdus_per_authentication_by_card', value: first, unit: 'APDUs', ...labels, run: 'first' });
        ctx.report({ metric: 'apdus_per_authentication_by_card', value: remembered, unit: 'APDUs', ...labels, run: 'remembered' });
      }
      await measure(await modemRig(lab));
      if (ctx.quick) return;
      const pcscd = await startPcscd();
      try {
        await measure(await pcscRig(lab, pcscd));
        const bridge = await startBridge({ port: 0, log: new Logger(() => undefined) });
        try {
          await measure(await bridgeRig(lab, pcscd, bridge.url));
        } finally {
          await bridge.close();
        }
      } finally {
        await pcscd.stop();
      }
    } finally {
      await lab.close();
    }
    ctx.note(
      "APDUs are counted at the virtual USIM, whatever link carries them; SORACOM's figures are from its Go client against the same kind of card.",
    );
    ctx.note(
      'By card: the lab personalities (cards that refuse shortcuts, see CARD_QUIRKS), a key agreement each run (PIN verify included when the card wants it); "remembered" is a new session on the same card, reset, with the path memory of the first.',
    );
  },
};

/**
 * APDUs for one key agreement on a card of this personality: a first session with an empty path memory,
 * then, after a reset, a new session and a new key cache with the memory the first one filled.
 */
async function personalityCounts(lab: Lab, personality: CardPersonality): Promise<[number, number]> {
  const profile = withPersonality(findSim(lab.profiles, 'demo'), personality);
  const card = await VirtualUsim.create(profile);
  const memory = new InMemoryCardPaths();
  const once = async (paths: CardPathMemory): Promise<number> => {
    const before = card.apduCount;
    const usim = new Usim(new MemoryCardTransport(card), { cardKey: cardKeyOfIccid(profile.iccid), cardPaths: paths });
    if (card.pin1Enabled) await usim.verifyPin(profile.pin1.code);
    await clientFor(lab, usim).client.call('generateAmazonCognitoOpenIdToken');
    return card.apduCount - before;
  };
  const first = await once(memory);
  card.reset();
  return [first, await once(memory)];
}
