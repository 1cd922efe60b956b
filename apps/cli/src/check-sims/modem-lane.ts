import { SimWatch } from '@krypton-web/sim-transport';
import { DEFAULT_BAUD_RATE, type SerialSettings } from '../options.ts';
import { openModemForAuthentication, type ModemConnection } from '../links/modem-link.ts';
import { closeWithin } from '../links/sim-connection.ts';
import { aborted, type LaneHost } from './lanes.ts';

/** A USB modem's line settings: SORACOM's defaults (USB modems ignore them anyway). */
const MODEM_SERIAL: SerialSettings = {
  portName: undefined,
  baudRate: DEFAULT_BAUD_RATE,
  dataBits: 8,
  stopBits: 1,
  parity: 'none',
  interCharacterTimeoutMs: 100,
};

/**
 * The SIM in a USB modem as a lane (`--port DEV`): AT+CSIM carries the APDUs, AT+CIMI the IMSI. The SIM
 * is checked once; with --watch the lane then follows the SIM slot (sim-transport's SimWatch: the
 * modem's `^SIMST`/`+CPIN` reports and `AT+CPIN?` between checks): a SIM taken out aborts its check,
 * a SIM put in is checked (the batch skips one it has checked already). A modem that goes away ends the lane.
 */
export async function runModemLane(
  path: string,
  host: LaneHost,
  options: { watch: boolean; stop: AbortSignal; abort: AbortSignal },
): Promise<void> {
  const lane = `modem ${path}`;
  host.addLane(lane);
  const link: ModemConnection = await openModemForAuthentication(path, MODEM_SERIAL, { signal: options.abort });
  let running: { simGone: AbortController; done: Promise<void> } | undefined;
  const check = () => {
    if (running || options.abort.aborted) return;
    const simGone = new AbortController();
    // A Usim of its own per check: a SIM put back starts with nothing selected. The modem stays
    // open for the next SIM (the lane closes it when it ends), so the check's close does nothing.
    const connection = {
      transport: link.transport,
      imsiSource: link.modem.transport,
      simInfoSource: link.modem.transport,
      description: link.description,
      close: async () => undefined,
    };
    const done = host.check(lane, connection, simGone.signal).finally(() => (running = undefined));
    running = { simGone, done };
  };
  try {
    const noSim = link.modem.simErrorAtOpen?.code === 'NO_CARD';
    if (noSim) host.notice(lane, 'no SIM in the modem: insert one');
    else check();
    if (!options.watch) {
      await running?.done;
      return;
    }
    const gone = new AbortController();
    const watch = new SimWatch(link.modem, {
      busy: () => running !== undefined,
      onChange: (now) => {
        if (now === 'absent') {
          running?.simGone.abort(new Error('SIM removed'));
          host.notice(lane, 'SIM out: insert the next SIM');
        } else check();
      },
    });
    const offs = [
      link.modem.on('disconnect', () => {
        running?.simGone.abort(new Error('modem gone'));
        host.notice(lane, 'the modem went away (unplugged?): this lane has ended');
        gone.abort();
      }),
      () => watch.stop(),
    ];
    // A SIM put in while the modem was opening is there now, with no change left to report.
    const first = await watch.start().catch(() => undefined);
    if (first === 'present' && noSim) check();
    try {
      await Promise.race([aborted(options.stop), aborted(options.abort), aborted(gone.signal)]);
      await running?.done;
    } finally {
      for (const off of offs) off();
    }
  } finally {
    await closeWithin(() => link.close());
  }
}
