import type { Tracer } from '@krypton-web/krypton-core';
import { CliError } from '../errors.ts';
import type { DebugLog } from '../debug-log.ts';
import type { CliOptions } from '../options.ts';
import { autoDetectLink } from './auto-detect.ts';
import { openModemForAuthentication } from './modem-link.ts';
import { openPcscLink } from './pcsc-link.ts';
import type { SimLink } from './sim-link.ts';
import { openVirtualLink } from './virtual-link.ts';

/** What opening a link may use. */
export interface LinkContext {
  debug: DebugLog | undefined;
  signal: AbortSignal | undefined;
  /** For SIM commands a link sends while it is being chosen (autoDetect reads the IMSI). */
  tracer?: Tracer;
}

/** Opens the SIM link the flags ask for. */
export async function openSimLink(options: CliOptions, ctx: LinkContext): Promise<SimLink> {
  const port = options.serial.portName;
  switch (options.interfaceType) {
    case 'virtual':
      return openVirtualLink(options.sim);
    case 'iso7816':
      return openPcscLink(ctx, options.readerName);
    case 'comm':
      if (!port) {
        throw new CliError('-port-name must be specified with -interface comm', "Give the modem's AT port, e.g. -port-name /dev/ttyUSB2 (krypton-cli -list-com-ports lists ports)");
      }
      return openModemForAuthentication(port, options.serial, ctx.signal ? { signal: ctx.signal } : {});
    case 'autoDetect':
      // SORACOM's krypton-cli ignores -port-name here and probes every port; a named port is meant to be used.
      if (port) {
        ctx.debug?.log(`-port-name ${port} given: using the modem there instead of auto-detecting`);
        return openModemForAuthentication(port, options.serial, ctx.signal ? { signal: ctx.signal } : {});
      }
      return autoDetectLink(options.serial, ctx);
  }
}
