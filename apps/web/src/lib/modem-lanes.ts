// Loaded with the Check SIMs screen: USB modems as lanes of a batch, through Web Serial on the page.
import {
  rememberedModemPorts,
  requestModemPort,
  serialPortName,
  webSerial,
  WebSerialChannel,
  type WebSerialPort,
} from '@krypton-web/sim-transport';
import { pipeSerialChannel } from './serial-pipe.ts';

/** A modem port the person chose (or allowed earlier), named as its lane. */
export interface ModemChoice {
  lane: string;
  port: WebSerialPort;
}

/** What the Check SIMs screen needs of Web Serial; tests pass a double. */
export interface ModemPorts {
  /** Ports this site may open without asking (allowed earlier). */
  remembered(): Promise<WebSerialPort[]>;
  /** The browser's port picker (needs a click). */
  request(anyPort: boolean): Promise<WebSerialPort>;
  /** Opens a port and returns the pipe for the batch worker (see serial-pipe.ts). */
  open(port: WebSerialPort): Promise<MessagePort>;
  /** Calls `listener` with each allowed port that is plugged in; returns the unsubscribe function. */
  onPlugged(listener: (port: WebSerialPort) => void): () => void;
  /** A port's name for people. */
  name(port: WebSerialPort): string;
}

/** Web Serial's own ports, or undefined in a browser without it (Firefox without serial, Safari). */
export function webSerialModemPorts(): ModemPorts | undefined {
  const serial = webSerial();
  if (!serial) return undefined;
  return {
    remembered: () => rememberedModemPorts(serial),
    request: (anyPort) => requestModemPort({ anyPort, serial }),
    open: async (port) => pipeSerialChannel(await WebSerialChannel.open(port)),
    onPlugged: (listener) => {
      const handler = (e: Event) => listener(e.target as unknown as WebSerialPort);
      serial.addEventListener('connect', handler);
      return () => serial.removeEventListener('connect', handler);
    },
    name: serialPortName,
  };
}

/** A lane name for `port` that no lane in `taken` has ("Huawei modem (12d1:1506)", then "… 2"). */
export function modemLaneName(base: string, taken: readonly string[]): string {
  if (!taken.includes(base)) return base;
  for (let n = 2; ; n++) if (!taken.includes(`${base} ${n}`)) return `${base} ${n}`;
}

/**
 * Which modem lane a port that was just plugged in belongs to: the lane of that very port if it is
 * waiting for it, else the first waiting lane of a modem with the same USB ids (a re-plugged stick
 * is a new port object in Chrome). `waiting` lists the lanes whose modem went away.
 */
export function laneForPluggedPort(
  port: WebSerialPort,
  choices: readonly ModemChoice[],
  waiting: readonly string[],
): ModemChoice | undefined {
  const open = choices.filter((c) => waiting.includes(c.lane));
  const same = open.find((c) => c.port === port);
  if (same) return same;
  const { usbVendorId, usbProductId } = port.getInfo();
  return open.find((c) => {
    const info = c.port.getInfo();
    return info.usbVendorId === usbVendorId && info.usbProductId === usbProductId;
  });
}
