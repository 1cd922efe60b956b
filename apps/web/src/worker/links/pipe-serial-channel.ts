import { TransportError } from '@krypton-web/krypton-core';
import type { SerialChannel, SerialChannelHandlers } from '@krypton-web/sim-transport';
import type { PipeToPage, PipeToWorker } from '../../lib/serial-pipe-protocol.ts';

/**
 * The worker's end of a Web Serial port the page holds: the page may own the port (requestPort is
 * Window-only and needs a click), but the AT engine, the USIM commands and Krypton run here. Bytes
 * arrive and leave through a MessagePort; nothing on the page parses them.
 */
export class PipeSerialChannel implements SerialChannel {
  private nextId = 1;
  private readonly writes = new Map<number, { resolve: () => void; reject: (e: Error) => void }>();
  private handlers: SerialChannelHandlers | undefined;
  private ended = false;
  private closing: Promise<void> | undefined;
  private closed: (() => void) | undefined;

  constructor(
    readonly name: string,
    private readonly port: MessagePort,
  ) {}

  start(handlers: SerialChannelHandlers): void {
    if (this.handlers) throw new Error('PipeSerialChannel.start() called twice');
    this.handlers = handlers;
    this.port.onmessage = (e: MessageEvent<PipeToWorker>) => this.onMessage(e.data);
    this.port.start();
  }

  write(bytes: Uint8Array): Promise<void> {
    if (this.ended || this.closing) return Promise.reject(new TransportError('TRANSPORT_CLOSED', `${this.name} is closed`));
    const id = this.nextId++;
    return new Promise<void>((resolve, reject) => {
      this.writes.set(id, { resolve, reject });
      const copy = bytes.slice();
      this.post({ type: 'write', id, bytes: copy }, [copy.buffer]);
    });
  }

  close(): Promise<void> {
    this.closing ??= new Promise<void>((resolve) => {
      if (this.ended) return resolve();
      this.closed = resolve;
      this.post({ type: 'close' });
      // A page that went away never answers: do not wait for it forever.
      setTimeout(() => this.end(undefined), 2000);
    });
    return this.closing;
  }

  private onMessage(m: PipeToWorker): void {
    switch (m.type) {
      case 'data':
        this.handlers?.onData(m.bytes);
        break;
      case 'written':
        this.writes.get(m.id)?.resolve();
        this.writes.delete(m.id);
        break;
      case 'write-failed':
        this.writes.get(m.id)?.reject(new TransportError(m.lost ? 'NO_CARD' : 'TRANSPORT_FAILED', m.message));
        this.writes.delete(m.id);
        break;
      case 'closed':
        this.end(m.error === undefined ? undefined : new TransportError('TRANSPORT_FAILED', m.error));
        break;
    }
  }

  private end(error: Error | undefined): void {
    if (this.ended) return;
    this.ended = true;
    for (const [, w] of this.writes) w.reject(new TransportError('TRANSPORT_CLOSED', `${this.name} is closed`));
    this.writes.clear();
    this.port.onmessage = null;
    this.port.close();
    this.handlers?.onClose(error);
    this.closed?.();
  }

  private post(message: PipeToPage, transfer: Transferable[] = []): void {
    this.port.postMessage(message, transfer);
  }
}
