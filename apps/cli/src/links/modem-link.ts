import type { SerialSettings } from '../options.ts';
import { CliError } from '../errors.ts';
import { AtModem, NodeSerialChannel, tapChannel, type AtLineTap, type ModemInfo } from './sim-transport-node.ts';
import { withDeadline, type SimConnection } from './sim-connection.ts';

/** A modem opened on a serial port, as a SIM link (AT+CSIM for APDUs, AT+CIMI for the IMSI). */
export interface ModemConnection extends SimConnection {
  modem: AtModem;
}

/** How to probe: a port that is not the AT port stays silent, so probing gives up sooner than normal use. */
export interface OpenModemOptions {
  signal?: AbortSignal;
  /** Shorter probes for autoDetect. */
  quickProbe?: boolean;
  /** Every AT line sent and received (-record). */
  atTap?: AtLineTap;
}

/** Opens the serial port and the modem on it; errors say which port and what to do. */
export async function openModem(path: string, serial: SerialSettings, options: OpenModemOptions = {}): Promise<ModemConnection> {
  let channel: NodeSerialChannel;
  try {
    channel = await NodeSerialChannel.open({
      path,
      baudRate: serial.baudRate,
      dataBits: serial.dataBits,
      stopBits: serial.stopBits,
      parity: serial.parity,
    });
  } catch (e) {
    throw linkError(e);
  }
  let modem: AtModem;
  try {
    modem = await AtModem.open(options.atTap ? tapChannel(channel, options.atTap) : channel, {
      name: `modem on ${path}`,
      ...(options.signal ? { signal: options.signal } : {}),
      ...(options.quickProbe ? { probeTimeoutMs: 700, probeAttempts: 2 } : {}),
    });
  } catch (e) {
    await channel.close();
    throw linkError(e);
  }
  return {
    modem,
    transport: withDeadline(modem.transport),
    imsiSource: modem.transport,
    simInfoSource: modem.transport,
    description: `modem on ${path}${modem.csimSupported ? '' : ' (no AT+CSIM)'}`,
    describe: async () => {
      const info = await modem.deviceInfo();
      return {
        modem: {
          ...(info.manufacturer ? { manufacturer: info.manufacturer } : {}),
          ...(info.model ? { model: info.model } : {}),
          ...(info.firmware ? { revision: info.firmware } : {}),
          ...(info.imei ? { imei: info.imei } : {}),
        },
      };
    },
    close: () => modem.close(),
  };
}

/** Opens a modem for an operation: it must relay APDUs (AT+CSIM) for AUTHENTICATE. */
export async function openModemForAuthentication(
  path: string,
  serial: SerialSettings,
  options: OpenModemOptions = {},
): Promise<ModemConnection> {
  const link = await openModem(path, serial, options);
  if (!link.modem.csimSupported) {
    await link.close();
    throw new CliError(
      `the modem on ${path} does not relay commands to the SIM (it refused AT+CSIM=?), so the SIM cannot be authenticated through it`,
      'Use a modem that supports AT+CSIM (Huawei MS2131, E3372 and kin), or put the SIM in a card reader (-interface iso7816)',
      'TRANSPORT_FAILED',
    );
  }
  return link;
}

/** The four lines SORACOM's CLI prints for -device-info (AT+CGMI, AT+CGMM, AT+CGMR, AT+CGSN). */
export function formatDeviceInfo(info: ModemInfo): string {
  return `Manufacturer: ${info.manufacturer ?? ''}\nModel: ${info.model ?? ''}\nRevision: ${info.firmware ?? ''}\nS/N: ${info.imei ?? ''}\n`;
}

/** The rest of what the modem said, for -debug. */
export function deviceInfoDetails(info: ModemInfo): string[] {
  const lines: string[] = [];
  if (info.iccid) lines.push(`ICCID: ${info.iccid}`);
  if (info.signal) lines.push(`signal: ${JSON.stringify(info.signal)}`);
  if (info.registration) lines.push(`registration: ${JSON.stringify(info.registration)}`);
  if (info.operator) lines.push(`operator: ${JSON.stringify(info.operator)}`);
  return lines;
}

/** A failure to open the port or the modem, with what to do about it. */
function linkError(e: unknown): CliError {
  if (e instanceof CliError) return e;
  const err = e as { code?: unknown; message?: unknown };
  const code = typeof err.code === 'string' ? err.code : 'TRANSPORT_FAILED';
  const message = typeof err.message === 'string' ? err.message : String(e);
  const action =
    code === 'NO_CARD'
      ? 'Insert the SIM into the modem (or unlock it), then run again'
      : code === 'TIMEOUT'
        ? "Check that this is the modem's AT port (USB modems expose several; krypton-cli -list-com-ports lists them) and that no other program (ModemManager) uses it"
        : 'Check the port name (krypton-cli -list-com-ports lists ports) and that no other program uses the modem';
  return new CliError(message, action, code, { cause: e });
}
