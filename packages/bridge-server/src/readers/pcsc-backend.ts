import { PcscService, PcscTransport } from '@krypton-web/sim-transport/node';
import type { Logger } from '../log.ts';
import type { BackendReader, OpenedCard, ReaderBackend, ReaderChange } from './reader-backend.ts';

/** The reason reported while pcscd, once reached, is away. */
export const PCSCD_GONE = 'pcscd is not running (it stopped); the bridge reconnects when it is back';

/**
 * Card readers through pcscd. When pcscd is not running yet, the backend lists no readers and tries
 * again every few seconds, so starting the bridge before plugging a reader (or pcscd) just works.
 */
export class PcscReaderBackend implements ReaderBackend {
  readonly kind = 'pcsc';
  private service: PcscService | undefined;
  private readonly listeners = new Set<(change: ReaderChange) => void>();
  private retry: ReturnType<typeof setInterval> | undefined;
  private closed = false;
  /** Why the first connection to pcscd failed, until one succeeds. */
  private notConnected: string | undefined = 'PC/SC has not started yet';

  /** Why PC/SC is unavailable, when it is: pcscd never reached, or gone since (until it is back). */
  get unavailable(): string | undefined {
    if (!this.service) return this.notConnected;
    return this.service.state === 'lost' ? PCSCD_GONE : undefined;
  }

  constructor(
    private readonly log: Logger,
    private readonly retryMs = 5000,
  ) {}

  /** Connects to pcscd now, and keeps trying in the background if it is not there. */
  async start(): Promise<void> {
    if (await this.connect()) return;
    this.retry = setInterval(() => void this.connect(), this.retryMs);
    this.retry.unref();
  }

  async readers(): Promise<BackendReader[]> {
    if (!this.service) return [];
    const readers = await this.service.listReaders().catch(() => this.service?.readers ?? []);
    return readers.map((r) => ({
      name: r.name,
      card: r.card === 'present',
      ...(r.atr ? { atr: Buffer.from(r.atr).toString('hex') } : {}),
    }));
  }

  onChange(listener: (change: ReaderChange) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async open(reader: string): Promise<OpenedCard> {
    if (!this.service)
      throw Object.assign(new Error(this.unavailable ?? 'PC/SC is not available'), { name: 'TransportError', code: 'TRANSPORT_FAILED' });
    // Shared, as smart-card middleware opens readers: other programs may use the card between the
    // page's commands, never during one (each runs in a PC/SC transaction). Our own rule stays one
    // session per reader (sim-sessions.ts).
    const transport = await PcscTransport.open(reader, { service: this.service });
    return {
      transport,
      atr: Buffer.from(transport.atr).toString('hex'),
      protocol: transport.protocol,
      exclusively: (fn) => transport.withTransaction(fn),
    };
  }

  async whenRestored(timeoutMs: number): Promise<boolean> {
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      const left = deadline - performance.now();
      if (this.closed || !this.service || left <= 0) return false;
      // While pcscd is away listReaders refuses at once; once a new context lists, it waits for each reader's first status.
      if (
        this.service.state === 'ready' &&
        (await this.service.listReaders({ timeoutMs: left }).then(
          () => true,
          () => false,
        ))
      )
        return true;
      if (this.service.state === 'closed') return false;
      await new Promise((r) => setTimeout(r, Math.min(50, left)));
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.retry) clearInterval(this.retry);
    await this.service?.close();
  }

  private async connect(): Promise<boolean> {
    if (this.closed || this.service) return true;
    try {
      // pcscd restarted (to attach or drop a reader, or by its socket activation) is back in the list
      // within half a second: a retry is one failed connect to a missing socket, cheap at this rate.
      const service = await PcscService.open({ backoff: { initialMs: 100, maxMs: 500 } });
      if (this.closed) {
        await service.close();
        return true;
      }
      this.service = service;
      this.notConnected = undefined;
      if (this.retry) clearInterval(this.retry);
      const notify = (change: ReaderChange) => this.listeners.forEach((l) => l(change));
      for (const type of ['reader-added', 'reader-removed', 'card-inserted', 'service-restored'] as const)
        service.on(type, () => notify({ type: 'readers' }));
      service.on('card-removed', (e) => {
        notify({ type: 'card-removed', reader: e.reader });
        notify({ type: 'readers' });
      });
      service.on('service-lost', () => {
        this.log.warn('pcscd went away; waiting for it to come back');
        // Every card handle died with it (a restarted pcscd does not know them): sessions end now.
        notify({ type: 'service-lost' });
        notify({ type: 'readers' });
      });
      this.log.info('PC/SC ready');
      notify({ type: 'readers' });
      return true;
    } catch (e) {
      this.notConnected = (e as Error).message;
      return false;
    }
  }
}
