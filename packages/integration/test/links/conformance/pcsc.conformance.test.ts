import { afterAll, beforeAll } from 'vitest';
import { connectCardToVpcd, VirtualUsim } from '@krypton-web/krypton-lab';
import { startPcscd, type PcscdHandle } from '@krypton-web/krypton-lab/rigs';
import { PcscService, PcscTransport } from '@krypton-web/sim-transport/node';
import { describeLinkConformance } from '../../../src/link-conformance.test-support.ts';

// A real pcscd with the vpcd driver, the lab's USIM connected as a card, the real pcsclite library.
let pcscd: PcscdHandle;
let service: PcscService;
beforeAll(async () => {
  pcscd = await startPcscd();
  service = await PcscService.open();
}, 60_000);
afterAll(async () => {
  await service?.close();
  await pcscd?.stop();
});

describeLinkConformance(
  'PC/SC link through pcscd and the vpcd virtual card',
  async (sim) => {
    const card = await VirtualUsim.create(sim);
    const connection = connectCardToVpcd({ host: '127.0.0.1', port: pcscd.vpcdPort, card });
    await connection.whenConnected();
    await service.waitForCard({ reader: pcscd.readerName, timeoutMs: 10_000 });
    const transport = await PcscTransport.open(pcscd.readerName, { service });
    return {
      transport,
      apduCount: () => card.apduCount,
      dispose: async () => {
        await connection.close();
        // The next test inserts a new card: wait until pcscd has seen this one leave.
        const deadline = Date.now() + 5000;
        while (Date.now() < deadline) {
          const reader = (await service.listReaders()).find((r) => r.name === pcscd.readerName);
          if (reader?.card === 'empty') return;
          await new Promise((r) => setTimeout(r, 50));
        }
        throw new Error('pcscd still shows the card after it was removed');
      },
    };
  },
  { timeoutMs: 30_000 },
);
