/**
 * What sits at the far end of a fake serial port: the modem emulator, or a port that never answers
 * (a stick's diagnostics interface, a console UART). Free of Node built-ins.
 */

/** A byte device a fake port or an in-memory channel can be wired to; `HuaweiModemEmulator` is one. */
export interface SerialDevice {
  /** Sends the device's output to `output` until the returned function is called; one client at a time. */
  attach(output: (bytes: Uint8Array) => void): () => void;
  /** Bytes written to the device. */
  receive(bytes: Uint8Array): void;
  /** Calls `listener` once when the device goes away. */
  onUnplug(listener: () => void): () => void;
  /** Pulls the device out. */
  unplug(): void;
  readonly isUnplugged: boolean;
}

/** A port that swallows every byte and never answers, as the diagnostics interface of a Huawei stick does to AT. */
export class SilentSerialDevice implements SerialDevice {
  /** Everything written to the port, in order (for tests that check what a client probed with). */
  readonly received: Uint8Array[] = [];
  private attached: ((bytes: Uint8Array) => void) | undefined;
  private readonly listeners = new Set<() => void>();
  private unplugged = false;

  /** See `SerialDevice.attach`. */
  attach(output: (bytes: Uint8Array) => void): () => void {
    if (this.attached) throw new Error('The port is already attached to a client');
    this.attached = output;
    return () => {
      if (this.attached === output) this.attached = undefined;
    };
  }

  /** Records the bytes; nothing comes back. */
  receive(bytes: Uint8Array): void {
    if (!this.unplugged) this.received.push(bytes.slice());
  }

  /** See `SerialDevice.onUnplug`. */
  onUnplug(listener: () => void): () => void {
    if (this.unplugged) {
      queueMicrotask(listener);
      return () => undefined;
    }
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** See `SerialDevice.unplug`. */
  unplug(): void {
    if (this.unplugged) return;
    this.unplugged = true;
    for (const listener of [...this.listeners]) listener();
    this.listeners.clear();
  }

  /** Whether `unplug()` was called. */
  get isUnplugged(): boolean {
    return this.unplugged;
  }
}
