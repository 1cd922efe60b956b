/** Handlers a serial channel calls as bytes arrive and when it ends. */
export interface SerialChannelHandlers {
  /** Bytes as they arrive, in whatever chunks the port delivers (a line may be split anywhere). */
  onData(chunk: Uint8Array): void;
  /** The port went away (unplugged, closed by the other side) or was closed; `error` says why when it was not us. */
  onClose(error?: Error): void;
}

/**
 * A duplex byte stream to a modem's AT port. Each platform provides one — Web Serial in the
 * browser, `serialport` in Node, WebUSB bulk endpoints, an in-memory pipe to the lab's modem
 * emulator — and the AT engine runs unchanged over all of them.
 */
export interface SerialChannel {
  /** A human name ("Huawei modem (12d1:1506)", "/dev/ttyUSB2"). */
  readonly name: string;
  /** Starts delivering received bytes; called once, before the first write. */
  start(handlers: SerialChannelHandlers): void;
  /** Sends bytes; resolves once the platform accepted them. */
  write(bytes: Uint8Array): Promise<void>;
  /** Releases the port (reader and writer locks, the device); idempotent. */
  close(): Promise<void>;
}
