import type { Tracer } from '@krypton-web/krypton-core';
import { CliError } from '../errors.ts';
import type { DebugLog } from '../debug-log.ts';
import type { CliOptions } from '../options.ts';
import type { SimConnection } from './sim-connection.ts';
import type { AtLineTap } from './sim-transport-node.ts';

/** What opening a link may use. */
export interface LinkContext {
  debug: DebugLog | undefined;
  signal: AbortSignal | undefined;
  /** For SIM commands a link sends while it is being chosen (autoDetect reads the IMSI). */
  tracer?: Tracer;
  /** Every AT line of a modem link (-record). */
  atTap?: AtLineTap;
}

/** Opens the SIM link the flags ask for, loading only that link's code (serialport, pcsclite, the lab's card). */
export async function openSimLink(options: CliOptions, ctx: LinkContext): Promise<SimConnection> {
  const port = options.serial.portName;
  const openModemForAuthentication = async (path: string) =>
    (await import('./modem-link.ts')).openModemForAuthentication(path, options.serial, {
      ...(ctx.signal ? { signal: ctx.signal } : {}),
      ...(ctx.atTap ? { atTap: ctx.atTap } : {}),
    });
  switch (options.interfaceType) {
    case 'virtual':
      return (await import('./virtual-link.ts')).openVirtualLink(options.sim, ctx.debug ? (line) => ctx.debug!.log(line) : undefined);
    case 'iso7816':
      return (await import('./pcsc-link.ts')).openPcscLink(ctx, options.readerName);
    case 'comm':
      if (!port) {
        throw new CliError(
          '-port-name must be specified with -interface comm',
          "Give the modem's AT port, e.g. -port-name /dev/ttyUSB2 (krypton-cli -list-com-ports lists ports)",
        );
      }
      return openModemForAuthentication(port);
    case 'autoDetect':
      // SORACOM's krypton-cli ignores -port-name here and probes every port; a named port is meant to be used.
      if (port) {
        ctx.debug?.log(`-port-name ${port} given: using the modem there instead of auto-detecting`);
        return openModemForAuthentication(port);
      }
      return (await import('./auto-detect.ts')).autoDetectLink(options.serial, ctx);
  }
}
