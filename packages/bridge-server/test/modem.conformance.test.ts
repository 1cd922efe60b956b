import { MODEM_PERSONALITY_NAMES, personalityOptions } from '@krypton-web/krypton-lab/modem';
import { Logger, startBridge } from '../src/index.ts';
import { bridgeSession, describeSimCommandConformance, isBridgeError } from './support/conformance.test-support.ts';
import { startPtyModem } from './support/modem-rig.test-support.ts';

// The shared SIM suite at the command level through a modem, for every firmware personality of the lab's
// emulator: page-side BridgeClient → real bridge (loopback WebSocket) → serialport on a socat pty → the
// Huawei modem emulator → a fresh virtual USIM built from each test's SIM profile. The bridge's AT engine
// and modem link do the SIM commands.
for (const personality of MODEM_PERSONALITY_NAMES) {
  describeSimCommandConformance(
    `bridge client → bridge → socat pty → lab Huawei modem emulator, personality ${personality}`,
    async (sim) => {
      const modem = await startPtyModem(sim, personalityOptions(personality));
      const bridge = await startBridge({
        port: 0,
        pcsc: false,
        readers: [],
        modems: { discover: false, paths: [modem.path] },
        log: new Logger(() => undefined),
      }).catch(async (e: unknown) => {
        await modem.stop();
        throw e;
      });
      return bridgeSession(bridge.url, modem.path, async () => {
        await bridge.close();
        await modem.stop();
      });
    },
    { isError: isBridgeError, timeoutMs: 30_000, imsiWithoutPin: true },
  );
}
