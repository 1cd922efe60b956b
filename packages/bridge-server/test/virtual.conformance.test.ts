import { VirtualUsim } from '@krypton-web/krypton-lab';
import { Logger, startBridge, VIRTUAL_READER_NAME } from '../src/index.ts';
import { VirtualReaderBackend } from '../src/virtual-reader.ts';
import { bridgeSession, describeSimCommandConformance, isBridgeError } from './support/conformance.test-support.ts';

// The shared SIM suite at the command level: page-side BridgeClient → real bridge (loopback WebSocket)
// → the demo's virtual reader backend → a fresh virtual USIM built from each test's SIM profile.
for (const t0Responses of [true, false]) {
  describeSimCommandConformance(
    `bridge client → bridge → demo virtual reader (${t0Responses ? 'T=0' : 'T=1'}-style card)`,
    async (sim) => {
      const card = await VirtualUsim.create(sim, { t0Responses });
      const bridge = await startBridge({
        port: 0,
        pcsc: false,
        readers: [new VirtualReaderBackend({ card })],
        log: new Logger(() => undefined),
      });
      return bridgeSession(bridge.url, VIRTUAL_READER_NAME, () => bridge.close());
    },
    { isError: isBridgeError },
  );
}
