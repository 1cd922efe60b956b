import { startLab } from '@krypton-web/krypton-lab';
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
  },
};
