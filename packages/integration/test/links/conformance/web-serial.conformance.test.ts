import { describe, expect, it } from 'vitest';
import { Usim } from '@krypton-web/krypton-core';
import { installFakeSerial, MODEM_PERSONALITY_NAMES, personalityOptions, type HuaweiModemOptions } from '@krypton-web/krypton-lab/modem';
import { AtModem, WebSerialChannel, requestModemPort, rememberedModemPorts, type WebSerial } from '@krypton-web/sim-transport';
import { describeLinkConformance, type OpenLink, unreachableThroughModem } from '../../../src/link-conformance.test-support.ts';

/** The browser path end to end, in Node: fake navigator.serial → Web Serial channel → AT engine → lab modem. */
function webSerialLink(modem: HuaweiModemOptions, sources = false): OpenLink {
  return async (sim) => {
    const scope = {};
    const serial: WebSerial = installFakeSerial(scope, { sim, modem });
    const port = await requestModemPort({ serial });
    const channel = await WebSerialChannel.open(port);
    const opened = await AtModem.open(channel);
    // With sources: IMSI, ICCID and PIN state by the modem's own commands, as the web worker's links use it.
    const extra = sources ? { imsiSource: opened.transport, simInfoSource: opened.transport } : {};
    return { transport: opened.transport, ...extra, dispose: () => opened.close() };
  };
}

for (const name of MODEM_PERSONALITY_NAMES) {
  const unreachable = unreachableThroughModem(name);
  describeLinkConformance(`Web Serial link over the lab modem, personality ${name}`, webSerialLink(personalityOptions(name), true), {
    timeoutMs: name === 'slow' || name === 'urc-storm' ? 30_000 : 15_000,
    ...(unreachable ? { unreachableCardPersonalities: unreachable } : {}),
  });
}

describeLinkConformance('Web Serial link over the lab modem', webSerialLink({}));
describeLinkConformance(
  'Web Serial link over the lab modem with URC noise and chunked output',
  webSerialLink({ urcNoise: { seed: 7, intervalMs: 40, midResponseRate: 0.5 }, chunking: { seed: 3, maxChunk: 5 } }),
  { timeoutMs: 30_000 },
);
describeLinkConformance(
  'Web Serial link over a modem that answers CSIM with 9000 directly',
  webSerialLink({ csimDirect9000: true, lowercaseHex: true, spaces: true }),
);

describe('Web Serial specifics', () => {
  it('reads on after a recoverable line error with a new reader', async () => {
    const scope = {};
    const fake = installFakeSerial(scope, { sim: 'demo' });
    const port = await requestModemPort({ serial: fake });
    const opened = await AtModem.open(await WebSerialChannel.open(port));
    const usim = new Usim(opened.transport);
    expect(await usim.readImsi()).toBe('001010000000001');
    (port as unknown as { injectReadError(kind: string): void }).injectReadError('BufferOverrunError');
    expect(await usim.readIccid()).toMatch(/^89/);
    await opened.close();
  });

  it('ends an exchange with NO_CARD when the modem is unplugged, and fires disconnect', async () => {
    const scope = {};
    const fake = installFakeSerial(scope, { sim: 'demo', modem: { slowMs: 300 } });
    const port = await requestModemPort({ serial: fake });
    const opened = await AtModem.open(await WebSerialChannel.open(port));
    let disconnected = false;
    opened.on('disconnect', () => {
      disconnected = true;
    });
    const pending = opened.transport.transmit(new Uint8Array([0x00, 0xa4, 0x04, 0x0c, 0x07, 0xa0, 0, 0, 0, 0x87, 0x10, 0x02]));
    const started = Date.now();
    (port as unknown as { unplug(): void }).unplug();
    await expect(pending).rejects.toMatchObject({ code: 'NO_CARD' });
    expect(Date.now() - started).toBeLessThan(2000);
    expect(disconnected).toBe(true);
    await opened.close();
  });

  it('lists remembered ports without a prompt, and explains a cancelled chooser', async () => {
    const granted: WebSerial = installFakeSerial({}, { sim: 'demo', granted: true });
    expect(await rememberedModemPorts(granted)).toHaveLength(1);
    const none: WebSerial = installFakeSerial({}, { sim: 'demo', ports: [] });
    await expect(requestModemPort({ serial: none })).rejects.toMatchObject({ code: 'ABORTED' });
  });
});
