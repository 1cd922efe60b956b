import { VirtualUsim } from '@krypton-web/krypton-lab/browser';
import { MemoryCardTransport } from '@krypton-web/sim-transport';
import { describeLinkConformance } from '../../../src/link-conformance.test-support.ts';

describeLinkConformance('in-memory adapter over the virtual USIM', async (sim) => {
  const card = await VirtualUsim.create(sim);
  return { transport: new MemoryCardTransport(card), apduCount: () => card.apduCount };
});

describeLinkConformance('in-memory adapter over a T=1-style virtual USIM (data + 9000 directly)', async (sim) => ({
  transport: new MemoryCardTransport(await VirtualUsim.create(sim, { t0Responses: false })),
}));
