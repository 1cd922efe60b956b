import { Usim, type Tracer } from '@krypton-web/krypton-core';
import type { ApduTransport, ImsiSource, SimInfoSource } from '@krypton-web/krypton-core';
import type { LinkKind, ModemSummary } from '../api.ts';
import { workerCardPaths } from '../card-path-store.ts';
import { LockedSimLink } from './sim-link.ts';

/** A link that carries APDUs (virtual SIM, modem over AT+CSIM): krypton-core's USIM commands run here, in the worker. */
export class UsimLink extends LockedSimLink {
  modemInfo?: () => Promise<ModemSummary>;

  constructor(
    readonly kind: LinkKind,
    readonly name: string,
    private readonly transport: ApduTransport,
    tracer: Tracer,
    private readonly extra: {
      imsiSource?: ImsiSource;
      simInfoSource?: SimInfoSource;
      modemInfo?: () => Promise<ModemSummary>;
      close?: () => Promise<void>;
    } = {},
  ) {
    // Keyed by the ICCID once read: a card that refused a shortcut is not asked again, after a reload too.
    super(
      new Usim(transport, {
        tracer,
        cardPaths: workerCardPaths(),
        ...(extra.imsiSource ? { imsiSource: extra.imsiSource } : {}),
        ...(extra.simInfoSource ? { simInfoSource: extra.simInfoSource } : {}),
      }),
    );
    if (extra.modemInfo) {
      const info = extra.modemInfo;
      this.modemInfo = () => this.lock.run(info);
    }
  }

  async close(): Promise<void> {
    this.lost = true;
    await (this.extra.close ?? (() => this.transport.close()))();
  }
}
