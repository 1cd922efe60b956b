import { TransportError } from '@krypton-web/krypton-core';
import type { SerialChannel, SerialChannelHandlers } from '../serial-channel.ts';
import { atInterfaceCandidates, isStorageMode, onlyProtectedClasses, usbDeviceName, type AtInterfaceCandidate } from './usb-interfaces.ts';
import {
  claimedByOsError,
  errorName,
  isDeviceGone,
  noAnswerError,
  noAtInterfaceError,
  openFailure,
  protectedClassError,
  storageModeError,
  unpluggedError,
  WebUsbError,
} from './web-usb-errors.ts';
import { webUsb, type WebUsb, type WebUsbDevice, type WebUsbInTransferResult } from './web-usb-types.ts';

/** Options of opening a modem over WebUSB. */
export interface WebUsbChannelOptions {
  /** The `navigator.usb` whose `disconnect` event ends the link (this page's by default). */
  usb?: WebUsb;
  /** A name for messages; derived from the USB ids by default. */
  name?: string;
  /** How long each candidate interface has to answer `AT` when several could be the AT port (1000 ms, as AtModem's probe). */
  probeTimeoutMs?: number;
  /** Each read asks for this many packets of the IN endpoint's size (64), at most 16 KiB: 16 KiB at 512-byte packets, 4 KiB at 64. */
  packetsPerRead?: number;
}

/**
 * The largest read: a size every platform's USB stack takes as one request (Linux usbfs, which Chrome
 * uses on Linux and Android, long capped bulk buffers at 16 KiB). A read ends at the modem's first
 * short packet anyway, so this only bounds a long burst.
 */
const MAX_READ_BYTES = 16 * 1024;
/** Consecutive stalls on one endpoint, each cleared, after which the link gives up on it. */
const MAX_STALLS = 5;
/** Bytes kept for the AT engine between the probe and `start()` (a URC or two at most, in practice). */
const MAX_EARLY_BYTES = 64 * 1024;
const AT_PROBE = new Uint8Array([0x41, 0x54, 0x0d]);
/** A final result code on a line of its own: the port speaks AT (ERROR counts: garbage in the modem's buffer). */
const FINAL_RESULT = /(?:^|[\r\n])(?:OK|ERROR|COMMAND NOT SUPPORT|\+CME ERROR:[^\r\n]*)\r?\n/;

/**
 * One claimed interface's bulk pair: a reader loop that keeps one `transferIn` of whole packets
 * pending and hands each chunk on, clears stalls, and ends on an unplug; writes in order, ended
 * with a zero-length packet when they fill whole packets. The probe and then the channel use it.
 */
class BulkPipe {
  private sink: ((bytes: Uint8Array) => void) | undefined;
  private early: Uint8Array[] = [];
  private earlyBytes = 0;
  private loop: Promise<void> = Promise.resolve();
  private writing: Promise<unknown> = Promise.resolve();
  private stopping = false;
  private endError: Error | undefined;
  private isEnded = false;
  private onEnd: ((error: Error | undefined) => void) | undefined;
  private readonly readLength: number;
  /** Settles with the reason when the pipe ends by itself (an unplug, a failing endpoint). */
  readonly ended: Promise<Error | undefined>;
  private settleEnded!: (error: Error | undefined) => void;

  constructor(
    private readonly device: WebUsbDevice,
    readonly candidate: AtInterfaceCandidate,
    packetsPerRead: number,
    private readonly label: string,
  ) {
    // Whole packets: a read that is not a multiple of the packet size can end in a babble.
    this.readLength = candidate.inPacketSize * Math.max(1, Math.min(packetsPerRead, Math.floor(MAX_READ_BYTES / candidate.inPacketSize)));
    this.ended = new Promise((resolve) => (this.settleEnded = resolve));
  }

  /** Starts reading (once the interface is claimed). */
  start(): void {
    this.loop = this.readLoop();
  }

  /** Where bytes go; undefined keeps them (bounded) for the next sink. */
  setSink(sink: ((bytes: Uint8Array) => void) | undefined): void {
    this.sink = sink;
    if (!sink) return;
    const early = this.early;
    this.early = [];
    this.earlyBytes = 0;
    for (const chunk of early) sink(chunk);
  }

  /** Called once when the pipe ends by itself; at once if it already has. */
  whenEnded(listener: (error: Error | undefined) => void): void {
    this.onEnd = listener;
    if (this.isEnded) listener(this.endError);
  }

  /** Ends the pipe from outside (the device's `disconnect` event). */
  fail(error: Error): void {
    this.end(error);
  }

  /** Writes in order; rejects with a TransportError (NO_CARD when the modem is gone). */
  write(bytes: Uint8Array): Promise<void> {
    const run = this.writing.then(() => this.writeNow(bytes));
    this.writing = run.catch(() => undefined);
    return run;
  }

  /** Releases the interface, which cancels the pending transfer (AbortError, not reported), and waits for the loop. */
  async stop(): Promise<void> {
    this.stopping = true;
    await this.device.releaseInterface(this.candidate.interfaceNumber).catch(() => undefined);
    await this.loop;
    await this.writing;
  }

  private async readLoop(): Promise<void> {
    const endpoint = this.candidate.inEndpoint;
    let stalls = 0;
    while (!this.stopping && !this.isEnded) {
      let result: WebUsbInTransferResult;
      try {
        result = await this.device.transferIn(endpoint, this.readLength);
      } catch (e) {
        // releaseInterface/close cancel the pending transfer with AbortError: that is our own close, not an unplug.
        if (this.stopping) return;
        this.end(
          isDeviceGone(e)
            ? unpluggedError(e)
            : new TransportError('TRANSPORT_FAILED', `Reading from ${this.label} failed: ${(e as Error).message ?? String(e)}`, {
                cause: e,
              }),
        );
        return;
      }
      const data = result.data;
      if (data && data.byteLength > 0 && !this.stopping) {
        // A copy: the AT engine keeps chunks while it assembles lines.
        this.deliver(new Uint8Array(data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength)));
      }
      if (result.status === 'stall') {
        if (++stalls > MAX_STALLS) {
          this.end(new TransportError('TRANSPORT_FAILED', `${this.label} keeps stalling its IN endpoint`));
          return;
        }
        try {
          await this.device.clearHalt('in', endpoint);
        } catch (e) {
          if (this.stopping) return;
          this.end(
            isDeviceGone(e)
              ? unpluggedError(e)
              : new TransportError(
                  'TRANSPORT_FAILED',
                  `${this.label} stalled and the stall could not be cleared: ${(e as Error).message}`,
                  { cause: e },
                ),
          );
          return;
        }
      } else {
        // 'ok', or 'babble' (bytes of one packet lost: the AT engine's timeout recovers the command it hit).
        stalls = 0;
      }
    }
  }

  private async writeNow(bytes: Uint8Array): Promise<void> {
    if (this.isEnded) throw this.endError ?? new TransportError('TRANSPORT_CLOSED', `${this.label} is closed`);
    if (this.stopping) throw new TransportError('TRANSPORT_CLOSED', `${this.label} is closed`);
    const endpoint = this.candidate.outEndpoint;
    let offset = 0;
    let stalls = 0;
    try {
      while (offset < bytes.length) {
        // Chrome splits a transfer into packets itself; a copy, as the caller may reuse its buffer.
        const result = await this.device.transferOut(endpoint, bytes.slice(offset));
        offset += result.bytesWritten;
        if (result.status === 'stall') {
          if (++stalls > MAX_STALLS) throw new TransportError('TRANSPORT_FAILED', `${this.label} keeps stalling its OUT endpoint`);
          await this.device.clearHalt('out', endpoint);
        } else if (result.bytesWritten === 0) {
          throw new TransportError('TRANSPORT_FAILED', `${this.label} accepted none of the bytes written`);
        }
      }
      // A transfer that fills whole packets ends only with a zero-length packet, as Linux's usb_wwan sends for these modems.
      if (bytes.length > 0 && bytes.length % this.candidate.outPacketSize === 0) await this.device.transferOut(endpoint, new Uint8Array(0));
    } catch (e) {
      if (e instanceof TransportError) throw e;
      if (isDeviceGone(e)) throw unpluggedError(e);
      if (this.stopping || errorName(e) === 'AbortError')
        throw new TransportError('TRANSPORT_CLOSED', `${this.label} is closed`, { cause: e });
      throw new TransportError('TRANSPORT_FAILED', `Writing to ${this.label} failed: ${(e as Error).message ?? String(e)}`, { cause: e });
    }
  }

  private deliver(bytes: Uint8Array): void {
    if (this.sink) {
      this.sink(bytes);
      return;
    }
    if (this.earlyBytes + bytes.length > MAX_EARLY_BYTES) return;
    this.early.push(bytes);
    this.earlyBytes += bytes.length;
  }

  private end(error: Error | undefined): void {
    if (this.isEnded) return;
    this.isEnded = true;
    this.endError = error;
    this.settleEnded(error);
    this.onEnd?.(error);
  }
}

/**
 * A SerialChannel over a USB modem's AT interface, through WebUSB: the modem's bulk endpoints
 * carry the same AT bytes a serial port would, so the AT engine runs over it unchanged. `open`
 * finds the AT interface (vendor-specific interfaces with a bulk pair, probed with `AT` when
 * several could be it), claims it, and explains what stands in the way when it cannot.
 */
export class WebUsbChannel implements SerialChannel {
  readonly name: string;
  /** The interface that answered AT (and is claimed). */
  readonly interfaceNumber: number;
  private handlers: SerialChannelHandlers | undefined;
  private closing: Promise<void> | undefined;
  private ended = false;
  private pendingEnd: { error: Error | undefined } | undefined;

  private constructor(
    private readonly device: WebUsbDevice,
    private readonly pipe: BulkPipe,
    private readonly unwatch: () => void,
    name: string,
  ) {
    this.name = name;
    this.interfaceNumber = pipe.candidate.interfaceNumber;
    pipe.whenEnded((error) => {
      if (!this.closing) this.end(error);
    });
  }

  /**
   * Opens the device (from `requestDevice()` or `getDevices()`), selects configuration 1 if the OS
   * has not, and claims the AT interface. Rejects with a WebUsbError naming the problem (an OS
   * driver holds the interface, a stick in CD-ROM mode, protected classes, no answer to AT...);
   * the device is closed again then.
   */
  static async open(device: WebUsbDevice, options: WebUsbChannelOptions = {}): Promise<WebUsbChannel> {
    const deviceName = usbDeviceName(device);
    const usb = options.usb ?? webUsb();
    try {
      await device.open();
    } catch (e) {
      throw errorName(e) === 'NotFoundError' ? unpluggedError(e) : openFailure(deviceName, e);
    }
    let current: BulkPipe | undefined;
    // The device's disconnect event ends the pipe in use: the one being probed, then the channel's
    // (Chrome also fails the pending transfer, but the event may come first).
    const onDisconnect = (event: Event): void => {
      if ((event as Event & { device?: unknown }).device === device) current?.fail(unpluggedError());
    };
    usb?.addEventListener('disconnect', onDisconnect);
    const unwatch = () => usb?.removeEventListener('disconnect', onDisconnect);
    try {
      const pipe = await findAtInterface(device, deviceName, options, (p) => (current = p));
      return new WebUsbChannel(device, pipe, unwatch, `${deviceName}, USB interface ${pipe.candidate.interfaceNumber}`);
    } catch (e) {
      unwatch();
      await device.close().catch(() => undefined);
      throw e;
    }
  }

  /** Starts delivering bytes (those that arrived since the probe first). */
  start(handlers: SerialChannelHandlers): void {
    if (this.handlers) throw new Error('WebUsbChannel.start() called twice');
    this.handlers = handlers;
    this.pipe.setSink((bytes) => handlers.onData(bytes));
    if (this.pendingEnd) handlers.onClose(this.pendingEnd.error);
  }

  /** Sends bytes on the bulk OUT endpoint; rejects with NO_CARD when the modem was unplugged. */
  write(bytes: Uint8Array): Promise<void> {
    if (this.ended || this.closing) return Promise.reject(new TransportError('TRANSPORT_CLOSED', `${this.name} is closed`));
    return this.pipe.write(bytes);
  }

  /** Releases the interface (cancelling the pending read, which is not reported as an unplug) and closes the device. Idempotent. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      this.unwatch();
      await this.pipe.stop();
      await this.device.close().catch(() => undefined);
      this.end(undefined);
    })();
    return this.closing;
  }

  private end(error: Error | undefined): void {
    if (this.ended) return;
    this.ended = true;
    this.unwatch();
    if (this.handlers) this.handlers.onClose(error);
    else this.pendingEnd = { error };
  }
}

/** Picks and claims the AT interface; returns its pipe, reading. */
async function findAtInterface(
  device: WebUsbDevice,
  name: string,
  options: WebUsbChannelOptions,
  watch: (pipe: BulkPipe) => void,
): Promise<BulkPipe> {
  if (device.configuration === null) {
    try {
      await device.selectConfiguration(1);
    } catch (e) {
      throw errorName(e) === 'NotFoundError' ? unpluggedError(e) : openFailure(name, e);
    }
  }
  const configuration = device.configuration ?? device.configurations[0];
  const candidates = configuration ? atInterfaceCandidates(configuration) : [];
  if (candidates.length === 0) {
    if (isStorageMode(device)) throw storageModeError(name);
    if (configuration && onlyProtectedClasses(configuration)) throw protectedClassError(name, undefined);
    throw noAtInterfaceError(name);
  }
  const refusals: unknown[] = [];
  let probed = 0;
  for (const candidate of candidates) {
    try {
      await device.claimInterface(candidate.interfaceNumber);
    } catch (e) {
      if (errorName(e) === 'NotFoundError') throw unpluggedError(e);
      refusals.push(e);
      continue;
    }
    const pipe = new BulkPipe(device, candidate, options.packetsPerRead ?? 64, name);
    watch(pipe);
    pipe.start();
    // One candidate is the AT port or none is: AtModem's own probe says which, with its own message.
    if (candidates.length === 1) return pipe;
    probed += 1;
    const answered = await answersAt(pipe, options.probeTimeoutMs ?? 1000);
    if (answered) return pipe;
    await pipe.stop();
  }
  // A driver holding some interface is the likelier reason the AT port stayed out of reach than silence on the rest.
  const held = refusals.find((e) => errorName(e) === 'NetworkError');
  if (held) throw claimedByOsError(name, held);
  if (probed > 0) throw noAnswerError(name, probed);
  const refused = refusals.find((e) => errorName(e) === 'SecurityError');
  if (refused) throw protectedClassError(name, refused);
  const other = refusals[0];
  throw new WebUsbError(
    'open-failed',
    `No interface of ${name} could be claimed: ${(other as Error | undefined)?.message ?? String(other)}`,
    'Unplug the modem and plug it in again, then connect again.',
    { cause: other },
  );
}

/** Sends `AT` on the pipe and waits for a final result code; false on silence. Rethrows an unplug. */
async function answersAt(pipe: BulkPipe, timeoutMs: number): Promise<boolean> {
  let seen = '';
  let answer!: (value: boolean) => void;
  const answered = new Promise<boolean>((resolve) => (answer = resolve));
  pipe.setSink((bytes) => {
    for (const b of bytes) seen += String.fromCharCode(b);
    // A diagnostics port may pour binary out: keep only the tail a final line could be in.
    if (seen.length > 512) seen = seen.slice(-512);
    if (FINAL_RESULT.test(seen)) answer(true);
  });
  const timer = setTimeout(() => answer(false), timeoutMs);
  const gone = pipe.ended.then((error) => {
    throw error ?? unpluggedError();
  });
  try {
    try {
      await pipe.write(AT_PROBE);
    } catch (e) {
      if (e instanceof TransportError && e.code === 'NO_CARD') throw e;
      // A port that refuses the bytes is not the AT port.
      return false;
    }
    return await Promise.race([answered, gone]);
  } finally {
    clearTimeout(timer);
    gone.catch(() => undefined);
    pipe.setSink(undefined);
  }
}
