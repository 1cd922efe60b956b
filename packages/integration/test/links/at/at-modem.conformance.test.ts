import { VirtualUsim } from '@krypton-web/krypton-lab/browser';
import { describeLinkConformance } from '../../../src/link-conformance.test-support.ts';
import { AtModem, scriptedModem } from '@krypton-web/sim-transport';
import { fromHex, toHex } from '@krypton-web/krypton-core';

/**
 * The shared link suite over AtModem, in process: a minimal Huawei-like script relays AT+CSIM to a
 * virtual USIM (T=0 or T=1 style) and answers AT+CIMI with its IMSI, with URC noise between lines.
 */
for (const t0Responses of [true, false]) {
  describeLinkConformance(
    `AtModem over a scripted modem relaying AT+CSIM to a ${t0Responses ? 'T=0' : 'T=1'}-style virtual USIM`,
    async (sim) => {
      const card = await VirtualUsim.create(sim, { t0Responses });
      const device = scriptedModem(
        async (command) => {
          const csim = /^AT\+CSIM=(\d+),"([0-9A-F]*)"$/.exec(command);
          if (csim) {
            const response = toHex(await card.transmit(fromHex(csim[2]!)));
            return ['^RSSI: 17', `+CSIM: ${response.length},"${response}"`, '^DSFLOWRPT: 0,0,0', 'OK'];
          }
          if (command === 'AT+CIMI') return [sim.imsi, 'OK'];
          if (command === 'AT+CMEE?') return ['+CMEE: 1', 'OK'];
          return ['OK'];
        },
        { echo: true },
      );
      const modem = await AtModem.open(device.channel);
      return { transport: modem.transport, imsiSource: modem };
    },
  );
}
