import { TransportError } from '@krypton-web/krypton-core';
import type { SerialChannel, SerialChannelHandlers } from '../serial-channel.ts';
import type { WebSerialPort } from './web-serial-types.ts';

/** Read errors after which Chrome gives the port a fresh readable stream: read on with a new reader. */
const RECOVERABLE = new Set(['BufferOverrunError', 'BreakError', 'FramingError', 'ParityError']);

/** Huawei's USB vendor id; modem-mode product ids (0x1506 and others) are shared by many sticks. */
export const HUAWEI_VENDOR_ID = 0x12d1;

/** Options of opening a Web Serial port for AT commands. */
export interface WebSerialChannelOptions {
  /** Ignored by USB CDC modems, required by the API. */
  baudRate?: number;
  /** A name for messages; derived from the USB ids by default. */
  name?: string;
}

/**
 * A SerialChannel over a Web Serial port: one reader loop that survives recoverable line errors
 * (a new reader each time, as the spec intends), turns an unplug (`NetworkError`) into onClose,
 * and releases every lock before closing the port.
 */
export class WebSerialChannel implements SerialChannel {
  readonly name: string;
  private handlers: SerialChannelHandlers | undefined;
  private reader: ReadableStreamDefaultReader<Uint8Array> | undefined;
  private readLoop: Promise<void> | undefined;
  private closing: Promise<void> | undefined;
  private ended = false;

  private constructor(
    private readonly port: WebSerialPort,
    name: string,
  ) {
    this.name = name;
  }

  /** Opens the port (it must come from `requestPort()` or `getPorts()`). */
  static async open(port: WebSerialPort, options: WebSerialChannelOptions = {}): Promise<WebSerialChannel> {
    try {
      await port.open({ baudRate: options.baudRate ?? 115_200 });
    } catch (e) {
      throw openError(e);
    }
    return new WebSerialChannel(port, options.name ?? serialPortName(port));
  }

  /** Starts the reader loop. */
  start(handlers: SerialChannelHandlers): void {
    if (this.handlers) throw new Error('WebSerialChannel.start() called twice');
    this.handlers = handlers;
    this.readLoop = this.readAll();
  }

  /** Writes bytes through a writer held only for this write, so close() never finds it locked. */
  async write(bytes: Uint8Array): Promise<void> {
    if (this.ended || this.closing) throw new TransportError('TRANSPORT_CLOSED', `${this.name} is closed`);
    const writable = this.port.writable;
    if (!writable) throw new TransportError('TRANSPORT_FAILED', `${this.name} cannot be written to: the device may have been unplugged`);
    const writer = writable.getWriter();
    try {
      await writer.write(bytes);
    } catch (e) {
      throw new TransportError('TRANSPORT_FAILED', `Writing to ${this.name} failed: ${(e as Error).message}`, { cause: e });
    } finally {
      writer.releaseLock();
    }
  }

  /** Stops reading, releases the locks and closes the port. Idempotent. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      await this.reader?.cancel().catch(() => undefined);
      await this.readLoop;
      await this.port.close().catch(() => undefined);
      this.end(undefined);
    })();
    return this.closing;
  }

  private async readAll(): Promise<void> {
    while (!this.closing) {
      const readable = this.port.readable;
      if (!readable) {
        this.end(new TransportError('NO_CARD', `${this.name} was unplugged`));
        return;
      }
      const reader = readable.getReader();
      this.reader = reader;
      try {
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          if (value && value.length > 0) this.handlers?.onData(value);
        }
        // The stream ended without us cancelling it: the port is gone, not merely interrupted.
        if (!this.closing) this.end(new TransportError('NO_CARD', `${this.name} stopped delivering data (closed or unplugged)`));
        return;
      } catch (e) {
        const name = (e as { name?: string }).name ?? '';
        if (!RECOVERABLE.has(name)) {
          if (!this.closing) this.end(lostError(this.name, e));
          return;
        }
        // A line error loses a few bytes; the AT engine's timeouts recover the command it hit.
      } finally {
        reader.releaseLock();
        this.reader = undefined;
      }
    }
  }

  private end(error: Error | undefined): void {
    if (this.ended) return;
    this.ended = true;
    this.handlers?.onClose(error);
  }
}

/** A port's name for people, from its USB ids ("Huawei modem (12d1:1506)"). */
export function serialPortName(port: WebSerialPort): string {
  const { usbVendorId, usbProductId } = port.getInfo();
  if (usbVendorId === undefined) return 'serial port';
  const ids = `${hex4(usbVendorId)}:${usbProductId === undefined ? '????' : hex4(usbProductId)}`;
  return usbVendorId === HUAWEI_VENDOR_ID ? `Huawei modem (${ids})` : `USB serial device (${ids})`;
}

function hex4(n: number): string {
  return n.toString(16).padStart(4, '0');
}

function lostError(name: string, e: unknown): TransportError {
  const errName = (e as { name?: string }).name;
  if (errName === 'NetworkError') return new TransportError('NO_CARD', `${name} was unplugged (the device has been lost)`, { cause: e });
  return new TransportError('TRANSPORT_FAILED', `Reading from ${name} failed: ${(e as Error).message ?? String(e)}`, { cause: e });
}

function openError(e: unknown): TransportError {
  const name = (e as { name?: string }).name;
  const message = (e as Error).message ?? String(e);
  if (name === 'InvalidStateError')
    return new TransportError('TRANSPORT_FAILED', 'The port is already open (in this tab or another one): close it there first', {
      cause: e,
    });
  if (name === 'NetworkError') {
    return new TransportError(
      'TRANSPORT_FAILED',
      'The port could not be opened: another program may hold it (on Linux, ModemManager often does — stop it or add a udev rule to make it ignore the modem)',
      { cause: e },
    );
  }
  return new TransportError('TRANSPORT_FAILED', `The port could not be opened: ${message}`, { cause: e });
}
