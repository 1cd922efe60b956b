import type { Tracer } from '@krypton-web/krypton-core';
import { AtModem, tapChannel, type AtLineTap } from '@krypton-web/sim-transport';
import type { ModemLinkKind } from '../api.ts';
import { failure } from '../failure.ts';
import { summary } from './modem-summary.ts';
import { PipeSerialChannel } from './pipe-serial-channel.ts';
import { UsimLink } from './usim-link.ts';

/**
 * Opens the modem on the bytes the page piped here (a Web Serial port, or a WebUSB bulk pair: the
 * same AT stream either way): AT probe, then AT+CSIM for APDUs and AT+CIMI for the IMSI. `atTap`
 * receives every AT line, unmasked (the run trace masks them).
 */
export async function openModemLink(
  pipe: MessagePort,
  name: string,
  tracer: Tracer,
  kind: ModemLinkKind = 'modem',
  atTap?: AtLineTap,
): Promise<UsimLink> {
  const pipeChannel = new PipeSerialChannel(name, pipe);
  const channel = atTap ? tapChannel(pipeChannel, atTap) : pipeChannel;
  const modem = await AtModem.open(channel, { name });
  if (!modem.csimSupported) {
    await modem.close();
    throw failure(
      'MODEM_NO_CSIM',
      `The modem (${name}) does not pass commands to the SIM (it refused AT+CSIM), so the SIM cannot be authenticated through it`,
      'Use a modem that supports AT+CSIM (Huawei MS2131, E3372 and similar), or put the SIM in a card reader',
    );
  }
  let csim: boolean = modem.csimSupported;
  const link = new UsimLink(kind, name, modem.transport, tracer, {
    imsiSource: modem.transport,
    simInfoSource: modem.transport,
    modemInfo: async () => summary(await modem.deviceInfo(), csim),
    close: () => modem.close(),
  });
  modem.on('disconnect', (error) => {
    csim = false;
    link.markLost(error);
  });
  return link;
}
