/**
 * An in-memory serial channel to a modem emulator, shaped as sim-transport's `SerialChannel`
 * (declared again here: the lab must not depend on the product's packages), so product tests can
 * run the AT link without any port. Free of Node built-ins.
 */
import type { SerialDevice } from './serial-device.ts';

/** The handlers of sim-transport's `SerialChannelHandlers`. */
export interface ChannelHandlers {
  /** Bytes as they arrive, in whatever chunks the device emits. */
  onData(chunk: Uint8Array): void;
  /** The device went away (`error` set: a `NetworkError` DOMException, as Web Serial raises) or we closed the channel (no error). */
  onClose(error?: Error): void;
}

/** A duplex byte stream with the shape of sim-transport's `SerialChannel`. */
export interface EmulatorChannel {
  readonly name: string;
  /** Starts delivering bytes; call once, before the first write. */
  start(handlers: ChannelHandlers): void;
  /** Sends bytes to the device; rejects once the channel is closed or the device unplugged. */
  write(bytes: Uint8Array): Promise<void>;
  /** Detaches from the device and reports onClose() once; idempotent. */
  close(): Promise<void>;
}

/** Options of `emulatorChannel`. */
export interface EmulatorChannelOptions {
  /** Default "Huawei modem emulator". */
  name?: string;
}

/** The error an unplugged device produces, as Chrome's Web Serial words it. */
export function deviceLostError(): Error {
  return new DOMException('The device has been lost.', 'NetworkError');
}

/** Wires a channel to `device` (a `HuaweiModemEmulator`, usually). */
export function emulatorChannel(device: SerialDevice, options: EmulatorChannelOptions = {}): EmulatorChannel {
  let handlers: ChannelHandlers | undefined;
  let detach: (() => void) | undefined;
  let stopWatching: (() => void) | undefined;
  let ended = false;

  const end = (error: Error | undefined): void => {
    if (ended) return;
    ended = true;
    detach?.();
    stopWatching?.();
    handlers?.onClose(error);
  };

  return {
    name: options.name ?? 'Huawei modem emulator',
    start(h: ChannelHandlers): void {
      if (handlers) throw new Error('emulatorChannel.start() called twice');
      handlers = h;
      if (ended) return;
      // Copies: the client may keep or transfer the chunk; the device's buffers stay its own.
      detach = device.attach((bytes) => {
        if (!ended) h.onData(bytes.slice());
      });
      stopWatching = device.onUnplug(() => end(deviceLostError()));
    },
    async write(bytes: Uint8Array): Promise<void> {
      if (device.isUnplugged) throw deviceLostError();
      if (ended) throw new Error('The emulator channel is closed');
      device.receive(bytes.slice());
    },
    async close(): Promise<void> {
      end(undefined);
    },
  };
}
