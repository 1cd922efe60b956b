/**
 * An in-memory sim-transport `SerialChannel` to a modem emulator, so the product's AT link runs
 * without any port. Free of Node built-ins (the import below is of types only).
 */
import type { SerialChannel, SerialChannelHandlers } from '@krypton-web/sim-transport';
import type { SerialDevice } from './serial-device.ts';

/** Options of `emulatorChannel`. */
export interface EmulatorChannelOptions {
  /** Default "Huawei modem emulator". */
  name?: string;
}

/** The error an unplugged device produces, as Chrome's Web Serial words it. */
export function deviceLostError(): Error {
  return new DOMException('The device has been lost.', 'NetworkError');
}

/**
 * Wires a channel to `device` (a `HuaweiModemEmulator`, usually). An unplugged device ends it with
 * `onClose(NetworkError DOMException)`, as Web Serial does, and fails later writes; `close()` ends it
 * with `onClose()` (no error) once.
 */
export function emulatorChannel(device: SerialDevice, options: EmulatorChannelOptions = {}): SerialChannel {
  let handlers: SerialChannelHandlers | undefined;
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
    start(h: SerialChannelHandlers): void {
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
