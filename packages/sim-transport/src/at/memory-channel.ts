import { TransportError } from '@krypton-web/krypton-core';
import type { SerialChannel, SerialChannelHandlers } from '../serial-channel.ts';

/** One end of an in-memory serial pipe. */
export interface MemoryChannel extends SerialChannel {
  /** Ends the pipe: the other end's onClose gets `error` (an unplug, as seen from there), this end's gets none. */
  disconnect(error?: Error): void;
  /** Whether the pipe has ended. */
  readonly closed: boolean;
}

/** Options of an in-memory pipe. */
export interface MemoryChannelOptions {
  /** Names of the two ends. */
  names?: readonly [string, string];
  /** Cuts each write into the chunks the other end receives (whole by default); tests use it to split lines anywhere. */
  chunker?: (bytes: Uint8Array) => readonly Uint8Array[];
}

/**
 * Two connected in-memory SerialChannels: what one writes, the other receives (asynchronously, in
 * order, as a port would deliver it). Tests connect the AT engine to a script with it, and the lab
 * connects it to its modem emulator, without a port.
 */
export function memoryChannelPair(options: MemoryChannelOptions = {}): [MemoryChannel, MemoryChannel] {
  const [nameA, nameB] = options.names ?? ['memory modem (host end)', 'memory modem (device end)'];
  const a = new MemoryEnd(nameA, options.chunker);
  const b = new MemoryEnd(nameB, options.chunker);
  a.peer = b;
  b.peer = a;
  return [a, b];
}

class MemoryEnd implements MemoryChannel {
  peer!: MemoryEnd;
  private handlers: SerialChannelHandlers | undefined;
  private pending: Uint8Array[] = [];
  private ending = false;
  private ended = false;

  constructor(
    readonly name: string,
    private readonly chunker: ((bytes: Uint8Array) => readonly Uint8Array[]) | undefined,
  ) {}

  get closed(): boolean {
    return this.ending;
  }

  start(handlers: SerialChannelHandlers): void {
    if (this.handlers) throw new Error(`${this.name}: start() called twice`);
    this.handlers = handlers;
    for (const chunk of this.pending.splice(0)) handlers.onData(chunk);
  }

  async write(bytes: Uint8Array): Promise<void> {
    if (this.ending) throw new TransportError('TRANSPORT_CLOSED', `${this.name} is closed`);
    const copy = bytes.slice();
    const chunks = this.chunker ? this.chunker(copy) : [copy];
    const peer = this.peer;
    // A microtask per chunk: the receiver never runs inside the sender's write() call, as with a real port.
    for (const chunk of chunks) queueMicrotask(() => peer.receive(chunk));
  }

  close(): Promise<void> {
    this.disconnect(new Error(`${this.name} closed the channel`));
    return Promise.resolve();
  }

  disconnect(error: Error = new Error(`${this.name} went away`)): void {
    if (this.ending) return;
    this.ending = true;
    this.peer.ending = true;
    // After the data already on its way, like bytes in flight before a cable is pulled.
    queueMicrotask(() => {
      this.end(undefined);
      this.peer.end(error);
    });
  }

  private receive(chunk: Uint8Array): void {
    if (this.ended) return;
    if (this.handlers) this.handlers.onData(chunk);
    else this.pending.push(chunk);
  }

  private end(error: Error | undefined): void {
    if (this.ended) return;
    this.ended = true;
    this.handlers?.onClose(error);
  }
}

/** What a scripted modem answers to one command: lines (each framed `\r\n…\r\n`), raw text, or nothing at all. */
export type ScriptedReply = readonly string[] | string | undefined | void;

/** A modem played by a script, on the device end of an in-memory pipe. */
export interface ScriptedModem {
  /** The host end: give it to AtEngine or AtModem.open. */
  readonly channel: MemoryChannel;
  /** Every command received, in order (ESC shows as `<ESC>`). */
  readonly commands: readonly string[];
  /** Whether the modem echoes commands; ATE0/ATE1 switch it, as on a real modem. */
  echo: boolean;
  /** Sends raw text to the host (URCs, garbage). */
  send(text: string): void;
  /** Sends lines framed as a modem frames them (`\r\n<line>\r\n`). */
  sendLines(...lines: string[]): void;
  /** Pulls the plug: the host's channel reports onClose(error). */
  unplug(error?: Error): void;
}

/** Options of a scripted modem. */
export interface ScriptedModemOptions extends MemoryChannelOptions {
  /** Echo at start (real modems start with echo on; default false). */
  echo?: boolean;
}

/**
 * A modem played by `script`: each command the host sends (up to its CR) is echoed when echo is on
 * and answered with what the script returns. Commands are handled one after the other, even when
 * the script is async.
 */
export function scriptedModem(
  script: (command: string, modem: ScriptedModem) => ScriptedReply | Promise<ScriptedReply>,
  options: ScriptedModemOptions = {},
): ScriptedModem {
  const [host, device] = memoryChannelPair(options);
  const commands: string[] = [];
  let buffer = '';
  let chain: Promise<void> = Promise.resolve();
  const out = (text: string) => {
    if (!device.closed) void device.write(latin1(text)).catch(() => undefined);
  };
  const modem: ScriptedModem = {
    channel: host,
    commands,
    echo: options.echo ?? false,
    send: out,
    sendLines: (...lines) => out(lines.map((l) => `\r\n${l}\r\n`).join('')),
    unplug: (error) => device.disconnect(error ?? new Error('the device has been lost')),
  };
  const handle = async (command: string) => {
    commands.push(command);
    if (modem.echo) out(`${command}\r`);
    const echo = /^ATE([01])$/i.exec(command);
    if (echo) modem.echo = echo[1] === '1';
    const reply = await script(command, modem);
    if (typeof reply === 'string') out(reply);
    else if (reply) modem.sendLines(...reply);
  };
  device.start({
    onData: (chunk) => {
      for (const byte of chunk) {
        if (byte === 0x1b) {
          buffer = '';
          chain = chain.then(() => {
            commands.push('<ESC>');
          });
        } else if (byte === 0x0d) {
          const command = buffer.trim();
          buffer = '';
          if (command) chain = chain.then(() => handle(command)).catch(() => undefined);
        } else if (byte !== 0x0a && buffer.length < 4096) {
          buffer += String.fromCharCode(byte);
        }
      }
    },
    onClose: () => undefined,
  });
  return modem;
}

function latin1(text: string): Uint8Array {
  const out = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) out[i] = text.charCodeAt(i) & 0xff;
  return out;
}
