import { stat } from 'node:fs/promises';
import type { SerialPort } from 'serialport';
import { TransportError } from '@krypton-web/krypton-core';
import type { SerialChannel, SerialChannelHandlers } from '../serial-channel.ts';

/** Most bytes kept for a caller that has not called start() yet (a modem has nothing to say unasked). */
const MAX_EARLY_BYTES = 64 * 1024;
/** Write errors that mean the device is gone. */
const GONE = new Set(['EIO', 'ENXIO', 'ENODEV', 'EBADF']);
/** How often the device node's presence is checked, ms. */
const WATCHDOG_MS = 500;

/** Parity as SORACOM's CLI numbers it (`-parity-mode 0|1|2`) is mapped to these names by callers. */
export type SerialParity = 'none' | 'odd' | 'even' | 'mark' | 'space';

/** How to open a serial port for AT commands. USB CDC modems ignore the line settings; real UARTs need them. */
export interface NodeSerialChannelOptions {
  /** Device path (`/dev/ttyUSB2`, `/dev/ttyACM0`, a pty, `COM3`). */
  path: string;
  /** Default 115200. */
  baudRate?: number;
  /** Default 8. */
  dataBits?: 5 | 6 | 7 | 8;
  /** Default 1. */
  stopBits?: 1 | 1.5 | 2;
  /** Default none. */
  parity?: SerialParity;
  /** Take an exclusive lock so no other program talks to the port at the same time (default true). */
  lock?: boolean;
  /** A name for messages; the path by default. */
  name?: string;
}

/**
 * A SerialChannel over Node's `serialport`: raw bytes both ways, an unplug (or the other side of a
 * pty going away) reported once through onClose with an error, close() idempotent and reported
 * through onClose without one.
 */
export class NodeSerialChannel implements SerialChannel {
  readonly name: string;
  private handlers: SerialChannelHandlers | undefined;
  private closing: Promise<void> | undefined;
  private ended = false;
  /** Why the port ended before start() was called, delivered once start() is. */
  private endedEarly: { error: Error | undefined } | undefined;
  /** Bytes that arrived before start(), delivered by it. */
  private early: Uint8Array[] = [];
  private earlyBytes = 0;
  private readonly watchdog: ReturnType<typeof setInterval> | undefined;

  private constructor(
    private readonly port: SerialPort,
    name: string,
    path: string,
  ) {
    this.name = name;
    // Read from the start: the port notices a hangup only while a read waits on it (a pty whose
    // other side closed before anyone read would otherwise answer empty reads forever).
    port.on('data', (chunk: Buffer) => {
      if (this.ended) return;
      // A copy: the stream's read pool is shared between chunks.
      const bytes = new Uint8Array(chunk);
      if (this.handlers) {
        this.handlers.onData(bytes);
      } else if (this.earlyBytes + bytes.length <= MAX_EARLY_BYTES) {
        this.early.push(bytes);
        this.earlyBytes += bytes.length;
      }
    });
    // The device node disappears on unplug (and a pty's when its other side goes): a cheap check
    // that catches the rare hangup the reader misses.
    this.watchdog = path.startsWith('/')
      ? setInterval(() => {
          stat(path).catch(() => {
            if (!this.closing && !this.ended)
              this.lose(new TransportError('NO_CARD', `${this.name} went away (the device node ${path} disappeared)`));
          });
        }, WATCHDOG_MS)
      : undefined;
    this.watchdog?.unref();
    // serialport emits 'error' for failed writes and closes; an 'error' without a listener would crash the process.
    port.on('error', (e: Error) => {
      if (!port.isOpen && !this.closing)
        this.end(new TransportError('TRANSPORT_FAILED', `${this.name} failed: ${e.message}`, { cause: e }));
    });
    port.on('close', (e: (Error & { disconnected?: boolean }) | null) => {
      if (this.closing) return;
      this.end(
        e
          ? new TransportError('NO_CARD', `${this.name} went away (unplugged, or closed by the other side): ${e.message}`, { cause: e })
          : new TransportError('NO_CARD', `${this.name} was closed`),
      );
    });
  }

  /** Opens the port; errors say what to do (missing device, permissions, another program holding it). */
  static async open(options: NodeSerialChannelOptions): Promise<NodeSerialChannel> {
    const name = options.name ?? options.path;
    const bad = badSetting(options);
    if (bad) throw new TransportError('TRANSPORT_FAILED', `${name} cannot be opened with these settings: ${bad}`);
    // Loaded here, not at import: serialport brings a native addon that commands without a modem never need.
    const { SerialPort: Port } = await import('serialport');
    let port: SerialPort;
    try {
      port = new Port({
        path: options.path,
        baudRate: options.baudRate ?? 115_200,
        dataBits: options.dataBits ?? 8,
        stopBits: options.stopBits ?? 1,
        parity: options.parity ?? 'none',
        lock: options.lock ?? true,
        autoOpen: false,
      });
    } catch (e) {
      // The constructor validates the settings synchronously (an unknown parity, a bad data-bits value).
      throw new TransportError('TRANSPORT_FAILED', `${name} cannot be opened with these settings: ${(e as Error).message}`, { cause: e });
    }
    await new Promise<void>((resolve, reject) => {
      port.open((e) => (e ? reject(openError(name, e)) : resolve()));
    });
    return new NodeSerialChannel(port, name, options.path);
  }

  /** Starts delivering received bytes. */
  start(handlers: SerialChannelHandlers): void {
    if (this.handlers) throw new Error('NodeSerialChannel.start() called twice');
    this.handlers = handlers;
    const early = this.early;
    this.early = [];
    this.earlyBytes = 0;
    const endedEarly = this.endedEarly;
    if (early.length === 0 && !endedEarly) return;
    queueMicrotask(() => {
      for (const chunk of early) handlers.onData(chunk);
      if (endedEarly) handlers.onClose(endedEarly.error);
    });
  }

  /** Sends bytes; resolves once the operating system took them. */
  write(bytes: Uint8Array): Promise<void> {
    if (this.ended || this.closing || !this.port.isOpen)
      return Promise.reject(new TransportError('TRANSPORT_CLOSED', `${this.name} is closed`));
    return new Promise((resolve, reject) => {
      this.port.write(Buffer.from(bytes), (e) => {
        if (!e) return resolve();
        const code = (e as NodeJS.ErrnoException).code ?? '';
        // The device is gone (unplugged, or the other side of a pty closed) rather than refusing this write.
        if (this.ended || GONE.has(code) || /\b(EIO|ENXIO|ENODEV|EBADF)\b/.test(e.message)) {
          const lost = new TransportError('NO_CARD', `${this.name} went away (unplugged, or closed by the other side): ${e.message}`, {
            cause: e,
          });
          this.lose(lost);
          return reject(lost);
        }
        reject(new TransportError('TRANSPORT_FAILED', `Writing to ${this.name} failed: ${e.message}`, { cause: e }));
      });
    });
  }

  /** Closes the port (if it is still open) and reports onClose() without an error. Idempotent. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      if (this.port.isOpen) {
        await new Promise<void>((resolve) => {
          this.port.close(() => resolve());
        });
      }
      this.port.removeAllListeners('data');
      this.end(undefined);
    })();
    return this.closing;
  }

  /** The port is gone: report it, then release what is left of it. */
  private lose(error: TransportError): void {
    this.end(error);
    if (this.port.isOpen) this.port.close(() => undefined);
  }

  private end(error: Error | undefined): void {
    if (this.ended) return;
    this.ended = true;
    if (this.watchdog) clearInterval(this.watchdog);
    if (!this.handlers) {
      this.endedEarly = { error };
      return;
    }
    this.handlers.onClose(error);
  }
}

/** Shortcut for {@link NodeSerialChannel.open}. */
export function openNodeSerialChannel(options: NodeSerialChannelOptions): Promise<NodeSerialChannel> {
  return NodeSerialChannel.open(options);
}

function badSetting(o: NodeSerialChannelOptions): string | undefined {
  if (typeof o.path !== 'string' || o.path.length === 0) return 'no port name';
  if (o.baudRate !== undefined && !(Number.isInteger(o.baudRate) && o.baudRate > 0 && o.baudRate <= 16_000_000))
    return `baud rate ${o.baudRate} is not a positive integer`;
  if (o.dataBits !== undefined && ![5, 6, 7, 8].includes(o.dataBits)) return `data bits must be 5, 6, 7 or 8, not ${o.dataBits}`;
  if (o.stopBits !== undefined && ![1, 1.5, 2].includes(o.stopBits)) return `stop bits must be 1, 1.5 or 2, not ${o.stopBits}`;
  if (o.parity !== undefined && !['none', 'odd', 'even', 'mark', 'space'].includes(o.parity))
    return `parity must be none, odd, even, mark or space, not ${o.parity}`;
  return undefined;
}

function openError(name: string, e: Error): TransportError {
  const message = e.message ?? String(e);
  const text = message.toLowerCase();
  if (text.includes('no such file') || text.includes('enoent')) {
    return new TransportError('TRANSPORT_FAILED', `${name} does not exist: check that the modem is plugged in and the port name is right`, {
      cause: e,
    });
  }
  if (text.includes('permission denied') || text.includes('eacces')) {
    return new TransportError(
      'TRANSPORT_FAILED',
      `${name} cannot be opened: permission denied (add your user to the "dialout" group, then log in again)`,
      { cause: e },
    );
  }
  if (text.includes('cannot lock port') || text.includes('resource temporarily unavailable') || text.includes('ebusy')) {
    return new TransportError(
      'TRANSPORT_FAILED',
      `${name} is in use by another program (on Linux, ModemManager often holds modem ports: stop it or make it ignore the modem)`,
      { cause: e },
    );
  }
  if (text.includes('not a typewriter') || text.includes('enotty') || text.includes('inappropriate ioctl')) {
    return new TransportError('TRANSPORT_FAILED', `${name} is not a serial port`, { cause: e });
  }
  return new TransportError('TRANSPORT_FAILED', `${name} cannot be opened: ${message}`, { cause: e });
}
