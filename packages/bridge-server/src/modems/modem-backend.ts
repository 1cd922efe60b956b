import { stat } from 'node:fs/promises';
import { KryptonError } from '@krypton-web/krypton-core';
import { AtModem, SimWatch, type AtModemOptions, type BridgeModemFacts, type BridgeModemPort } from '@krypton-web/sim-transport';
import { listSerialPorts, openNodeSerialChannel, type SerialPortInfo } from '@krypton-web/sim-transport/node';
import type { Logger } from '../log.ts';
import type { BackendReader, OpenedCard, ReaderBackend, ReaderChange } from '../readers/reader-backend.ts';

/** How the bridge finds and opens modems. */
export interface ModemBackendOptions {
  /** Ports the person named (`--modem PATH`): listed while their device node exists, whatever bus they sit on. */
  paths?: readonly string[];
  /** List the USB serial ports a modem's AT port can be (`ttyUSB*`, `ttyACM*` on the USB bus; default true). */
  discover?: boolean;
  /** Root of sysfs and of device nodes (tests point them at a fake tree). */
  sysfsRoot?: string;
  devRoot?: string;
  /** How often the port list is looked at for ports that came or went, ms (default 500). */
  pollMs?: number;
  /**
   * How often an open modem is asked whether its SIM is still in (`AT+CPIN?`, skipped while a page's
   * command runs), ms (default 1000; 0: never): a SIM taken out ends the session with NO_CARD.
   */
  simPollMs?: number;
  /** The AT link's options (tests shorten the probe). */
  at?: Pick<AtModemOptions, 'probeTimeoutMs' | 'probeAttempts' | 'timeouts'>;
}

/** One port as this backend lists it: the reader name the page opens it by, and what is known of it. */
interface ListedPort {
  name: string;
  port: BridgeModemPort;
}

/**
 * USB modems as SIM "readers": the bridge lists USB serial ports (and the ports named with `--modem`),
 * and opening one runs the AT engine and the modem link here, next to the port, so that the page gets
 * the same narrow SIM session as for a PC/SC reader — never the AT commands themselves. Listing reads
 * sysfs only: no port is opened, let alone sent `AT`, until a page opens it.
 */
export class ModemBackend implements ReaderBackend {
  readonly kind = 'modem';
  private readonly listeners = new Set<(change: ReaderChange) => void>();
  /** Maker and model a session learned by AT+CGMI/AT+CGMM, per port path, for the listing. */
  private readonly learned = new Map<string, { maker?: string; model?: string }>();
  private poll: ReturnType<typeof setInterval> | undefined;
  private lastSeen = '';
  private closed = false;

  constructor(
    private readonly log: Logger,
    private readonly options: ModemBackendOptions = {},
  ) {}

  async readers(): Promise<BackendReader[]> {
    const ports = await this.ports();
    return ports.map(({ name, port }) => ({
      kind: 'modem',
      name,
      // Whether a SIM is in is known only by asking the modem, which listing never does.
      card: true,
      modem: { ...port, ...this.learned.get(port.path) },
    }));
  }

  onChange(listener: (change: ReaderChange) => void): () => void {
    this.listeners.add(listener);
    this.startPolling();
    return () => {
      this.listeners.delete(listener);
      if (this.listeners.size === 0) this.stopPolling();
    };
  }

  /** Opens the modem named `reader` (one of the listing's names, never a path from the page). */
  async open(reader: string): Promise<OpenedCard> {
    const listed = (await this.ports()).find((p) => p.name === reader);
    if (!listed) throw new KryptonError('NO_CARD', `There is no modem named "${reader}"`, 'Plug the modem in, or pick one from the list');
    const path = listed.port.path;
    const channel = await openNodeSerialChannel({ path, name: reader });
    const modem = await AtModem.open(channel, { name: reader, ...this.options.at });
    this.log.info('modem opened', { port: path, csim: String(modem.csimSupported) });
    modem.on('disconnect', () => {
      this.log.warn('modem went away', { port: path });
      this.notify({
        type: 'card-removed',
        reader,
        message: `The modem on ${path} went away (unplugged, or its port closed)`,
        action: 'Plug the modem in again, then open it again',
      });
      this.notify({ type: 'readers' });
    });
    // One page command at a time, as on a card reader: a second one while another runs is refused, and the
    // modem's facts (a dozen AT queries, AT+CRSM among them) never run between a USIM command's APDUs.
    let running = 0;
    let factsRunning = false;
    const busy = () =>
      new KryptonError('TRANSPORT_BUSY', `The modem on ${path} is busy with another command of this session`, 'Send one command at a time');
    const pollMs = this.options.simPollMs ?? 1000;
    if (pollMs > 0) {
      const watch = new SimWatch(modem, {
        pollMs,
        // The session's own commands notice a pulled SIM; a closed modem stops the watch.
        busy: () => {
          const over = modem.transport.closed || modem.engine.state !== 'open';
          if (over) watch.stop();
          return over || running > 0;
        },
        onChange: (presence) => {
          if (presence !== 'absent') return;
          this.log.info('SIM taken out of the modem', { port: path });
          this.notify({
            type: 'card-removed',
            reader,
            message: `The SIM was taken out of the modem on ${path}`,
            action: 'Put the SIM back in the modem, then open it again',
          });
        },
      });
      // The first look before the page gets the session: a SIM pulled right after opening is then a change, not the start.
      await watch.start().catch(() => undefined);
    }
    return {
      transport: modem.transport,
      atr: '',
      protocol: 'AT',
      csim: modem.csimSupported,
      imsiSource: modem.transport,
      simInfoSource: modem.transport,
      exclusively: async <T>(fn: () => Promise<T>) => {
        if (factsRunning) throw busy();
        running++;
        try {
          return await fn();
        } finally {
          running--;
        }
      },
      modemFacts: async () => {
        // Itself counted in `running`: any other command means another is in flight.
        if (running > 1) throw busy();
        factsRunning = true;
        const info = await modem.deviceInfo().finally(() => (factsRunning = false));
        const known = { ...(info.manufacturer ? { maker: info.manufacturer } : {}), ...(info.model ? { model: info.model } : {}) };
        if (Object.keys(known).length > 0) this.learned.set(path, known);
        return { csim: modem.csimSupported, ...info } as BridgeModemFacts;
      },
    };
  }

  async close(): Promise<void> {
    this.closed = true;
    this.stopPolling();
    this.listeners.clear();
  }

  /** The ports to list: USB ones from sysfs (unless discovery is off), then the named ones whose node exists. */
  private async ports(): Promise<ListedPort[]> {
    const out: ListedPort[] = [];
    if (this.options.discover ?? true) {
      const found = await listSerialPorts({
        usbModemsOnly: true,
        ...(this.options.sysfsRoot ? { sysfsRoot: this.options.sysfsRoot } : {}),
        ...(this.options.devRoot ? { devRoot: this.options.devRoot } : {}),
      }).catch(() => []);
      for (const p of found) out.push({ name: p.path, port: portOf(p) });
    }
    for (const path of this.options.paths ?? []) {
      if (out.some((p) => p.port.path === path)) continue;
      // A pty whose socat died leaves a dangling link: stat follows it and fails, so the port drops off the list.
      if (
        await stat(path).then(
          () => true,
          () => false,
        )
      )
        out.push({ name: path, port: { path } });
    }
    return out;
  }

  private notify(change: ReaderChange): void {
    this.listeners.forEach((l) => l(change));
  }

  private startPolling(): void {
    if (this.poll || this.closed) return;
    const every = this.options.pollMs ?? 500;
    this.poll = setInterval(() => {
      void this.ports()
        .then((ports) => {
          const seen = ports.map((p) => p.name).join('\n');
          if (seen !== this.lastSeen) {
            this.lastSeen = seen;
            this.notify({ type: 'readers' });
          }
        })
        .catch(() => undefined);
    }, every);
    this.poll.unref();
  }

  private stopPolling(): void {
    clearInterval(this.poll);
    this.poll = undefined;
  }
}

/** The listing's facts of a port from its USB descriptors. */
function portOf(p: SerialPortInfo): BridgeModemPort {
  return {
    path: p.path,
    ...(p.manufacturer ? { maker: p.manufacturer } : {}),
    ...(p.product ? { model: p.product } : {}),
    ...(p.vendorId !== undefined ? { vendorId: p.vendorId } : {}),
    ...(p.productId !== undefined ? { productId: p.productId } : {}),
    ...(p.interfaceNumber !== undefined ? { interfaceNumber: p.interfaceNumber } : {}),
  };
}
